"""Cloud SQL on a fleet (issue #10): a plan lists each project once instead of getting each
instance, counted on the emulator's request log; apply's re-reads still ask instances.get (a
change made between plan and apply is seen); errors stay per target; engine() still answers.

The real google-cloud-sql client over HTTP against FakeCloudSql, as in test_gcp.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import support.profiles as support

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.catalog import Engine
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.plan import Plan
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile
from cloudtimeouts.providers.gcp import GcpAdapter
from cloudtimeouts.providers.gcp import adapter as gcp_adapter
from cloudtimeouts.providers.gcp.target import GcpTarget
from cloudtimeouts.sandbox.loopback import Fault

SERVER = {
    "idle_session_timeout": "10min",
    "idle_in_transaction_session_timeout": "10min",
    "statement_timeout": "30s",
}
API = ("instances.get", "instances.list", "flags.list", "instances.patch", "operations.get")


class Fleet:
    """Instances in several projects of the shared emulator, and the calls made since a mark."""

    def __init__(self, gcp: Any, tmp_path: Path) -> None:
        self.fake, self.base, self.tmp_path = gcp.fake, gcp.project, tmp_path
        self.adapter = GcpAdapter()
        self._mark = len(self.fake.requests)

    def project(self, suffix: str) -> str:
        return f"{self.base}-{suffix}"

    def add(self, project: str, names: Sequence[str], version: str = "POSTGRES_16") -> None:
        flags = {"statement_timeout": "5000"} if version.startswith("POSTGRES") else {}
        for name in names:
            self.fake.add_instance(project, name, version, flags=flags)

    def plan(self, targets: Sequence[tuple[str, str]], *, name: str = "orders") -> Plan:
        path = support.write_profile(
            self.tmp_path,
            name=name,
            server=SERVER,
            targets=[support.gcp_target(project, instance) for project, instance in targets],
        )
        return make_plan([load_profile(path)], adapter_loader=self.loader)

    def loader(self, provider: str) -> GcpAdapter:
        assert provider == "gcp"
        return self.adapter  # one adapter for plan and apply: the use-once rule is its own

    def calls(self) -> Counter[str]:
        """API calls since the last call of `calls` (tokens left out), by operation."""
        requests = self.fake.requests
        counted = Counter(r.operation for r in requests[self._mark :] if r.operation in API)
        self._mark = len(requests)
        return counted


@pytest.fixture
def fleet(gcp: Any, tmp_path: Path) -> Fleet:
    return Fleet(gcp, tmp_path)


def test_twenty_instances_in_two_projects_are_two_listings_and_one_flags_list_per_version(
    fleet: Fleet,
) -> None:
    a, b = fleet.project("a"), fleet.project("b")
    fleet.add(a, [f"pg16-{i}" for i in range(5)])
    fleet.add(a, [f"pg15-{i}" for i in range(5)], "POSTGRES_15")
    fleet.add(b, [f"pg16-{i}" for i in range(10)])
    fleet.add(b, ["not-in-the-plan"])
    targets = [(a, f"pg16-{i}") for i in range(5)] + [(a, f"pg15-{i}") for i in range(5)]
    targets += [(b, f"pg16-{i}") for i in range(10)]
    fleet.calls()

    plan = fleet.plan(targets)

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert len(plan.targets) == 20 and all(len(t.changes) == 3 for t in plan.targets)
    assert {t.state.version for t in plan.targets if t.state} == {"POSTGRES_15", "POSTGRES_16"}
    # Before: 20 instances.get and 2 flags.list (22 calls, 1.1 per target); now 4 (0.2).
    assert fleet.calls() == Counter({"instances.list": 2, "flags.list": 2})


def test_the_cli_plans_a_fleet_with_one_listing_per_project(
    cli: Any, fleet: Fleet, tmp_path: Path
) -> None:
    a = fleet.project("a")
    fleet.add(a, [f"db-{i}" for i in range(12)])
    path = support.write_profile(
        tmp_path, server=SERVER, targets=[support.gcp_target(a, f"db-{i}") for i in range(12)]
    )
    fleet.calls()

    result = cli("plan", path, "--detailed-exitcode")

    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Plan: 36 to change on 12 of 12 target(s), 0 refused, 0 error(s)." in result.stdout
    assert fleet.calls() == Counter({"instances.list": 1, "flags.list": 1})


def test_every_page_of_the_listing_is_read(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcp_adapter, "LIST_PAGE_SIZE", 3)  # 10 instances: 4 pages
    a = fleet.project("a")
    fleet.add(a, [f"db-{i}" for i in range(10)])
    fleet.calls()

    plan = fleet.plan([(a, f"db-{i}") for i in range(10)])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert fleet.calls() == Counter({"instances.list": 4, "flags.list": 1})
    pages = [r for r in fleet.fake.requests if r.operation == "instances.list"][-4:]
    assert [r.query_value("maxResults") for r in pages] == ["3"] * 4


def test_one_instance_of_a_project_is_one_get_not_a_listing(fleet: Fleet) -> None:
    a, b = fleet.project("a"), fleet.project("b")
    fleet.add(a, ["alone"])
    fleet.add(b, ["one", "two"])
    fleet.calls()

    plan = fleet.plan([(a, "alone"), (b, "one"), (b, "two")])

    assert plan.error_count == 0
    assert fleet.calls() == Counter({"instances.get": 1, "instances.list": 1, "flags.list": 1})


def test_apply_re_reads_with_instances_get_and_sees_a_change_made_after_the_plan(
    fleet: Fleet,
) -> None:
    a = fleet.project("a")
    names = [f"db-{i}" for i in range(4)]
    fleet.add(a, names)
    plan = fleet.plan([(a, name) for name in names])
    assert fleet.calls()["instances.list"] == 1
    # Out of band (console, gcloud): the listing read 5000 ms; settingsVersion moves on.
    fleet.fake.set_flags_out_of_band(a, "db-2", {"statement_timeout": "7000"})

    result = apply_plan(plan, adapter_loader=fleet.loader)

    outcomes = {t.id.rpartition("/")[2]: t.outcome for t in result.targets}
    assert outcomes == {"db-0": "applied", "db-1": "applied", "db-2": "changed-since-plan"} | {
        "db-3": "applied"
    }
    calls = fleet.calls()
    # Every target re-read before its write, three confirmed after it: never from the listing.
    assert calls["instances.get"] == 4 + 3 and calls["instances.list"] == 0
    assert calls["instances.patch"] == 3
    assert fleet.fake.flags(a, "db-2") == {"statement_timeout": "7000"}  # nothing written there
    assert fleet.fake.flags(a, "db-0")["statement_timeout"] == "30000"


def test_a_listed_instance_serves_one_read_only(fleet: Fleet) -> None:
    a = fleet.project("a")
    fleet.add(a, ["one", "two"])
    targets = [GcpTarget(provider="gcp", project=a, instance=n) for n in ("one", "two")]
    names = ("statement_timeout",)
    fleet.adapter.expect(targets)
    fleet.calls()

    first = fleet.adapter.read(targets[0], Engine.POSTGRES, names)
    fleet.fake.set_flags_out_of_band(a, "one", {"statement_timeout": "7000"})
    again = fleet.adapter.read(targets[0], Engine.POSTGRES, names)

    assert fleet.calls() == Counter({"instances.list": 1, "flags.list": 1, "instances.get": 1})
    assert first.parameters["statement_timeout"].value == "5000"
    assert again.parameters["statement_timeout"].value == "7000"
    assert (
        int(again.held.revision or 0) == int(first.held.revision or 0) + 1
    )  # a fresh settingsVersion
    fleet.adapter.read(targets[1], Engine.POSTGRES, names)
    assert fleet.calls() == Counter()  # the other instance: from the same listing


def test_a_missing_instance_among_many_is_that_targets_own_not_found(fleet: Fleet) -> None:
    a = fleet.project("a")
    fleet.add(a, ["db-0", "db-1", "db-3"])
    fleet.calls()

    plan = fleet.plan([(a, f"db-{i}") for i in range(4)])

    errors = {t.id.rpartition("/")[2]: t.error for t in plan.targets}
    assert errors["db-0"] is errors["db-1"] is errors["db-3"] is None
    assert errors["db-2"] == (
        f"gcp:{a}:instance/db-2: instances.get failed: instance not found: db-2 does not exist "
        f"in project {a} (404 instanceDoesNotExist: The Cloud SQL instance does not exist.)"
    )
    # Not in the listing: asked by itself, so that the 404 is Cloud SQL's own answer.
    assert fleet.calls() == Counter({"instances.list": 1, "flags.list": 1, "instances.get": 1})


def test_a_refused_listing_falls_back_to_one_get_per_instance(fleet: Fleet) -> None:
    a = fleet.project("a")
    fleet.add(a, ["db-0", "db-1", "db-2"])
    fleet.fake.deny(a, "cloudsql.instances.list")  # a custom role with instances.get only
    fleet.calls()

    plan = fleet.plan([(a, f"db-{i}") for i in range(3)])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert fleet.calls() == Counter({"instances.list": 1, "instances.get": 3, "flags.list": 1})


def test_a_garbled_listing_falls_back_to_one_get_per_instance(fleet: Fleet) -> None:
    a = fleet.project("a")
    fleet.add(a, ["db-0", "db-1", "db-2"])
    fleet.fake.faults.add(Fault.MALFORMED, operation="instances.list", nth=1)
    fleet.calls()

    plan = fleet.plan([(a, f"db-{i}") for i in range(3)])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert fleet.calls() == Counter({"instances.list": 1, "instances.get": 3, "flags.list": 1})


def test_a_throttled_listing_is_retried(fleet: Fleet) -> None:
    a = fleet.project("a")
    fleet.add(a, ["db-0", "db-1", "db-2"])
    fleet.fake.faults.add(Fault.THROTTLE, operation="instances.list", nth=1)
    fleet.fake.faults.add(Fault.SERVER_ERROR, operation="instances.list", nth=1)
    fleet.calls()

    plan = fleet.plan([(a, f"db-{i}") for i in range(3)])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert fleet.calls() == Counter({"instances.list": 3, "flags.list": 1})


def test_a_listing_that_outlasts_its_retries_fails_each_waiting_target_under_its_own_id(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtimeouts.providers import gcp

    monkeypatch.setattr(gcp, "RETRY_DEADLINE_S", 1e-9)  # the first refusal is the last
    a, b = fleet.project("a"), fleet.project("b")
    fleet.add(a, ["db-0", "db-1", "db-2"])
    fleet.add(b, ["alone"])  # read with instances.get: the one listing is a's
    fleet.fake.faults.add(Fault.THROTTLE, operation="instances.list", nth=1)
    fleet.calls()

    plan = fleet.plan([(a, f"db-{i}") for i in range(3)] + [(b, "alone")])

    errors = {t.id: t.error for t in plan.targets}
    for i in range(3):  # one failed listing, said once per target, no get sent after it
        said = errors[f"gcp:{a}:instance/db-{i}"]
        assert said is not None
        assert said.startswith(f"gcp:{a}:instance/db-{i}: instances.list failed: 429"), said
        assert "kept answering 429/503 after retries" in said
    assert errors[f"gcp:{b}:instance/alone"] is None
    assert fleet.calls() == Counter({"instances.list": 1, "instances.get": 1, "flags.list": 1})


def test_engine_names_what_each_instance_runs_and_reads_it_alone(fleet: Fleet) -> None:
    a = fleet.project("a")
    fleet.add(a, ["pg"])
    fleet.add(a, ["my"], "MYSQL_8_0")
    targets = {n: GcpTarget(provider="gcp", project=a, instance=n) for n in ("pg", "my", "gone")}
    fleet.adapter.expect(list(targets.values()))
    fleet.calls()

    assert fleet.adapter.engine(targets["pg"]) is Engine.POSTGRES
    assert fleet.adapter.engine(targets["my"]) is Engine.MYSQL
    with pytest.raises(CloudtimeoutsError, match="instance not found: gone does not exist"):
        fleet.adapter.engine(targets["gone"])
    assert fleet.calls() == Counter({"instances.get": 3})
