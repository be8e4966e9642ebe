"""Azure flexible servers on a fleet (issue #10): a plan lists each resource group's servers once
per engine instead of getting each server, counted on the emulator's request log; apply's
re-reads still call Servers - Get (a change made between plan and apply is seen); errors stay per
target; engine() still answers.

When ARM refuses the listing (a 404, or a role without the list permission), the adapter reads
each server by itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import support.profiles as support

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.catalog import Engine
from cloudtimeouts.errors import TargetNotAllowedError
from cloudtimeouts.plan import Plan
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile
from cloudtimeouts.providers.azure import AzureAdapter
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.sandbox.azure import FakeAzure
from cloudtimeouts.sandbox.loopback import Fault

SUB = "00000000-0000-0000-0000-0000000000f1"
LIST = "servers.listByResourceGroup"
API = (LIST, "servers.get", "configurations.listByServer", "configurations.get", "unknown")
SERVER = {
    "postgres": {"idle_in_transaction_session_timeout": "10min", "statement_timeout": "30s"},
    "mysql": {"wait_timeout": "10min", "interactive_timeout": "10min"},
}


class Fleet:
    """Servers in resource groups of the emulator, and the ARM calls made since a mark."""

    def __init__(self, fake: FakeAzure, tmp_path: Path) -> None:
        self.fake, self.tmp_path = fake, tmp_path
        self.adapter = AzureAdapter(poll_interval=0)
        self._mark = 0

    def add(self, rg: str, names: Sequence[str], engine: str = "postgres") -> None:
        for name in names:
            self.fake.add_server(SUB, rg, name, engine)

    def plan(self, engine: str, targets: Sequence[tuple[str, str]]) -> Plan:
        path = support.write_profile(
            self.tmp_path,
            name=engine,
            engine=engine,
            server=SERVER[engine],
            targets=[support.azure_target(SUB, rg, server) for rg, server in targets],
        )
        return make_plan([load_profile(path)], adapter_loader=self.loader)

    def plan_both(
        self, postgres: Sequence[tuple[str, str]], mysql: Sequence[tuple[str, str]]
    ) -> Plan:
        paths = [
            support.write_profile(
                self.tmp_path,
                name=engine,
                engine=engine,
                server=SERVER[engine],
                targets=[support.azure_target(SUB, rg, server) for rg, server in targets],
            )
            for engine, targets in (("postgres", postgres), ("mysql", mysql))
        ]
        return make_plan([load_profile(p) for p in paths], adapter_loader=self.loader)

    def loader(self, provider: str) -> AzureAdapter:
        assert provider == "azure"
        return self.adapter  # one adapter for plan and apply: the use-once rule is its own

    def calls(self) -> Counter[str]:
        """ARM calls since the last call of `calls` (sign-in left out), by operation."""
        requests = self.fake.requests
        counted = Counter(r.operation for r in requests[self._mark :] if r.operation in API)
        self._mark = len(requests)
        return counted


@pytest.fixture
def fleet(azure: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fleet:
    from cloudtimeouts.providers.azure import clients

    monkeypatch.setattr(clients, "CALLS", replace(clients.CALLS, backoff_s=0.01))
    monkeypatch.setattr(azure, "throttle_retry_after", 0)  # then azure-core's back-off applies
    return Fleet(azure, tmp_path)


def test_twenty_servers_in_two_resource_groups_are_one_listing_per_group_and_engine(
    fleet: Fleet,
) -> None:
    fleet.add("prod", [f"pg-{i}" for i in range(10)])
    fleet.add("stage", [f"pg-{i}" for i in range(6)])
    fleet.add("stage", [f"my-{i}" for i in range(4)], "mysql")
    fleet.add("stage", ["not-in-the-plan"])
    postgres = [("prod", f"pg-{i}") for i in range(10)] + [("stage", f"pg-{i}") for i in range(6)]
    mysql = [("stage", f"my-{i}") for i in range(4)]
    fleet.calls()

    plan = fleet.plan_both(postgres, mysql)

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert len(plan.targets) == 20 and all(t.changes for t in plan.targets)
    versions = {t.state.version for t in plan.targets if t.state}
    assert versions == {"PostgreSQL 16", "MySQL 8.0.21"}, versions
    # Before: 20 servers.get + 20 configuration listings (2 per target); now 3 + 20 (1.15).
    assert fleet.calls() == Counter({LIST: 3, "configurations.listByServer": 20})


def test_every_page_of_the_servers_listing_is_read(fleet: Fleet) -> None:
    fleet.fake.servers_page_size = 4  # 10 servers: 3 pages
    fleet.add("prod", [f"pg-{i}" for i in range(10)])
    fleet.calls()

    plan = fleet.plan("postgres", [("prod", f"pg-{i}") for i in range(10)])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert fleet.calls() == Counter({LIST: 3, "configurations.listByServer": 10})


def test_one_server_of_a_resource_group_is_one_get_not_a_listing(fleet: Fleet) -> None:
    fleet.add("prod", ["alone"])
    fleet.add("stage", ["one", "two"])
    fleet.calls()

    plan = fleet.plan("postgres", [("prod", "alone"), ("stage", "one"), ("stage", "two")])

    assert plan.error_count == 0
    assert fleet.calls() == Counter({"servers.get": 1, LIST: 1, "configurations.listByServer": 3})


def test_apply_re_reads_with_servers_get_and_sees_a_change_made_after_the_plan(
    fleet: Fleet,
) -> None:
    names = [f"pg-{i}" for i in range(4)]
    fleet.add("prod", names)
    plan = fleet.plan("postgres", [("prod", name) for name in names])
    assert fleet.calls()[LIST] == 1
    fleet.fake.set_out_of_band(SUB, "prod", "pg-2", "statement_timeout", "7000")  # the portal

    result = apply_plan(plan, adapter_loader=fleet.loader)

    outcomes = {t.id.rpartition("/")[2]: t.outcome for t in result.targets}
    assert outcomes == {"pg-0": "applied", "pg-1": "applied", "pg-2": "changed-since-plan"} | {
        "pg-3": "applied"
    }
    calls = fleet.calls()
    # Every target re-read before its write, three confirmed after it: never from the listing.
    assert calls["servers.get"] == 4 + 3 and calls[LIST] == 0
    assert calls["configurations.listByServer"] == 4 + 3
    state = fleet.fake.configuration(SUB, "prod", "pg-2", "statement_timeout")
    assert state["properties"]["value"] == "7000"  # nothing written there
    state = fleet.fake.configuration(SUB, "prod", "pg-0", "statement_timeout")
    assert state["properties"]["value"] == "30000"


def test_a_missing_server_and_one_of_the_other_engine_among_many_are_their_own_errors(
    fleet: Fleet,
) -> None:
    fleet.add("prod", ["pg-0", "pg-1", "pg-3"])
    fleet.add("prod", ["my-0"], "mysql")
    fleet.calls()

    plan = fleet.plan("postgres", [("prod", n) for n in ("pg-0", "pg-1", "pg-2", "pg-3", "my-0")])

    errors = {t.id.rpartition("/")[2]: t.error for t in plan.targets}
    assert errors["pg-0"] is errors["pg-1"] is errors["pg-3"] is None
    missing = errors["pg-2"] or ""
    assert missing.startswith(f"azure:{SUB}:prod:server/pg-2: could not read the server: "), missing
    assert "ResourceNotFound" in missing
    assert errors["my-0"] == (
        f"azure:{SUB}:prod:server/my-0: my-0 is an Azure Database for MySQL flexible server, but "
        "the profile's engine is postgres (hint: point the target at a server of the profile's "
        "engine)"
    )
    # Not in the listing: each asked by itself (and the other engine's API asked whose it is).
    assert fleet.calls() == Counter(
        {LIST: 1, "servers.get": 2 + 2, "configurations.listByServer": 3}
    )


def test_without_the_listing_each_server_is_read_by_itself(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtimeouts.sandbox.azure import arm

    monkeypatch.setattr(arm, "_is_server_listing", lambda parts: False)  # ARM answers 404
    # The emulator as it is answers the listing with ARM's 404 InvalidResourceType: set aside.
    fleet.add("prod", [f"pg-{i}" for i in range(3)])
    fleet.calls()

    plan = fleet.plan("postgres", [("prod", f"pg-{i}") for i in range(3)])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert fleet.calls() == Counter(
        {"unknown": 1, "servers.get": 3, "configurations.listByServer": 3}
    )


def test_a_garbled_listing_is_set_aside(fleet: Fleet) -> None:
    fleet.add("prod", [f"pg-{i}" for i in range(3)])
    fleet.fake.faults.add(Fault.MALFORMED, operation=LIST, nth=1)
    fleet.calls()

    plan = fleet.plan("postgres", [("prod", f"pg-{i}") for i in range(3)])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert fleet.calls() == Counter({LIST: 1, "servers.get": 3, "configurations.listByServer": 3})


def test_a_throttled_listing_is_retried(fleet: Fleet) -> None:
    fleet.add("prod", [f"pg-{i}" for i in range(3)])
    fleet.fake.faults.add(Fault.THROTTLE, operation=LIST, nth=1)
    fleet.fake.faults.add(Fault.SERVER_ERROR, operation=LIST, nth=1)
    fleet.calls()

    plan = fleet.plan("postgres", [("prod", f"pg-{i}") for i in range(3)])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert fleet.calls() == Counter({LIST: 3, "configurations.listByServer": 3})


def test_a_listing_that_outlasts_its_retries_fails_each_waiting_target_under_its_own_id(
    fleet: Fleet,
) -> None:
    fleet.add("prod", [f"pg-{i}" for i in range(3)])
    fleet.add("stage", ["alone"])
    fleet.fake.faults.add(Fault.THROTTLE, operation=LIST, rate=1.0)  # every attempt
    fleet.calls()

    plan = fleet.plan("postgres", [("prod", f"pg-{i}") for i in range(3)] + [("stage", "alone")])

    errors = {t.id: t.error for t in plan.targets}
    for i in range(3):  # one failed listing, said once per target, no get sent after it
        said = errors[f"azure:{SUB}:prod:server/pg-{i}"] or ""
        assert said.startswith(
            f"azure:{SUB}:prod:server/pg-{i}: could not read the server: TooManyRequests"
        ), said
        assert "Azure kept throttling after retries" in said
    assert errors[f"azure:{SUB}:stage:server/alone"] is None
    # One listing, retried by azure-core's RetryPolicy, then given up; one get for stage.
    calls = fleet.calls()
    assert calls[LIST] > 1 and calls["servers.get"] == 1, calls
    assert calls["configurations.listByServer"] == 1, calls


def test_engine_names_what_each_server_runs_and_reads_it_alone(fleet: Fleet) -> None:
    fleet.add("prod", ["pg"])
    fleet.add("prod", ["my"], "mysql")
    targets = {
        name: AzureTarget(provider="azure", subscription_id=SUB, resource_group="prod", server=name)
        for name in ("pg", "my", "gone")
    }
    fleet.adapter.expect(list(targets.values()))
    fleet.calls()

    assert fleet.adapter.engine(targets["pg"]) is Engine.POSTGRES
    assert fleet.adapter.engine(targets["my"]) is Engine.MYSQL
    with pytest.raises(TargetNotAllowedError, match="no PostgreSQL or MySQL flexible server gone"):
        fleet.adapter.engine(targets["gone"])
    # PostgreSQL's API first, then MySQL's: 1 + 2 + 2 gets, and no listing.
    assert fleet.calls() == Counter({"servers.get": 5})


def test_reads_at_once_keep_their_connections_for_the_next_reads(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """16 reads at once through one management client keep their 16 connections for the reads
    that follow: requests' default pool kept 10 and closed the others after their calls (the next
    reads paid a new TLS handshake each)."""
    import urllib3.connectionpool

    opened = Counter[str]()
    new_conn = urllib3.connectionpool.HTTPSConnectionPool._new_conn

    def counted(pool: urllib3.connectionpool.HTTPSConnectionPool) -> object:
        opened[f"{pool.host}:{pool.port}"] += 1
        return new_conn(pool)

    monkeypatch.setattr(urllib3.connectionpool.HTTPSConnectionPool, "_new_conn", counted)
    monkeypatch.setattr(fleet.fake.server, "latency", 0.2)  # the 16 reads are in flight at once
    names = [f"pg-{i}" for i in range(16)]
    fleet.add("prod", names)
    first = fleet.plan("postgres", [("prod", name) for name in names])
    assert first.error_count == 0, [t.error for t in first.targets if t.error]
    opened.clear()

    again = fleet.plan("postgres", [("prod", name) for name in names])

    assert again.error_count == 0, [t.error for t in again.targets if t.error]
    assert sum(opened.values()) == 0, opened
