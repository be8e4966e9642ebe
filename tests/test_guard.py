"""The guard: effective values, refusals, and the messages users act on."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudtimeouts import guard
from cloudtimeouts.catalog import Engine, idle_parameters
from cloudtimeouts.durations import Duration
from cloudtimeouts.model import Finding

S = Duration.of_seconds


def observed(seconds: int, source: guard.ValueSource = "target") -> guard.Observed:
    return guard.Observed(S(seconds), str(seconds), source)


def test_the_catalogue_marks_exactly_the_transaction_idle_timeouts_of_docs_guard_md_3() -> None:
    marked = {
        (engine, spec.name)
        for engine in Engine
        for spec in idle_parameters(engine)
        if spec.in_transaction
    }
    assert marked == {
        (Engine.POSTGRES, "idle_in_transaction_session_timeout"),
        (Engine.MARIADB, "idle_transaction_timeout"),
        (Engine.MARIADB, "idle_write_transaction_timeout"),
        (Engine.MARIADB, "idle_readonly_transaction_timeout"),
    }


def test_effective_value_prefers_profile_then_target_then_default() -> None:
    effective = guard.effective_idle_timeouts(
        Engine.MYSQL,
        declared={"wait_timeout": S(600)},
        current={"wait_timeout": observed(60), "interactive_timeout": observed(120)},
    )
    assert effective["wait_timeout"] == guard.Observed(S(600), "600", "profile")
    assert effective["interactive_timeout"].source == "target"
    effective = guard.effective_idle_timeouts(Engine.MYSQL, {}, {})
    assert effective["wait_timeout"] == guard.Observed(S(28800), "28800", "default")


@pytest.mark.parametrize(
    ("engine", "names"),
    [
        (Engine.POSTGRES, {"idle_session_timeout", "idle_in_transaction_session_timeout"}),
        (Engine.MYSQL, {"wait_timeout", "interactive_timeout"}),
        (
            Engine.MARIADB,
            {
                "wait_timeout",
                "interactive_timeout",
                "idle_transaction_timeout",
                "idle_write_transaction_timeout",
                "idle_readonly_transaction_timeout",
            },
        ),
    ],
)
def test_the_guard_watches_exactly_the_idle_timeouts_of_design(
    engine: Engine, names: set[str]
) -> None:
    assert {spec.name for spec in idle_parameters(engine)} == names


@pytest.mark.parametrize(
    ("conn_max_age", "margin", "timeout", "refused"),
    [
        (300, 0, 301, False),
        (300, 0, 300, True),  # equal is unsafe: the server may close first
        (300, 30, 331, False),
        (300, 30, 330, True),
        (0, 0, 1, False),  # Django closes after each request
        (None, 0, 86400, True),  # unlimited is refused by any enabled timeout
        (None, 0, 0, False),  # ...but a disabled timeout closes nothing
        (10**6, 0, 0, False),
    ],
)
def test_check_table(conn_max_age: int | None, margin: int, timeout: int, refused: bool) -> None:
    effective = {"wait_timeout": observed(timeout, "profile")}
    violations = guard.check(Engine.MYSQL, conn_max_age, S(margin), effective, "t")
    assert bool(violations) is refused


def test_a_refusal_names_target_parameter_value_unit_and_source() -> None:
    effective = {"idle_session_timeout": guard.Observed(S(60), "60000", "target")}
    (violation,) = guard.check(Engine.POSTGRES, 300, S(30), effective, "aws:x:parameter-group/g")
    assert violation.parameter == "idle_session_timeout"
    assert violation.message == (
        "aws:x:parameter-group/g: idle_session_timeout = 60000 ms (60 s, set on the target) "
        "is not above CONN_MAX_AGE 300 s plus the margin of 30 s (330 s in all). The server "
        "closes a connection once it has been idle for 60 s, and Django may hand such a "
        "connection to a request, which then fails. Raise idle_session_timeout above 330 s, or "
        "lower conn_max_age below 30 s."
    )


def test_unlimited_says_so() -> None:
    effective = {"wait_timeout": observed(28800, "default")}
    (violation,) = guard.check(Engine.MYSQL, None, S(0), effective, "t")
    assert "CONN_MAX_AGE is unlimited" in violation.message
    assert "the default in effect" in violation.message


@given(
    conn_max_age=st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)),
    margin=st.integers(min_value=0, max_value=10**5),
    timeouts=st.lists(st.integers(min_value=0, max_value=10**8), min_size=2, max_size=2),
)
def test_refused_exactly_when_an_enabled_timeout_is_within_reach(
    conn_max_age: int | None, margin: int, timeouts: list[int]
) -> None:
    names = ["wait_timeout", "interactive_timeout"]
    effective = {name: observed(value) for name, value in zip(names, timeouts, strict=True)}
    within = {
        name
        for name, value in zip(names, timeouts, strict=True)
        if value and (conn_max_age is None or conn_max_age + margin >= value)
    }
    # Aurora MySQL closes idle sessions at the smaller of the two: both are judged there
    aurora = guard.check(
        Engine.MYSQL, conn_max_age, S(margin), effective, "t", platform="aurora-mysql8.0"
    )
    assert {v.parameter for v in aurora} == within
    # elsewhere interactive_timeout is a client's choice Django does not make: a note, no refusal
    notes: list[Finding] = []
    plain = guard.check(Engine.MYSQL, conn_max_age, S(margin), effective, "t", notes=notes)
    assert {v.parameter for v in plain} == within - {"interactive_timeout"}
    assert {n.parameter for n in notes} == within & {"interactive_timeout"}


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_raising_the_timeout_never_creates_a_refusal(conn_max_age: int, timeout: int) -> None:
    low = guard.check(Engine.MYSQL, conn_max_age, S(0), {"wait_timeout": observed(timeout)}, "t")
    high = guard.check(
        Engine.MYSQL, conn_max_age, S(0), {"wait_timeout": observed(timeout * 2)}, "t"
    )
    assert len(high) <= len(low)


def _advice(message: str) -> tuple[int, int | None]:
    """The bounds a refusal's last sentence gives: raise above R s; lower below L s (if any)."""
    raise_to = re.search(r"Raise wait_timeout above (\d+) s", message)
    lower_to = re.search(r"or lower conn_max_age below (\d+) s\.$", message)
    assert raise_to is not None, message
    return int(raise_to.group(1)), int(lower_to.group(1)) if lower_to else None


@given(
    conn_max_age=st.integers(min_value=0, max_value=10**6),
    margin=st.integers(min_value=0, max_value=10**4),
    timeout=st.integers(min_value=1, max_value=10**6),
)
def test_a_refusal_says_what_to_change_and_its_bounds_are_right(
    conn_max_age: int, margin: int, timeout: int
) -> None:
    """Three sentences: what is wrong, why a request fails, what to change. Following either
    change it names makes the guard accept; it never advises lowering when that cannot help."""
    found = guard.check(
        Engine.MYSQL, conn_max_age, S(margin), {"wait_timeout": observed(timeout)}, "t"
    )
    if conn_max_age + margin < timeout:
        assert found == []
        return
    (refusal,) = found
    wrong, why, change = refusal.message.split(". ")
    assert wrong.startswith(f"t: wait_timeout = {timeout} s (set on the target) is not above ")
    assert why == (
        f"The server closes a connection once it has been idle for {timeout} s, and Django may "
        "hand such a connection to a request, which then fails"
    )
    above, below = _advice(refusal.message)
    assert above == conn_max_age + margin
    accept = guard.check(
        Engine.MYSQL, conn_max_age, S(margin), {"wait_timeout": observed(above + 1)}, "t"
    )
    assert accept == []
    if below is None:  # the margin alone reaches the timeout: no CONN_MAX_AGE would do
        assert margin >= timeout and "cannot help while the margin alone" in change
        return
    assert below == timeout - margin > 0
    assert (
        guard.check(Engine.MYSQL, below - 1, S(margin), {"wait_timeout": observed(timeout)}, "t")
        == []
    )


def test_every_duration_of_a_refusal_is_in_seconds() -> None:
    effective = {"idle_session_timeout": guard.Observed(S(3600), "3600000", "target")}
    (refusal,) = guard.check(Engine.POSTGRES, 7200, S(90), effective, "t")
    assert refusal.message == (
        "t: idle_session_timeout = 3600000 ms (3600 s, set on the target) is not above "
        "CONN_MAX_AGE 7200 s plus the margin of 90 s (7290 s in all). The server closes a "
        "connection once it has been idle for 3600 s, and Django may hand such a connection to a "
        "request, which then fails. Raise idle_session_timeout above 7290 s, or lower "
        "conn_max_age below 3510 s."
    )


def test_unlimited_advice_leaves_room_for_the_margin() -> None:
    # CONN_MAX_AGE + margin must stay below the timeout: 600 s - 30 s, not 600 s
    (refusal,) = guard.check(Engine.MYSQL, None, S(30), {"wait_timeout": observed(600)}, "t")
    assert refusal.message.endswith("Set conn_max_age below 570 s, or disable wait_timeout.")
    (refusal,) = guard.check(Engine.MYSQL, None, S(30), {"wait_timeout": observed(20)}, "t")
    assert refusal.message.endswith(
        "Disable wait_timeout, or raise it above the margin (30 s) and set conn_max_age below "
        "the difference."
    )


def test_a_disabled_transaction_idle_timeout_is_no_note_even_without_a_budget() -> None:
    # docs/guard.md 6: every *enabled* transaction-idle timeout is a note when no budget is
    # declared; a 0 (disabled) one closes nothing, and saying it "closes a connection" is false.
    from cloudtimeouts.offline import judge_offline
    from cloudtimeouts.profile import parse_profile

    for engine in ("postgres", "mariadb"):
        bare = parse_profile(f"name: a\nengine: {engine}\ndjango: {{conn_max_age: 0}}\n")
        verdict = judge_offline(bare)
        assert (verdict.refusals, verdict.notes) == ((), ())
    enabled = parse_profile(
        "name: a\nengine: postgres\ndjango: {conn_max_age: 0}\n"
        "server: {idle_in_transaction_session_timeout: 1min}\n"
    )
    (note,) = judge_offline(enabled).notes
    assert "proves nothing" in note.message
