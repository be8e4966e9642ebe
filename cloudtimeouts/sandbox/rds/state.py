"""Parameter groups as RDS keeps them: the store, pagination and RDS's validation of changes.

The store knows nothing of HTTP or moto: the app calls it under one lock, so that every request
sees and leaves a consistent state. A ModifyDBParameterGroup / ResetDBParameterGroup request is
validated whole first (`prepare_modify` / `prepare_reset`) and only then applied in one step
(`commit`): a request is applied whole or not at all.

Sources (Amazon RDS API Reference unless stated):
- DescribeDBParameters / DescribeDBClusterParameters: MaxRecords 20..100 (default 100), Marker,
  Source user | system | engine-default.
- ModifyDBParameterGroup: "A maximum of 20 parameters can be modified in a single request";
  ApplyMethod `immediate` for dynamic parameters only (API_Parameter).
- Default groups (`default.<family>`) cannot be modified or deleted (RDS User Guide,
  "Working with parameter groups").
- Error codes and wordings seen from real RDS in public reports are cited next to each; wordings
  nobody published are marked UNVERIFIED.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudtimeouts.sandbox.ranges import value_allowed
from cloudtimeouts.sandbox.rds.catalogue import (
    FAMILIES,
    STATIC,
    CatalogueParameter,
    RdsFamily,
    family_catalogue,
)
from cloudtimeouts.sandbox.rds.wire import RdsError

ACCOUNT_ID = "123456789012"  # moto's default account: ARNs here match the ones moto builds
MAX_MODIFY = 20  # API_ModifyDBParameterGroup: "A maximum of 20 parameters ... in a single request"
MIN_RECORDS, MAX_RECORDS = 20, 100  # API_DescribeDBParameters: MaxRecords "Minimum 20, maximum 100"
SOURCES = ("user", "system", "engine-default")  # API_DescribeDBParameters: Source
APPLY_METHODS = ("immediate", "pending-reboot")  # API_Parameter: ApplyMethod
# RDS accepts formulas and functions for numeric parameters (RDS User Guide, "DB parameter
# formulas" and "DB parameter functions": {DBInstanceClassMemory/...}, GREATEST(), LEAST(), SUM()).
_FORMULA = re.compile(r"^(\{[^{}]+\}|(GREATEST|LEAST|SUM)\(.+\))$")


@dataclass
class Group:
    name: str
    family: str
    description: str
    cluster: bool
    values: dict[str, str] = field(default_factory=dict)  # user-set values (Source "user")
    methods: dict[str, str] = field(default_factory=dict)  # the ApplyMethod each was set with
    # A test seam, not RDS behaviour: parameters this group reports as static although the
    # catalogue says dynamic (RDS has no static timeout, so the restart path needs one).
    static: frozenset[str] = frozenset()

    @property
    def is_default(self) -> bool:
        return self.name.startswith("default.")

    def arn(self, region: str) -> str:
        kind = "cluster-pg" if self.cluster else "pg"
        return f"arn:aws:rds:{region}:{ACCOUNT_ID}:{kind}:{self.name}"

    def describe(self, region: str) -> dict[str, str]:
        prefix = "DBClusterParameterGroup" if self.cluster else "DBParameterGroup"
        return {
            f"{prefix}Name": self.name,
            "DBParameterGroupFamily": self.family,
            "Description": self.description,
            f"{prefix}Arn": self.arn(region),
        }

    def apply_type(self, parameter: CatalogueParameter) -> str:
        return STATIC if parameter.name in self.static else parameter.apply_type


def default_group(family: RdsFamily, cluster: bool) -> Group:
    kind = "cluster parameter group" if cluster else "parameter group"
    description = f"Default {kind} for {family.name}"
    return Group(f"default.{family.name}", family.name, description, cluster)


def group_not_found(name: str, cluster: bool) -> RdsError:
    # DBParameterGroupNotFoundFault: code DBParameterGroupNotFound, HTTP 404 (botocore model);
    # "DBParameterGroup not found: X" (terraform-aws-modules/terraform-aws-rds#213).
    kind = "DBClusterParameterGroup" if cluster else "DBParameterGroup"
    return RdsError("DBParameterGroupNotFound", f"{kind} not found: {name}", 404)


def family_of(name: str, cluster: bool) -> RdsFamily:
    family = FAMILIES.get(name)
    if family is None or (cluster and not family.cluster_groups):
        # terraform-aws-modules/terraform-aws-rds#173: the real RDS answer.
        raise RdsError(
            "InvalidParameterValue",
            f"ParameterGroupFamily {name} is not a valid parameter group family",
        )
    return family


def max_records(raw: str | None) -> int:
    if raw is None:
        return MAX_RECORDS
    try:
        number = int(raw)
    except ValueError:
        number = -1
    if not MIN_RECORDS <= number <= MAX_RECORDS:
        # Wording of the real DescribeOrderableDBInstanceOptions answer (bounds 20..1000,
        # hashicorp/terraform-provider-aws#37221), with this action's bounds.
        raise RdsError(
            "InvalidParameterValue",
            f"Invalid value {raw} for MaxRecords. Must be between {MIN_RECORDS} and {MAX_RECORDS}",
        )
    return number


def paginate(items: list[Any], form: Mapping[str, str], scope: str) -> tuple[list[Any], str | None]:
    """One page of `items` and the Marker of the next (None on the last page).

    The Marker is opaque to clients; here it carries the request's scope so that a marker of
    another listing is refused (UNVERIFIED wording).
    """
    size = max_records(form.get("MaxRecords"))
    start = 0
    if form.get("Marker"):
        try:
            decoded = base64.urlsafe_b64decode(form["Marker"]).decode()
            token_scope, _, offset = decoded.rpartition("|")
            start = int(offset)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            token_scope, start = "", -1
        if token_scope != scope or not 0 <= start <= len(items):
            raise RdsError("InvalidParameterValue", "The marker is not valid.")
    end = start + size
    marker = base64.urlsafe_b64encode(f"{scope}|{end}".encode()).decode()
    return items[start:end], marker if end < len(items) else None


@dataclass(frozen=True)
class Change:
    """What a validated request will do to one group (all of it, or nothing)."""

    group: Group
    set_values: Mapping[str, tuple[str, str]]  # name -> (value, apply method)
    removed: tuple[str, ...]
    needs_reboot: bool


class ParameterGroups:
    """Every custom group per region; default groups are made on the fly from the catalogue."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, bool, str], Group] = {}
        # (region, "db" | "cluster", instance identifier, group name) waiting for a reboot
        self.pending: set[tuple[str, str, str, str]] = set()

    def clear(self) -> None:
        self.groups.clear()
        self.pending.clear()

    # -- lookups -----------------------------------------------------------------------------------
    def find(self, region: str, cluster: bool, name: str) -> Group | None:
        """Names are stored in lower case (CreateDBParameterGroup), so a name is found whatever
        its case; that lookups fold case follows from it (not stated by AWS: inferred)."""
        name = name.lower()
        if name.startswith("default."):
            family = FAMILIES.get(name.removeprefix("default."))
            if family is not None and (not cluster or family.cluster_groups):
                return default_group(family, cluster)
        return self.groups.get((region, cluster, name))

    def get(self, region: str, cluster: bool, name: str) -> Group:
        group = self.find(region, cluster, name)
        if group is None:
            raise group_not_found(name, cluster)
        return group

    def all(self, region: str, cluster: bool) -> list[Group]:
        defaults = [
            default_group(family, cluster)
            for family in FAMILIES.values()
            if not cluster or family.cluster_groups
        ]
        created = [g for (r, c, _), g in self.groups.items() if r == region and c == cluster]
        return sorted(defaults + created, key=lambda group: group.name)

    @staticmethod
    def rows(group: Group | None, family: RdsFamily) -> list[dict[str, Any]]:
        """DescribeDBParameters rows: the family's catalogue with the group's values merged."""
        rows = []
        for parameter in family_catalogue(family.name).values():
            row = parameter.row(family)
            if group is not None:
                row["ApplyType"] = group.apply_type(parameter)
                if parameter.name in group.values:
                    row |= {
                        "ParameterValue": group.values[parameter.name],
                        "Source": "user",
                        "ApplyMethod": group.methods.get(parameter.name, "pending-reboot"),
                    }
            rows.append(row)
        return rows

    @staticmethod
    def filter_source(rows: list[dict[str, Any]], source: str | None) -> list[dict[str, Any]]:
        if source is None:
            return rows
        if source not in SOURCES:  # UNVERIFIED wording
            raise RdsError(
                "InvalidParameterValue",
                f"Invalid value {source} for Source. Valid values: {', '.join(SOURCES)}",
            )
        return [row for row in rows if row["Source"] == source]

    # -- groups ------------------------------------------------------------------------------------
    def check_new(self, region: str, group: Group) -> None:
        if self.find(region, group.cluster, group.name) is not None:  # UNVERIFIED wording
            raise RdsError(
                "DBParameterGroupAlreadyExists", f"Parameter group {group.name} already exists"
            )

    def add(self, region: str, group: Group) -> Group:
        self.check_new(region, group)
        self.groups[(region, group.cluster, group.name)] = group
        return group

    def check_deletable(self, group: Group, in_use: bool) -> None:
        if group.is_default:  # "Default DBParameterGroup cannot be deleted: default.x" (team notes)
            kind = "DBClusterParameterGroup" if group.cluster else "DBParameterGroup"
            raise RdsError(
                "InvalidDBParameterGroupState", f"Default {kind} cannot be deleted: {group.name}"
            )
        if in_use:  # UNVERIFIED wording
            raise RdsError(
                "InvalidDBParameterGroupState",
                f"One or more database instances are still members of this parameter group "
                f"{group.name}, so the group cannot be deleted",
            )

    def remove(self, region: str, group: Group) -> None:
        del self.groups[(region, group.cluster, group.name)]
        self.pending = {k for k in self.pending if k[0] != region or k[3] != group.name}

    # -- changes -----------------------------------------------------------------------------------
    @staticmethod
    def _modifiable(group: Group) -> None:
        if group.is_default:
            # ankane/pghero#66; API_ModifyDBParameterGroup: default groups can't be modified.
            raise RdsError("InvalidParameterValue", "Cannot modify a default parameter group.")

    def prepare_modify(self, group: Group, changes: list[dict[str, str]]) -> Change:
        """Validates a whole ModifyDBParameterGroup request; raises the first RDS error."""
        self._modifiable(group)
        if not changes:
            raise RdsError(
                "InvalidParameterValue",
                "The parameter Parameters must be provided and must not be blank.",
            )
        if len(changes) > MAX_MODIFY:
            # hashicorp/terraform-provider-aws#1298, crossplane-contrib/provider-aws#1681.
            raise RdsError(
                "InvalidParameterCombination",
                f"Cannot modify more than {MAX_MODIFY} parameters in a single request",
            )
        catalogue = family_catalogue(group.family)
        accepted: dict[str, tuple[str, str]] = {}
        needs_reboot = False
        for change in changes:
            name = change.get("ParameterName", "")
            parameter = catalogue.get(name)
            if parameter is None:  # hashicorp/terraform#11820
                raise RdsError(
                    "InvalidParameterValue", f"Could not find parameter with name: {name}"
                )
            if not parameter.modifiable:  # UNVERIFIED wording
                raise RdsError("InvalidParameterValue", f"The parameter {name} cannot be modified.")
            static = group.apply_type(parameter) == STATIC
            method = change.get("ApplyMethod") or ("pending-reboot" if static else "immediate")
            if method not in APPLY_METHODS:  # UNVERIFIED wording
                raise RdsError("InvalidParameterValue", f"Invalid apply method: {method}")
            if method == "immediate" and static:
                # API_Parameter: "immediate" is for dynamic parameters only; wording from
                # terraform-aws-modules/terraform-aws-rds#349.
                raise RdsError(
                    "InvalidParameterCombination",
                    "cannot use immediate apply method for static parameter",
                )
            value = change.get("ParameterValue")
            if value is None or not _allowed(parameter, value):  # UNVERIFIED wording
                raise RdsError(
                    "InvalidParameterValue",
                    f"Invalid parameter value: {value} for: {name} allowed values are: "
                    f"{parameter.allowed}",
                )
            accepted[name] = (value, method)
            needs_reboot |= method == "pending-reboot" or static
        return Change(group, accepted, (), needs_reboot)

    def prepare_reset(self, group: Group, names: Iterable[str], reset_all: bool) -> Change:
        """Validates a whole ResetDBParameterGroup request (no ApplyMethod check: UNVERIFIED)."""
        self._modifiable(group)
        wanted = list(group.values) if reset_all else list(names)
        catalogue = family_catalogue(group.family)
        for name in wanted:
            if name not in catalogue:
                raise RdsError(
                    "InvalidParameterValue", f"Could not find parameter with name: {name}"
                )
        static = any(
            group.apply_type(catalogue[name]) == STATIC for name in wanted if name in group.values
        )
        return Change(group, {}, tuple(wanted), static)

    def commit(self, region: str, change: Change, users: Iterable[tuple[str, str]]) -> None:
        """Applies a validated change in one step; `users` wait for a reboot when it needs one."""
        group = change.group
        for name in change.removed:
            group.values.pop(name, None)
            group.methods.pop(name, None)
        for name, (value, method) in change.set_values.items():
            group.values[name] = value
            group.methods[name] = method
        if change.needs_reboot:
            self.pending |= {(region, kind, ident, group.name) for kind, ident in users}

    def clear_pending(self, region: str, identifiers: Iterable[str]) -> None:
        wanted = set(identifiers)
        self.pending = {key for key in self.pending if key[0] != region or key[2] not in wanted}

    def is_pending(self, region: str, kind: str, identifier: str, group: str) -> bool:
        return (region, kind, identifier, group) in self.pending


def _allowed(parameter: CatalogueParameter, value: str) -> bool:
    numeric = parameter.data_type in ("integer", "float")
    if numeric and _FORMULA.match(value.replace(" ", "")):
        return True
    return value_allowed(value, parameter.data_type, parameter.allowed)
