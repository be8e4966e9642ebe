"""The contract every provider adapter fulfils, and the plain data it exchanges with the core."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from cloudtimeouts.catalog import ApplyType, Engine

if TYPE_CHECKING:
    from cloudtimeouts.plan import Change
    from cloudtimeouts.profile import Target


@dataclass(frozen=True, slots=True)
class ParameterState:
    """One parameter as the cloud shows it; every field the cloud leaves out stays None.

    `value` and `default` are strings in the parameter's native unit, exactly as the API shows
    them. `allowed` is the inclusive range the target accepts, in the native unit.
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


@dataclass(frozen=True, slots=True)
class TargetState:
    """What a read saw: the parameters the profile manages, plus provider facts in `extra`."""

    target_id: str
    engine: Engine
    parameters: Mapping[str, ParameterState]
    version: str = ""  # family / databaseVersion / server version, for messages
    extra: Mapping[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> dict[str, str | None]:
        """What must not change between plan and apply."""
        return {name: state.value for name, state in sorted(self.parameters.items())}


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What a write did, in words for the apply report (pending restarts, affected instances)."""

    written: tuple[str, ...]
    pending_restart: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class ProviderAdapter(Protocol):
    """Translate between a cloud API and the core's plain data. Nothing more.

    `read` paginates fully and raises a CloudtimeoutsError on any failure: it never returns a
    partial or empty result in place of an error. `write` performs exactly the changes it is given
    (already planned and guarded) and never diffs.
    """

    def read(self, target: Target, engine: Engine, names: Collection[str]) -> TargetState: ...

    def write(
        self, target: Target, state: TargetState, changes: Sequence[Change]
    ) -> WriteOutcome: ...
