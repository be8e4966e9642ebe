"""The plain frozen values every room exchanges: what a target holds, a change, a finding.

Why one module: the core (plan, guard, orchestration), the provider adapters, verify and the
renderings all pass these between them. Keeping them here, with no behaviour beyond small
conversions, is what lets `plan` depend on adapters' output and adapters depend on `plan`'s
output without either importing the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.durations import NativeUnit

ApplyMode = Literal["immediate", "restart"]
# "terraform": the value a Terraform plan will leave (plan --terraform-plan)
CurrentSource = Literal["target", "default", "terraform"]
# What Terraform itself shows for a value it learns only during apply; never guessed.
KNOWN_AFTER_APPLY = "(known after apply)"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing said about one parameter: a guard refusal, a warning, a verify drift."""

    parameter: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"parameter": self.parameter, "message": self.message}


@dataclass(frozen=True, slots=True)
class ParameterState:
    """One parameter as the cloud shows it; every field the cloud leaves out stays None.

    `value` and `default` are strings in the parameter's native unit, exactly as the API shows
    them. `allowed` is the inclusive range the target accepts, in the native unit. `unit` is the
    unit the provider reports for the parameter (some do), so that a provider whose unit
    differs from the catalog's is refused at plan time rather than written in the wrong unit.
    """

    name: str
    value: str | None = None
    default: str | None = None
    allowed: tuple[Decimal, Decimal] | None = None
    apply_type: ApplyType | None = None
    modifiable: bool = True
    pending_restart: bool = False
    value_is_default: bool = False  # the API says the value in effect is the provider's default
    unmodifiable_reason: str | None = None  # why modifiable is False, when the provider says
    unit: str | None = None  # the provider's own unit word, when it reports one


@dataclass(frozen=True, slots=True)
class GroupLayer:
    """One parameter group a database instance takes values from, as a read saw it.

    `key` is the group's target key (`Target.key`: its id as the cloud compares names), so that
    the plan can tell when another profile of the same run manages this group and judge the
    values that profile will leave there. `parameters` holds only what the group sets itself
    (a user-set Source); a parameter it does not set falls through to the next group.
    """

    key: str
    label: str  # "DB parameter group search-1-pg", for messages
    parameters: Mapping[str, ParameterState]

    def fingerprint(self) -> dict[str, str | None]:
        return {name: state.value for name, state in sorted(self.parameters.items())}


@dataclass(frozen=True, slots=True)
class MemberState:
    """A database instance the target's values reach, with the other groups of its chain.

    A member of a cluster may take values from several groups: the first that sets a parameter
    wins, and a parameter none sets is the default on its platform (the adapter that reads the
    chain cites its cloud's rule). `above` are the groups that override the target (for a
    cluster's group: the member's own group), `below` the groups the target overrides (for a
    member's own group: its cluster's). `platform` is the version whose defaults apply there
    (a `cloud.Platform.prefix` and more).
    """

    instance: str  # e.g. "search-1 (cluster search)"
    above: tuple[GroupLayer, ...] = ()
    below: tuple[GroupLayer, ...] = ()
    platform: str = ""

    def fingerprint(self) -> dict[str, object]:
        return {
            "instance": self.instance,
            "above": [(layer.key, layer.fingerprint()) for layer in self.above],
            "below": [(layer.key, layer.fingerprint()) for layer in self.below],
        }


@dataclass(frozen=True, slots=True)
class TargetState:
    """What a read saw: the parameters the profile manages, and the provider facts the core reads.

    `parameters` holds every managed parameter the target has, set or not: a name missing from
    it is one the target does not have (for its engine version), and the plan refuses to set it.

    `restart_notice` is a provider's words on what a restart-bound change means there (e.g. the
    cloud restarts the instance itself); the plan repeats it next to each such change.
    `source` says who set the values: "target" for a read of the cloud (the profile's values
    will be written on top), "terraform" for the values a Terraform plan will leave (then they
    are judged as they are, since nothing of ours will be written).
    `held` is what the adapter read and needs back on write, opaque to the core (an API that
    replaces a whole list under an optimistic lock: every entry read, and the revision the write
    must name so that the cloud refuses it if the target changed). Frozen, like the rest.
    """

    target_id: str
    engine: Engine
    parameters: Mapping[str, ParameterState]
    version: str = ""  # family / databaseVersion / server version, for messages
    restart_notice: str | None = None
    held: object = None
    members: tuple[MemberState, ...] = ()
    source: Literal["target", "terraform"] = "target"

    def fingerprint(self) -> dict[str, object]:
        """What must not change between plan and apply: every value the verdict read, the
        target's own and those of the other groups its instances take values from."""
        own: dict[str, object] = {
            name: state.value for name, state in sorted(self.parameters.items())
        }
        if self.members:
            own["(members)"] = sorted((member.fingerprint() for member in self.members), key=repr)
        return own


@dataclass(frozen=True, slots=True)
class Change:
    """One parameter to write: from `current` to `desired`, both in the native unit.

    `reset` writes by removing the target's own setting, so that the default (`desired`) applies
    again: how rollback restores a parameter that was at its default before an apply, exactly.
    """

    parameter: str
    current: str
    current_source: CurrentSource
    desired: str
    unit: NativeUnit
    apply: ApplyMode
    reason: str
    reset: bool = False

    def to_json(self) -> dict[str, str | bool]:
        shown: dict[str, str | bool] = {"reset": True} if self.reset else {}  # rollback only
        return shown | {
            "parameter": self.parameter,
            "current": self.current,
            "current_source": self.current_source,
            "desired": self.desired,
            "unit": self.unit.symbol,
            "apply": self.apply,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What a write did, in words for the apply report (pending restarts, affected instances)."""

    written: tuple[str, ...]
    pending_restart: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
