"""Read the JSON of `terraform show -json PLANFILE` (or `tofu show -json`) into plain records.

The format is Terraform's documented "JSON Output Format"
(developer.hashicorp.com/terraform/internals/json-format), which OpenTofu keeps: a top-level
`format_version` whose major version we must check ("Reject any input which reports an unsupported
major version"; unknown properties are ignored for forward compatibility), and `resource_changes`,
one entry per resource instance with `change.actions`, `change.after` (the values the plan leaves;
an unknown value is left out of it), `change.after_unknown` and `change.after_sensitive` (the same
shape, `true` where a value is known only after apply / must not be displayed; a whole set is
sensitive when one element is). Changes Terraform defers to a later plan are in
`deferred_changes`; what `after` lacks about where a resource lives (a server created by the same
plan, a provider alias's region) comes from the plan's `configuration` (see `configuration`).

This module reads what every plan has in common; which resource types hold a target's values,
and how their attributes become a `Resource`, is each cloud's `TerraformMapping` (`mapping`),
which cites its provider's documentation. It knows nothing of profiles (see `judge`).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.plan import STANDARD_INPUT
from cloudtimeouts.terraform import mapping
from cloudtimeouts.terraform.configuration import Configuration
from cloudtimeouts.terraform.values import UNKNOWN, Malformed, Unknown, Value, Values

MAX_PLAN_BYTES = 256 << 20  # a plan of thousands of resources is tens of MiB


class TerraformPlanError(CloudtimeoutsError):
    """The file is not a Terraform/OpenTofu JSON plan this version can read."""


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource instance of a judged type, as the plan will leave it.

    `where` holds what locates it, in the cloud's terms (a region, a project, a server); a key
    is absent when the plan does not say, and UNKNOWN when it says only after apply. `values`
    maps each parameter the resource sets to its value. A resource that holds its target's whole
    list of parameters (`whole_list`) lists every one that is not at its default, so a name it
    lacks is at its default, unless `unknown_names`: an entry's name, or the whole list, is
    known only after apply, and may be any parameter.
    """

    address: str
    type: str
    name: str | Unknown
    where: Mapping[str, str | Unknown] = field(default_factory=dict)
    values: Mapping[str, Value] = field(default_factory=dict)
    version: str = ""  # the engine version or family it says, when known
    version_unknown: bool = False  # known only after apply: defaults that depend on it are too
    unknown_names: bool = False
    deleted: bool = False  # destroyed by the plan; `values` are then what it held before
    sensitive: frozenset[str] = frozenset()  # names whose values must never be shown
    deferred: str = ""  # why Terraform deferred its change to a later plan (deferred_changes)


@dataclass(frozen=True, slots=True)
class TerraformPlan:
    """The judged resources of a plan, and an index of them by the name a target is found by
    (lower case, `TerraformMapping.key`), so that matching a fleet to a large plan is not
    targets x resources. `related`: what each cloud's mapping read once from the whole plan for
    its own judgements (`TerraformMapping.related`), by cloud name."""

    path: str
    terraform_version: str
    resources: tuple[Resource, ...]
    by_name: Mapping[str, tuple[Resource, ...]] = field(default_factory=dict, repr=False)
    related: Mapping[str, tuple[Any, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls,
        path: Path | str,
        version: str,
        resources: Sequence[Resource],
        related: Mapping[str, tuple[Any, ...]] | None = None,
    ) -> TerraformPlan:
        index: dict[str, list[Resource]] = {}
        for resource in resources:
            key = mapping.of_type(resource.type).key(resource)
            if key is not None:
                index.setdefault(key, []).append(resource)
        by_name = {key: tuple(found) for key, found in index.items()}
        return cls(str(path), version, tuple(resources), by_name, dict(related or {}))


def load_plan(path: Path) -> TerraformPlan:
    """The judged resources of a plan; a TerraformPlanError saying what to run instead.

    `-` reads standard input: `terraform show -json tfplan | cloudtimeouts plan ... -`.
    """
    try:
        if str(path) == "-":
            raw = sys.stdin.buffer.read(MAX_PLAN_BYTES + 1)
            path = Path(STANDARD_INPUT)
        else:
            with path.open("rb") as stream:
                raw = stream.read(MAX_PLAN_BYTES + 1)
    except OSError as error:
        raise TerraformPlanError(f"{path}: cannot read the plan: {error.strerror}") from None
    if len(raw) > MAX_PLAN_BYTES:
        raise TerraformPlanError(f"{path}: larger than {MAX_PLAN_BYTES >> 20} MiB")
    if raw.startswith(b"PK"):
        raise TerraformPlanError(
            f"{path}: this is a binary plan file; give its JSON: "
            f"terraform show -json {path} > plan.json"
        )
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as error:
        where = f" (line {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise TerraformPlanError(
            f"{path}: not JSON{where}; give the output of terraform show -json PLANFILE"
        ) from None
    return _plan(path, document)


def plan_from_document(document: Any, source: str = "<terraform plan>") -> TerraformPlan:
    """`load_plan` for a plan already parsed (`json.loads` of `terraform show -json`): the same
    checks, with `source` naming it in messages. Read as JSON, so only JSON values count."""
    try:
        raw = json.dumps(document, allow_nan=False).encode()
    except (TypeError, ValueError, RecursionError) as error:
        raise TerraformPlanError(f"{source}: not a JSON document: {error}") from None
    if len(raw) > MAX_PLAN_BYTES:
        raise TerraformPlanError(f"{source}: larger than {MAX_PLAN_BYTES >> 20} MiB")
    return _plan(Path(source), json.loads(raw))


def _plan(path: Path, document: Any) -> TerraformPlan:
    if not isinstance(document, dict) or "format_version" not in document:
        raise TerraformPlanError(
            f"{path}: not a Terraform JSON plan (no format_version); give the output of "
            "terraform show -json PLANFILE"
        )
    version = str(document["format_version"])
    if version.split(".")[0] != "1":
        older = (
            ", which Terraform 1.1 and later and OpenTofu print; plan and show it with one of those"
            if version.startswith("0.")
            else ""
        )
        raise TerraformPlanError(
            f"{path}: plan format version {version} is not supported (cloudtimeouts reads "
            f"1.x{older})"
        )
    if "resource_changes" not in document and "planned_values" not in document:
        raise TerraformPlanError(
            f"{path}: this is a Terraform state, not a plan; run terraform plan -out=PLANFILE, "
            "then terraform show -json PLANFILE"
        )
    if document.get("errored"):
        raise TerraformPlanError(
            f"{path}: Terraform could not finish this plan (errored); its values are incomplete"
        )
    changes = document.get("resource_changes") or []
    if not isinstance(changes, list):
        raise TerraformPlanError(f"{path}: resource_changes is not a list")
    entries = [(c, "") for c in changes if isinstance(c, dict) and _judged(c)]
    entries += [  # Terraform 1.10+: changes left to a later plan, not in resource_changes
        (c, str(d.get("reason") or "unknown"))
        for d in document.get("deferred_changes") or []
        if isinstance(d, dict) and isinstance(c := d.get("resource_change"), dict) and _judged(c)
    ]
    afters = {
        str(c.get("address")): _after(c)[0]
        for c in changes
        if isinstance(c, dict) and c.get("mode", "managed") == "managed" and not c.get("deposed")
    }
    configuration = Configuration(document, afters)
    resources = []
    for entry, deferred in entries:
        try:
            resources.append(
                dataclasses.replace(_resource(entry, configuration), deferred=deferred)
            )
        except Malformed as bad:
            raise TerraformPlanError(
                f"{path}: {entry.get('address')}: {bad.attribute} is a JSON {bad.kind}, not "
                f"{bad.expected} as the {entry.get('type')} resource documents it; give the "
                "output of terraform show -json PLANFILE, unedited"
            ) from None
        except (AttributeError, TypeError, KeyError, IndexError):
            raise TerraformPlanError(
                f"{path}: {entry.get('address')}: not shaped as the {entry.get('type')} resource "
                "is documented"
            ) from None
    version = str(document.get("terraform_version", ""))
    related = {name: found.related(configuration) for name, found in mapping.mappings().items()}
    return TerraformPlan.of(path, version, resources, related)


def _judged(entry: dict[str, Any]) -> bool:
    return (
        entry.get("mode", "managed") == "managed"
        and entry.get("type") in mapping.judged_types()
        and not entry.get("deposed")  # an old object on its way out
    )


def _after(entry: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """The values a resource instance has after the plan, their unknown-markers and their
    sensitive-markers (`true` where Terraform says a value must not be displayed)."""
    change = entry.get("change") or {}
    actions = change.get("actions") or []
    if actions == ["forget"]:  # Terraform stops managing it; the object stays as it was
        return change.get("before"), None, change.get("before_sensitive")
    return change.get("after"), change.get("after_unknown"), change.get("after_sensitive")


def _resource(entry: dict[str, Any], configuration: Configuration) -> Resource:
    address, kind = str(entry["address"]), str(entry["type"])
    after, unknown, sensitive = _after(entry)
    if after is None:  # destroyed, not replaced: found by what it was
        change = entry.get("change") or {}
        before = Values(change.get("before"), None, change.get("before_sensitive"))
        gone = _parsed(address, kind, before, configuration)
        return dataclasses.replace(gone, deleted=True)  # values: what it held
    return _parsed(address, kind, Values(after, unknown, sensitive), configuration)


def _parsed(address: str, kind: str, values: Values, configuration: Configuration) -> Resource:
    return mapping.of_type(kind).resource(address, kind, values, configuration)


def whole_list(
    address: str,
    kind: str,
    values: Values,
    version_key: str,
    entries: list[Values],
    names_unknown: bool,
    **where: str,
) -> Resource:
    """A resource holding its target's whole list of {name, value} entries (`named`), its
    version in the required string `version_key`, located by the attributes `where` names."""
    version = values.string(version_key)
    found, sensitive, unnamed = named(entries)
    return Resource(
        address,
        kind,
        values.name(),
        where=values.where(**where),
        values=found,
        version=version if isinstance(version, str) and not values.sensitive(version_key) else "",
        version_unknown=isinstance(version, Unknown),
        unknown_names=names_unknown or unnamed,
        sensitive=frozenset(sensitive),
    )


def named(entries: list[Values]) -> tuple[dict[str, Value], set[str], bool]:
    """name -> value of {name, value} entries, the names whose values are sensitive, and
    whether an entry's name is known only after apply (it may be any parameter). One name given
    two values is unknown: which one the cloud keeps is not something to guess. Both are
    required strings where a mapping uses this (each cites its provider's schema): any other
    JSON type is `Malformed`, never a parameter at its default."""
    found: dict[str, Value] = {}
    sensitive: set[str] = set()
    unnamed = False
    for entry in entries:
        name, value = entry.string("name"), entry.string("value")
        if isinstance(name, Unknown):
            unnamed = True
            continue
        found[name] = value if found.get(name, value) == value else UNKNOWN
        if entry.sensitive("value"):
            sensitive.add(name)
    return found, sensitive, unnamed
