"""Faults on every cloud: every write accounted for, in bounded time (issue #9, items 2, 3, 7).

Each test runs the real CLI in-process against the emulators with the loopback server's fault
switch, then reads each target's values fresh from the emulator and holds the report against
them (`support.clouds.check_accounting`): every planned change is written, not written or
unknown; "written" is exactly what changed; "unknown" only where the truth could not be read; a
failed target has one error line and the others are still applied; exit 0 only when every target
was applied. Beyond that accounting, each fault case names the exact outcome it must leave
(WRITE_FAULT_OUTCOME, FOLLOWUP_FAULT_OUTCOME): which changes are written, not written and
unknown, and why. A single fault fires once (`nth`), on the write or on one read of the run, so
that the orchestration's own reconciling read is answered.

Only the adapters' back-off and timeouts are shortened (module constants, as the GCP fixture
does), never the SDK clients themselves.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.clouds import (
    ApplyRun,
    AwsCloud,
    AzureMysqlCloud,
    AzurePostgresCloud,
    Cloud,
    GcpCloud,
    Values,
    check_accounting,
    run_apply,
)
from support.memory import MemoryAdapter
from support.profiles import aws_target, profile_text, write_profile

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.journal import Journal, read_entries
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile
from cloudtimeouts.sandbox.loopback import Fault

CLOUDS = ("aws", "gcp", "azure-postgres", "azure-mysql")
# Signing in: once per credential for every target of a run (providers.flight), not per target.
SIGN_IN = frozenset({"oauth.token", "openid-configuration", "token"})
SINGLE = (Fault.THROTTLE, Fault.SERVER_ERROR, Fault.LOST_RESPONSE, Fault.RESET, Fault.MALFORMED)
# What a fault on the write must leave on the target it hits (the other target is applied):
# the outcome and which of the planned changes are written, not written and unknown, from the
# apply contract (DESIGN.md, "Apply's guarantees"; orchestration: only a re-read that shows a
# value makes it written; a request that may have reached the cloud and that no read settles
# is unknown, never resent blindly when it is not idempotent).
APPLIED, FAILED = "applied", "failed"
ALL, NONE, FIRST, REST = "all", "none", "first", "rest"  # of the planned changes, in order
WRITE_FAULT_OUTCOME: dict[str, dict[Fault, tuple[str, str, str, str]]] = {
    # ModifyDBParameterGroup sets absolute values: botocore resends it after a 429, a 5xx, a
    # lost answer, a reset or a garbled answer, and the re-read confirms every value.
    "aws": {fault: (APPLIED, ALL, NONE, NONE) for fault in SINGLE},
    # instances.patch is never resent after an answer that may hide a write; the adapter reads
    # the instance and its operations to learn what happened.
    "gcp": {
        Fault.THROTTLE: (APPLIED, ALL, NONE, NONE),  # a 429 processes nothing: resent
        Fault.SERVER_ERROR: (FAILED, NONE, ALL, NONE),  # a 503 before anything was processed
        Fault.LOST_RESPONSE: (APPLIED, ALL, NONE, NONE),  # processed; the operation is found
        Fault.RESET: (FAILED, NONE, ALL, NONE),  # cut before anything was processed
        Fault.MALFORMED: (APPLIED, ALL, NONE, NONE),  # processed; the operation is found
    },
    # One configuration at a time (configurations.update, a long-running operation each).
    "azure-postgres": {
        Fault.THROTTLE: (APPLIED, ALL, NONE, NONE),  # azure-core waits Retry-After and resends
        Fault.SERVER_ERROR: (APPLIED, ALL, NONE, NONE),  # resent: a PUT of the same value
        Fault.LOST_RESPONSE: (APPLIED, ALL, NONE, NONE),  # resent, and the value reads back
        # The connection dropped after the request was sent: azure-core does not resend it, the
        # operation it may have started is listed nowhere, and the value still reads as before:
        # the first change is in flight (unknown); the second was never sent.
        Fault.RESET: (FAILED, NONE, REST, FIRST),
        # A garbled answer to the first update, which was carried out (the re-read shows it):
        # written; the target stops there, the second is not written.
        Fault.MALFORMED: (FAILED, FIRST, REST, NONE),
    },
    # Every configuration in one request (configurations.batchUpdate).
    "azure-mysql": {
        Fault.THROTTLE: (APPLIED, ALL, NONE, NONE),
        Fault.SERVER_ERROR: (APPLIED, ALL, NONE, NONE),
        Fault.LOST_RESPONSE: (APPLIED, ALL, NONE, NONE),
        Fault.RESET: (FAILED, NONE, NONE, ALL),  # the whole batch is in flight
        Fault.MALFORMED: (APPLIED, ALL, NONE, NONE),  # carried out, and the re-read shows it
    },
}


def parameters(cloud: Cloud, which: str) -> list[str]:
    """The planned changes named by ALL, NONE, FIRST or REST, in the order they are written."""
    planned = list(cloud.desired)
    return {ALL: planned, NONE: [], FIRST: planned[:1], REST: planned[1:]}[which]


def outcome(target: dict[str, Any]) -> tuple[str, list[str], list[str], list[str]]:
    return (target["outcome"], target["written"], target["not_written"], target["unknown"])


_calls_per_plan: dict[tuple[str, int], dict[str, int]] = {}


@pytest.fixture
def fast_azure(monkeypatch: pytest.MonkeyPatch, fake_azure: Any) -> None:
    from cloudtimeouts.providers.azure import clients, operations

    # the fake's Retry-After is 0
    monkeypatch.setattr(operations, "OPERATIONS", replace(operations.OPERATIONS, poll_s=0))
    monkeypatch.setattr(clients, "CALLS", replace(clients.CALLS, backoff_s=0.01))
    # 429s carry Retry-After: 0 (then azure-core's back-off applies); the write test sets 1 s.
    monkeypatch.setattr(fake_azure, "throttle_retry_after", 0)


def make_cloud(request: pytest.FixtureRequest, name: str) -> Cloud:
    if name == "aws":
        return AwsCloud(request.getfixturevalue("aws"))
    if name == "gcp":
        return GcpCloud(request.getfixturevalue("gcp"))
    request.getfixturevalue("fast_azure")
    fake = request.getfixturevalue("azure")
    return AzurePostgresCloud(fake) if name == "azure-postgres" else AzureMysqlCloud(fake)


@pytest.fixture(params=CLOUDS)
def cloud(request: pytest.FixtureRequest) -> Cloud:
    return make_cloud(request, request.param)


def calls_per_plan(cloud: Cloud, cli: Any, profile: Path, targets: int) -> dict[str, int]:
    """How many calls of each operation a fault-free plan of `targets` targets makes (measured
    once per cloud): `apply` plans first, so call N+1 is the first of its re-read before writing."""
    key = (cloud.name, targets)
    if key not in _calls_per_plan:
        before = cloud.calls()
        assert cli("plan", profile).exit_code == 0
        after = cloud.calls()
        _calls_per_plan[key] = {op: after.get(op, 0) - before.get(op, 0) for op in after}
    return _calls_per_plan[key]


def fired(cloud: Cloud) -> list[tuple[str, Fault]]:
    return list(cloud.fake.faults.fired)


@pytest.mark.parametrize("fault", SINGLE, ids=str)
def test_a_fault_on_the_write_is_accounted_for(
    cli: Any, cloud: Cloud, tmp_path: Path, fault: Fault, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = cloud.create_targets(2)
    before = {name: cloud.values(name) for name in names}
    cloud.fake.faults.add(fault, operation=cloud.write_operation, nth=1)
    if cloud.name.startswith("azure"):
        monkeypatch.setattr(cloud.fake, "throttle_retry_after", 1)  # ARM's 429: when to retry

    run = run_apply(cli, [cloud.profile(tmp_path, names)], tmp_path / "journal")

    assert fired(cloud) == [(cloud.write_operation, fault)]
    if cloud.name.startswith("azure") and fault is Fault.THROTTLE:
        assert run.seconds >= 1
    expected, written, not_written, unknown = WRITE_FAULT_OUTCOME[cloud.name][fault]
    hit = (
        expected,
        parameters(cloud, written),
        parameters(cloud, not_written),
        parameters(cloud, unknown),
    )
    applied = (APPLIED, parameters(cloud, ALL), [], [])
    results = [outcome(run.target(cloud.target_id(name))) for name in names]
    assert sorted(results) == sorted([hit, applied]), run.report
    ended = check_accounting(cloud, run, before, unknown_allowed=bool(unknown != NONE))
    assert sorted(ended.values()) == ([True, True] if expected == APPLIED else [False, True])
    if expected == FAILED:
        (failed,) = [t for t in run.report["targets"] if t["outcome"] != "applied"]  # type: ignore[index]
        assert cloud.write_operation.split(".")[-1] in failed["error"] or cloud.name.startswith(
            "azure"  # Azure's messages say what was being done: "could not set X to Y"
        )
        assert cloud.endpoint() in failed["error"] or fault is Fault.SERVER_ERROR
    if isinstance(cloud, GcpCloud):  # never a blind resend: one patch per instance (429 aside)
        patches = sorted(cloud.patches(name) for name in names)
        assert patches == ([1, 2] if fault is Fault.THROTTLE else [1, 1])


@pytest.mark.parametrize("fault", SINGLE, ids=str)
def test_a_fault_on_each_read_before_the_write_is_accounted_for(
    cli: Any, cloud: Cloud, tmp_path: Path, fault: Fault
) -> None:
    # One target more than read operations: each fault stops at most one target, so that every
    # operation is still called (and its fault fired) in apply's re-read, and one target is left.
    # The sign-in is every target's at once (one token request per credential): its own test.
    reads = [operation for operation in cloud.read_operations if operation not in SIGN_IN]
    names = cloud.create_targets(len(reads) + 1)
    profile = cloud.profile(tmp_path, names)
    planned = calls_per_plan(cloud, cli, profile, len(names))
    before = {name: cloud.values(name) for name in names}
    for operation in reads:  # each read fails once, in apply's re-read
        # A plan may not call it at all (Cloud SQL's instances.get, when instances.list serves
        # the plan): then its first call is the re-read's.
        cloud.fake.faults.add(fault, operation=operation, nth=planned.get(operation, 0) + 1)

    run = run_apply(cli, [profile], tmp_path / "journal")

    assert {operation for operation, _ in fired(cloud)} == set(reads)
    ended = check_accounting(cloud, run, before)
    assert any(ended.values()), run.report  # at least one target went through
    for target in run.report["targets"]:  # type: ignore[index]
        if target["outcome"] != "applied":  # stopped by its read: nothing was sent
            assert target["not_written"] and not target["written"], target
            assert cloud.endpoint() in target["error"] or "credentials" in target["error"]


@pytest.mark.parametrize("cloud_name", ["gcp", "azure-postgres"])
@pytest.mark.parametrize("fault", SINGLE, ids=str)
def test_a_fault_on_the_sign_in_is_every_waiting_targets_one_error_or_none(
    cli: Any, request: pytest.FixtureRequest, tmp_path: Path, fault: Fault, cloud_name: str
) -> None:
    """Apply's targets share one sign-in (one token request per credential, while it runs).
    A fault its SDK retries (429, 5xx, a lost answer, a reset) costs nothing; one it cannot (a
    garbled answer) fails every target that waited for that sign-in, each with its own error
    naming the cause, and nothing of theirs is sent to the API. A target that asks once the
    failed sign-in has ended asks again (a failure is not kept): on a loaded machine the targets
    do not all start within the few milliseconds a garbled answer takes."""
    cloud = make_cloud(request, cloud_name)
    names = cloud.create_targets(4)
    profile = cloud.profile(tmp_path, names)
    planned = calls_per_plan(cloud, cli, profile, len(names))
    before = {name: cloud.values(name) for name in names}
    signs_in = [operation for operation in cloud.read_operations if operation in SIGN_IN]
    assert all(planned.get(operation) == 1 for operation in signs_in), planned  # one per plan
    first = signs_in[0]  # Azure: MSAL's discovery of the authority, then the token request
    cloud.fake.faults.add(fault, operation=first, nth=planned[first] + 1)
    writes_before = cloud.calls().get(cloud.write_operation, 0)

    run = run_apply(cli, [profile], tmp_path / "journal")

    assert fired(cloud) == [(first, fault)]
    ended = check_accounting(cloud, run, before)
    if fault is not Fault.MALFORMED:  # retried by the credential's own policy
        assert all(ended.values()), run.report
        return
    failed = [name for name, correct in ended.items() if not correct]
    assert failed, run.report  # the first sign-in failed the targets waiting for it
    writes = cloud.calls().get(cloud.write_operation, 0) - writes_before
    assert writes == (len(names) - len(failed)) * (
        len(cloud.desired) if cloud.name == "azure-postgres" else 1
    )
    for name in failed:
        target = run.target(cloud.target_id(name))
        assert target["error"].startswith(cloud.target_id(name)), target
        assert "credentials" in target["error"] or "token" in target["error"], target
        assert sorted(target["not_written"]) == sorted(cloud.desired), target


def test_a_garbled_read_after_the_write_reports_it_unconfirmed_never_written(
    cli: Any, cloud: Cloud, tmp_path: Path
) -> None:
    # Throttling, 5xx, lost answers and resets of a read are retried by every adapter (the test
    # above shows it): only a garbled answer can fail the confirming re-read. Only a re-read
    # confirms a write, so without one the changes are unknown (the journal says so, and
    # rollback restores them), never "written".
    (name,) = cloud.create_targets(1)
    profile = cloud.profile(tmp_path, [name])
    per_read = calls_per_plan(cloud, cli, profile, 1)[cloud.value_operation]
    before = {name: cloud.values(name)}
    cloud.fake.faults.add(Fault.MALFORMED, operation=cloud.value_operation, nth=2 * per_read + 1)

    run = run_apply(cli, [profile], tmp_path / "journal")

    assert fired(cloud) == [(cloud.value_operation, Fault.MALFORMED)]
    assert check_accounting(cloud, run, before, unknown_allowed=True) == {name: True}
    target = run.target(cloud.target_id(name))
    assert target["outcome"] == "failed", target
    assert (target["written"], set(target["unknown"])) == ([], set(cloud.desired)), target
    assert target["error"].startswith("the write was sent, but the re-read to confirm it failed")
    assert cloud.endpoint() in target["error"]
    outcomes = {e.get("outcome") for e in read_entries(tmp_path / "journal") if "outcome" in e}
    assert outcomes == {"intent", "unknown"}


def test_a_garbled_answer_after_the_write_was_sent_is_accounted_for(
    cli: Any, cloud: Cloud, tmp_path: Path
) -> None:
    # The call a write makes once its request is out: polling the operation (Cloud SQL, Azure),
    # listing the group's users for a note (RDS). The operation may still run, so the truth is
    # read once it has ended. (429/5xx/lost answers to these calls are retried: see the 20 %
    # test.)
    (name,) = cloud.create_targets(1)
    before = {name: cloud.values(name)}
    cloud.fake.faults.add(Fault.MALFORMED, operation=cloud.write_followup, nth=1)

    run = run_apply(cli, [cloud.profile(tmp_path, [name])], tmp_path / "journal")
    if isinstance(cloud, GcpCloud):
        cloud.fake.complete_operations()  # Cloud SQL ends it by itself (Azure's ends when read)

    expected, written, not_written, unknown = FOLLOWUP_FAULT_OUTCOME[cloud.name]
    assert outcome(run.target(cloud.target_id(name))) == (
        expected,
        parameters(cloud, written),
        parameters(cloud, not_written),
        parameters(cloud, unknown),
    ), run.report
    ended = check_accounting(cloud, run, before, unknown_allowed=unknown != NONE)
    # what the cloud holds in the end: every unknown change did land (the operation ran)
    assert ended == {name: not_written == NONE}


# A garbled answer to the call a write makes once its request is out (see the test above).
FOLLOWUP_FAULT_OUTCOME = {
    "aws": (APPLIED, ALL, NONE, NONE),  # only the note (which instances use the group) is lost
    # The operation's status is unreadable and it may still run: the patch is not resent, and
    # the re-read that follows cannot tell a running operation from a failed one: unknown.
    "gcp": (FAILED, NONE, NONE, ALL),
    # The first update's operation could not be followed; the re-read shows its value (the
    # fake ends an operation when it is read): written, and the target stops before the second.
    "azure-postgres": (FAILED, FIRST, REST, NONE),
    "azure-mysql": (APPLIED, ALL, NONE, NONE),  # the batch's re-read confirms every value
}


def test_a_write_whose_operation_may_still_run_is_not_called_not_written(
    cli: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # The patch's answer is lost (Cloud SQL made the operation) and listing the operations to
    # settle them fails: the adapter says in flight. The operation ends a little later.
    cloud = make_cloud(request, "gcp")
    (name,) = cloud.create_targets(1)
    before = {name: cloud.values(name)}
    cloud.fake.faults.add(Fault.LOST_RESPONSE, operation="instances.patch", nth=1)
    cloud.fake.faults.add(Fault.MALFORMED, operation="operations.list", nth=1)

    run = run_apply(cli, [cloud.profile(tmp_path, [name])], tmp_path / "journal")
    target = run.target(cloud.target_id(name))
    cloud.fake.complete_operations()  # what Cloud SQL does by itself

    assert sorted(target["unknown"]) == sorted(cloud.desired), target  # not "not written"
    check_accounting(cloud, run, before, unknown_allowed=True)


# -- black holes: bounded time ------------------------------------------------------------------
@contextlib.contextmanager
def left_behind() -> Iterator[list[BaseException]]:
    """Collects what target threads left behind at their deadline raise; waits for them to end
    (within this test: pytest's own hook is restored afterwards)."""
    caught: list[BaseException] = []
    hook = threading.excepthook
    threading.excepthook = lambda args: caught.append(args.exc_value)  # type: ignore[assignment]
    try:
        yield caught
        deadline = time.monotonic() + 30
        for thread in threading.enumerate():
            if thread.name.startswith("target-"):
                thread.join(max(0.0, deadline - time.monotonic()))
    finally:
        threading.excepthook = hook


def every_cloud(request: pytest.FixtureRequest) -> list[Cloud]:
    return [make_cloud(request, name) for name in CLOUDS]


def profiles_of(
    clouds: list[Cloud], tmp_path: Path, per_cloud: int
) -> tuple[list[Path], dict[str, list[str]]]:
    """One profile per engine naming `per_cloud` new targets of each cloud of that engine."""
    names = {cloud.name: cloud.create_targets(per_cloud) for cloud in clouds}
    paths = []
    for engine in ("postgres", "mysql"):
        group = [cloud for cloud in clouds if cloud.engine == engine]
        path = tmp_path / f"{engine}.yaml"
        path.write_text(
            profile_text(
                name=engine,
                engine=engine,
                server=group[0].server,
                targets=[cloud.target(name) for cloud in group for name in names[cloud.name]],
            )
        )
        paths.append(path)
    return paths, names


def accounted(cloud: Cloud, run: ApplyRun, before: dict[str, Values]) -> None:
    """`written` is what changed; what changed and was not said written is unknown."""
    for name, was in before.items():
        reported = run.target(cloud.target_id(name))
        now = cloud.values(name)
        changed = {p for p in cloud.desired if now[p] != was[p]}
        assert set(reported["written"]) <= changed, (reported, now)
        assert changed <= set(reported["written"] + reported["unknown"]), (reported, now)


def test_a_black_holed_write_ends_at_the_deadline_as_unknown(
    cli: Any, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtimeouts.providers.aws import clients as aws
    from cloudtimeouts.providers.azure import clients as azure
    from cloudtimeouts.providers.gcp import clients as gcp

    # The adapters' own budgets stay longer than --timeout (the deadline must be what ends the
    # run) but short, so that the targets left behind end within this test.
    # (Twice what a quiet machine needs: on a loaded one, the suite's other workers or other
    # suites beside it, a healthy call took more than 3 s.)
    monkeypatch.setattr(aws, "CALLS", replace(aws.CALLS, total_s=14.0))  # 2 attempts of 7 s
    monkeypatch.setattr(aws, "MIN_READ_TIMEOUT_S", 1.0)
    monkeypatch.setattr(aws, "BACKOFF_ALLOWANCE_S", 0.0)
    monkeypatch.setattr(gcp, "CALLS", replace(gcp.CALLS, connect_s=7.0, read_s=7.0))
    monkeypatch.setattr(azure, "CALLS", replace(azure.CALLS, read_s=7.0, total_s=2.0))
    clouds = every_cloud(request)
    profiles, names = profiles_of(clouds, tmp_path, 2)
    before = {c.name: {n: c.values(n) for n in names[c.name]} for c in clouds}
    for cloud in clouds:
        cloud.fake.faults.add(Fault.BLACK_HOLE, operation=cloud.write_operation, nth=1)

    with left_behind() as leftovers:
        run = run_apply(cli, profiles, tmp_path / "journal", timeout=6)

    assert 6 <= run.seconds < 6 + 6, run.seconds
    assert run.exit_code == 1 and "Traceback" not in run.stdout + run.stderr
    for cloud in clouds:
        results = [run.target(cloud.target_id(name)) for name in names[cloud.name]]
        (silent,) = [target for target in results if target["outcome"] != "applied"]
        assert silent["outcome"] == "failed" and not silent["written"], silent
        assert sorted(silent["unknown"]) == sorted(cloud.desired), silent
        endpoint = cloud.endpoint()
        if cloud.name.startswith("azure"):
            endpoint += f" (sign-in: {cloud.fake.authority_host})"
        assert silent["error"] == (
            f"no answer from {endpoint} in time while writing; run plan to see what was written"
        )
        accounted(cloud, run, before[cloud.name])  # after the ones left behind ended, too
    assert not leftovers, leftovers  # those left behind ended quietly


@pytest.fixture
def short_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every adapter's own per-call budget, scaled down from about 50 s to about 6 s (3 s was
    enough on a quiet machine; a loaded one, with the suite's other workers or other suites
    beside it, ended healthy calls)."""
    from cloudtimeouts.providers.aws import clients as aws
    from cloudtimeouts.providers.azure import clients as azure
    from cloudtimeouts.providers.gcp import clients as gcp

    # 2 attempts (AWS_MAX_ATTEMPTS) of 3 s
    monkeypatch.setattr(aws, "CALLS", replace(aws.CALLS, total_s=6.0))
    monkeypatch.setattr(aws, "MIN_READ_TIMEOUT_S", 1.0)
    monkeypatch.setattr(aws, "BACKOFF_ALLOWANCE_S", 0.0)
    monkeypatch.setattr(gcp, "CALLS", replace(gcp.CALLS, connect_s=3.0, read_s=3.0))
    monkeypatch.setattr(gcp, "SIGN_IN", replace(gcp.SIGN_IN, connect_s=3.0, read_s=3.0))
    monkeypatch.setattr(azure, "CALLS", replace(azure.CALLS, read_s=3.0, total_s=2.0))


@pytest.mark.usefixtures("short_budgets")
def test_each_adapter_bounds_a_silent_endpoint_by_itself(
    cli: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Every answer to the first call of each target is black-holed (the token's, where there is
    # one), --timeout is far away: the adapters' own timeouts and retry budgets end the targets.
    clouds = every_cloud(request)
    profiles, names = profiles_of(clouds, tmp_path, 1)
    first = {"aws": "DescribeDBParameterGroups", "gcp": "oauth.token", "azure-postgres": "token"}
    for cloud in clouds[:3]:  # azure-mysql shares azure-postgres's emulator and token
        cloud.fake.faults.add(Fault.BLACK_HOLE, operation=first[cloud.name], rate=1.0)

    started = time.monotonic()
    result = cli("plan", *profiles, "--output", "json")
    seconds = time.monotonic() - started

    assert seconds < 20, seconds
    assert result.exit_code == 1 and "Traceback" not in result.stdout + result.stderr
    errors = {target["id"]: target["error"] for target in json.loads(result.stdout)["targets"]}
    said = {cloud.name: errors[cloud.target_id(names[cloud.name][0])] for cloud in clouds}
    for cloud in clouds:
        assert "--timeout" not in said[cloud.name]  # not the orchestration's deadline
        assert cloud.endpoint() in said[cloud.name], said
    assert "DescribeDBParameterGroups failed: no usable answer from" in said["aws"]
    assert "Read timeout" in said["aws"]
    assert (
        f"instances.get not sent: no answer in time from {clouds[1].endpoint()}/token"
        in (said["gcp"])
    )
    for name in ("azure-postgres", "azure-mysql"):
        assert "could not read the server: no usable Azure credentials (sign-in:" in said[name]


@pytest.mark.usefixtures("short_budgets")
def test_a_silent_write_is_ended_by_the_adapter_and_reconciled(
    cli: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    clouds = every_cloud(request)
    profiles, names = profiles_of(clouds, tmp_path, 1)
    before = {c.name: {n: c.values(n) for n in names[c.name]} for c in clouds}
    for cloud in clouds:
        cloud.fake.faults.add(Fault.BLACK_HOLE, operation=cloud.write_operation, nth=1)

    with left_behind() as leftovers:
        run = run_apply(cli, profiles, tmp_path / "journal")

    assert run.seconds < 24, run.seconds
    assert not leftovers
    for cloud in clouds:
        accounted(cloud, run, before[cloud.name])
        target = run.target(cloud.target_id(names[cloud.name][0]))
        if cloud.name == "aws":  # the SDK resent the idempotent Modify after the read timeout
            assert target["outcome"] == "applied", target
            continue
        # Never resent. Cloud SQL's operations.list shows nothing running: not written. Azure
        # has no such list and may still run an operation it accepted: unknown, in flight.
        assert target["outcome"] == "failed" and not target["written"], target
        assert f"no answer in time from {cloud.endpoint()}" in target["error"], target
        if cloud.name == "gcp":
            assert sorted(target["not_written"]) == sorted(cloud.desired), target
        else:
            assert target["unknown"], target


# -- a 20 % fault rate --------------------------------------------------------------------------
def test_plan_and_apply_under_a_20_percent_fault_rate(
    cli: Any, cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)  # the adapter's default: 6 attempts
    if cloud.name.startswith("azure"):
        monkeypatch.setattr(cloud.fake, "throttle_retry_after", 0)  # azure-core's back-off then
    names = cloud.create_targets(3)
    profile = cloud.profile(tmp_path, names)
    clean = json.loads(cli("plan", profile, "--output", "json").stdout)
    before = {name: cloud.values(name) for name in names}
    seed = sum(map(ord, cloud.name))
    idempotent = set(cloud.read_operations) | {cloud.write_followup}
    if cloud.name == "aws":
        idempotent.add(cloud.write_operation)  # absolute values: the SDK resends it
    for operation in sorted(idempotent):
        cloud.fake.faults.add(Fault.LOST_RESPONSE, operation=operation, rate=0.07, seed=seed)
    cloud.fake.faults.add(Fault.THROTTLE, rate=0.07, seed=seed + 1)
    cloud.fake.faults.add(Fault.SERVER_ERROR, rate=0.07, seed=seed + 2)

    faulty = cli("plan", profile, "--output", "json")
    run = run_apply(cli, [profile], tmp_path / "journal")

    assert json.loads(faulty.stdout) == clean, faulty.stdout
    assert len(fired(cloud)) >= 3  # the switch did fire
    # Each target is applied, unless one call failed through every retry. Before the write was
    # processed (a read before it, the write refused, or on Cloud SQL a 5xx on the patch, which is
    # never resent): not written. After it was sent (the read that confirms it): its changes are
    # unknown (they may have landed: only a re-read confirms a write), never "written", and
    # rollback restores them. check_accounting holds each set against the cloud's own values.
    # Which target fails depends on the order in which the concurrent targets' requests meet the
    # seeded faults.
    for name in names:
        target = run.target(cloud.target_id(name))
        sent = (target["error"] or "").startswith("the write was sent, but the re-read")
        if target["outcome"] == APPLIED:
            assert outcome(target) == (APPLIED, parameters(cloud, ALL), [], []), target
        elif sent:
            assert outcome(target) == (FAILED, [], [], parameters(cloud, ALL)), target
        else:
            assert outcome(target) == (FAILED, [], parameters(cloud, ALL), []), target
            assert "after retries" in target["error"] or "failed: 503" in target["error"], target
    check_accounting(cloud, run, before, unknown_allowed=True)


# -- the orchestration -----------------------------------------------------------------------------
def test_a_target_left_behind_at_its_deadline_ends_quietly(tmp_path: Path) -> None:
    class Slow(MemoryAdapter):
        def write(self, *args: Any) -> Any:
            time.sleep(0.6)
            return super().write(*args)

    adapter = Slow()
    path = write_profile(tmp_path, server={"statement_timeout": "30s"}, targets=[aws_target("a")])
    plan = make_plan([load_profile(path)], adapter_loader=adapter.loader())
    with left_behind() as leftovers:
        with Journal(tmp_path / "journal") as journal:
            result = apply_plan(plan, adapter_loader=adapter.loader(), journal=journal, timeout=0.2)
        assert result.targets[0].unknown == ("statement_timeout",)
    assert not leftovers, leftovers
