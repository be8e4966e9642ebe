"""Write profile files the way users write them, for tests in every room."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


def aws_target(group: str, region: str = "eu-west-1", *, cluster: bool = False) -> dict[str, str]:
    key = "cluster_parameter_group" if cluster else "parameter_group"
    return {"provider": "aws", "region": region, key: group}


def gcp_target(project: str, instance: str) -> dict[str, str]:
    return {"provider": "gcp", "project": project, "instance": instance}


def azure_target(subscription: str, resource_group: str, server: str) -> dict[str, str]:
    return {
        "provider": "azure",
        "subscription_id": subscription,
        "resource_group": resource_group,
        "server": server,
    }


def profile_text(
    *,
    name: str = "orders",
    engine: str = "postgres",
    conn_max_age: str = "5min",
    health_checks: bool | None = None,
    margin: str | None = None,
    server: Mapping[str, str] | str | None = None,
    targets: Sequence[Mapping[str, str]] = (),
) -> str:
    """A profile in block YAML, one key per line (so that file:line errors are predictable).

    `server` is a mapping, or YAML lines already indented under `server:` (to test spellings).
    """
    lines = [f"name: {name}", f"engine: {engine}", "django:", f"  conn_max_age: {conn_max_age}"]
    if health_checks is not None:
        lines.append(f"  conn_health_checks: {str(health_checks).lower()}")
    if margin is not None:
        lines += ["guard:", f"  margin: {margin}"]
    if isinstance(server, str):
        lines += ["server:", *server.rstrip("\n").splitlines()] if server else ["server: {}"]
    else:
        lines += ["server:", *(f"  {key}: {value}" for key, value in (server or {}).items())]
        if not server:
            lines[-1] = "server: {}"
    lines.append("targets:" if targets else "targets: []")
    for target in targets:
        first, *rest = target.items()
        lines.append(f"  - {first[0]}: {first[1]}")
        lines += [f"    {key}: {value}" for key, value in rest]
    return "\n".join(lines) + "\n"


def write_profile(directory: Path, filename: str | None = None, **fields: object) -> Path:
    """`profile_text(**fields)` written to DIRECTORY/FILENAME (default: NAME.yaml)."""
    path = directory / (filename or f"{fields.get('name', 'orders')}.yaml")
    path.write_text(profile_text(**fields))  # type: ignore[arg-type]
    return path
