"""An in-memory ProviderAdapter, for testing orchestration without any cloud or emulator.

It keeps parameters per target id and honours the adapter contract: `read` returns every managed
parameter the target has (all of them, less `missing`), `write` writes exactly the changes given.
`members` are the database instances a target's values reach (an Aurora cluster's members, with
the other groups of their chains), returned by every read as the cloud would show them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.journal import Journal
from cloudtimeouts.model import Change, MemberState, ParameterState, TargetState, WriteOutcome
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import Target, load_profile
from cloudtimeouts.providers.base import ProviderAdapter
from support.profiles import aws_target, write_profile


class MemoryAdapter:
    def __init__(self) -> None:
        self.values: dict[str, dict[str, str]] = {}
        self.static: set[str] = set()  # parameters that take effect only after a restart
        self.missing: set[str] = set()  # parameters the target does not have
        self.engines: dict[str, Engine] = {}  # target id -> engine (default postgres)
        self.members: dict[str, tuple[MemberState, ...]] = {}  # target id -> its instances
        self.expected: list[str] = []
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
            members=self.members.get(target.id, ()),
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

    def expect(self, targets: Sequence[Target]) -> None:
        self.expected = [target.id for target in targets]

    def engine(self, target: Target) -> Engine:
        return self.engines.get(target.id, Engine.POSTGRES)

    def loader(self) -> Callable[[str], ProviderAdapter]:
        return lambda provider: self


GROUP_ID = "aws:eu-west-1:parameter-group/orders-pg16"


def applied(tmp_path: Path, memory: MemoryAdapter) -> Path:
    """Apply a two-parameter profile to orders-pg16 with a journal; the journal's path."""
    profile = load_profile(
        write_profile(
            tmp_path,
            server={"idle_session_timeout": "10min", "statement_timeout": "30s"},
            targets=[aws_target("orders-pg16")],
        )
    )
    path = tmp_path / "journal.jsonl"
    plan = make_plan([profile], adapter_loader=memory.loader())
    with Journal(path) as journal:
        apply_plan(plan, adapter_loader=memory.loader(), journal=journal)
    return path
