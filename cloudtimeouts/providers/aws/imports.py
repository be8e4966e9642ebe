"""AWS on `cloudtimeouts import`'s command line: RDS parameter groups and cluster parameter groups,
each in a region (`importer.ImportOptions`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cloudtimeouts.errors import CloudtimeoutsError


class AwsImports:
    """`--aws-parameter-group NAME`, `--aws-cluster-parameter-group NAME`, `--region R`."""

    options = ("--aws-parameter-group", "--aws-cluster-parameter-group", "--region")

    def targets(self, given: Mapping[str, Sequence[str]]) -> list[tuple[str, str, dict[str, str]]]:
        """One region serves every AWS group; several pair in order with the groups, every
        --aws-parameter-group first, then every --aws-cluster-parameter-group."""
        groups = [("parameter_group", g) for g in given.get("--aws-parameter-group", ())]
        groups += [
            ("cluster_parameter_group", g) for g in given.get("--aws-cluster-parameter-group", ())
        ]
        regions = list(given.get("--region", ()))
        if len(regions) not in ((1, len(groups)) if groups else (0,)):
            raise CloudtimeoutsError(
                "--region is only for AWS groups"
                if not groups
                else f"{len(regions) or 'no'} --region for {len(groups)} AWS group(s)",
                hint="give one --region for every --aws-parameter-group and "
                "--aws-cluster-parameter-group, or one per group (in that order)",
            )
        regions = regions * len(groups) if len(regions) == 1 else regions
        return [
            (f"--aws-{key.replace('_', '-')}", name, {"region": region, key: name})
            for (key, name), region in zip(groups, regions, strict=True)
        ]


IMPORTS = AwsImports()
