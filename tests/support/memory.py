"""An in-memory ProviderAdapter, for testing orchestration without any cloud or emulator.

It keeps parameters per target id and honours the adapter contract: `read` returns every managed
parameter the target has (all of them, less `missing`), `write` writes exactly the changes given.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from cloudtimeouts.catalog import ApplyType, Engine, Provider
from cloudtimeouts.model import Change, ParameterState, TargetState, WriteOutcome
from cloudtimeouts.profile import Target
from cloudtimeouts.providers.base import ProviderAdapter


class MemoryAdapter:
    def __init__(self) -> None:
        self.values: dict[str, dict[str, str]] = {}
        self.static: set[str] = set()  # parameters that take effect only after a restart
        self.missing: set[str] = set()  # parameters the target does not have
        self.writes: list[tuple[str, tuple[str, ...]]] = []

    def read(self, target: Target, engine: Engine, names: Collection[str]) -> TargetState:
        stored = self.values.setdefault(target.id, {})
        return TargetState(
            target.id,
            engine,
            {
                name: ParameterState(
                    name,
                    stored.get(name),
                    apply_type=ApplyType.STATIC if name in self.static else ApplyType.DYNAMIC,
                )
                for name in names
                if name not in self.missing
            },
        )

    def write(self, target: Target, state: TargetState, changes: Sequence[Change]) -> WriteOutcome:
        self.writes.append((target.id, tuple(change.parameter for change in changes)))
        for change in changes:
            stored = self.values.setdefault(target.id, {})
            if change.reset:
                stored.pop(change.parameter, None)
            else:
                stored[change.parameter] = change.desired
        return WriteOutcome(written=tuple(change.parameter for change in changes))

    def endpoint(self, target: Target) -> str:
        return "memory://"

    def loader(self) -> Callable[[Provider], ProviderAdapter]:
        return lambda provider: self
