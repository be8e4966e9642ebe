"""diagnose.incidents: application errors correlated with closure lines, and each verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloudtimeouts.diagnose import evidence as ev
from cloudtimeouts.diagnose.evidence import Evidence
from cloudtimeouts.diagnose.incidents import MIN_WINDOW, default_window, diagnose
from cloudtimeouts.profile import Profile, parse_profile

T0 = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)


def profile(django: str = "{conn_max_age: 900}", server: str = "", extra: str = "") -> Profile:
    engine = "mysql" if "wait_timeout" in server else "postgres"
    return parse_profile(
        f"name: orders\nengine: {engine}\ndjango: {django}\n"
        f"server: {{{server or 'idle_session_timeout: 10min'}}}\n{extra}",
        "orders.yaml",
    )


def app(what: str, seconds: float, line: int = 10, detail: str = "", **more: object) -> Evidence:
    return Evidence(
        T0 + timedelta(seconds=seconds),
        f"app.log:{line}",
        "app",
        str(more.pop("format", "django")),
        what,
        detail=detail or what,
        **more,  # type: ignore[arg-type]
    )


def server(
    what: str, seconds: float, line: int = 5, side: str = "server", **more: object
) -> Evidence:
    return Evidence(
        T0 + timedelta(seconds=seconds),
        f"postgresql.log:{line}",
        side,  # type: ignore[arg-type]
        "postgres",
        what,
        detail=what,
        **more,  # type: ignore[arg-type]
    )


def test_an_idle_session_closure_before_the_error_is_its_cause_and_the_guards_refusal_its_fix() -> (
    None
):
    found = diagnose(
        profile(),
        [server(ev.PG_IDLE_SESSION, 0), app(ev.APP_CONNECTION_CLOSED, 20)],
    )
    (incident,) = found.incidents
    assert incident.closed_by == "the server's idle_session_timeout"
    assert incident.value == "600 s (from the profile)"
    assert incident.refused is True
    assert incident.after == timedelta(seconds=20)
    assert incident.fix.startswith("The profile as it stands is refused for it: ")
    assert "is not above CONN_MAX_AGE 900 s" in incident.fix
    assert [e.source for e in incident.lines] + [incident.cause.source] == [  # type: ignore[union-attr]
        "app.log:10",
        "postgresql.log:5",
    ]
    assert found.profile_refusals  # the profile itself is refused: diagnose still ran


def test_a_cause_the_profile_accepts_points_at_what_differs_from_the_profile() -> None:
    (incident,) = diagnose(
        profile("{conn_max_age: 60}"),
        [server(ev.PG_IDLE_SESSION, 0), app(ev.APP_SERVER_CLOSED, 20)],
    ).incidents
    assert incident.refused is False
    assert "the value in force may differ" in incident.fix
    assert "workers:" in incident.fix


def test_a_poolers_client_idle_timeout_is_named_by_its_hop() -> None:
    p = profile(
        "{conn_max_age: 900}",
        "idle_session_timeout: 0",
        "path: [{kind: pgbouncer, name: pgb, client_idle_timeout: 5min}]\n",
    )
    (incident,) = diagnose(
        p, [server(ev.PGBOUNCER_CLIENT_IDLE, 0, side="pooler"), app(ev.APP_SERVER_CLOSED, 3)]
    ).incidents
    assert incident.closed_by == "path pgbouncer pgb's client_idle_timeout"
    assert incident.parameter == "pgb.client_idle_timeout"
    assert incident.refused is True


def test_mysqls_4031_names_wait_timeout_without_a_server_log() -> None:
    p = profile("{conn_max_age: 900}", "wait_timeout: 10min")
    (incident,) = diagnose(p, [app(ev.APP_MYSQL_INACTIVE, 0)]).incidents
    assert incident.cause is None
    assert incident.closed_by == "the server's wait_timeout"
    assert incident.refused is True


def test_a_relayed_idle_session_fatal_explains_itself() -> None:
    error = app(ev.APP_TERMINATING, 0, detail="terminating connection due to idle-session timeout")
    (incident,) = diagnose(profile(), [error]).incidents
    assert incident.closed_by == "the server's idle_session_timeout"


def test_an_error_with_no_closure_in_the_window_says_what_else_it_can_be() -> None:
    (incident,) = diagnose(profile("{conn_max_age: 60}"), [app(ev.APP_SSL_EOF, 0)]).incidents
    assert not incident.explained and incident.refused is None
    said = " | ".join(incident.otherwise)
    assert "a network drop" in said and "a failover or a restart" in said
    assert "no closure line within 60 s" in said


def test_the_window_is_the_longest_budget_and_a_closure_older_than_it_is_not_the_cause() -> None:
    p = profile("{conn_max_age: 300}", extra="workers: [{name: w, kind: celery, max_gap: 15min}]\n")
    assert default_window(p) == timedelta(minutes=15)
    assert default_window(profile("{conn_max_age: 0}")) == MIN_WINDOW
    far = diagnose(p, [server(ev.PG_IDLE_SESSION, 0), app(ev.APP_CONNECTION_CLOSED, 7200)])
    assert not far.incidents[0].explained


def test_the_clock_offset_puts_the_applications_time_on_the_servers_clock() -> None:
    lines = [app(ev.APP_CONNECTION_CLOSED, 0), server(ev.PG_IDLE_SESSION, -30 + 60)]
    assert not diagnose(profile(), lines).incidents[0].explained  # the closure seems 30 s later
    shifted = diagnose(profile(), lines, clock_offset=timedelta(seconds=-60))
    assert shifted.incidents[0].explained
    assert shifted.incidents[0].after == timedelta(seconds=30)


def test_each_closure_explains_one_error_while_an_unused_one_is_in_the_window() -> None:
    found = diagnose(
        profile(),
        [
            server(ev.PG_IDLE_SESSION, 0, line=1),
            server(ev.PG_IDLE_SESSION, 5, line=2),
            app(ev.APP_CONNECTION_CLOSED, 10, line=1),
            app(ev.APP_CONNECTION_CLOSED, 20, line=2),
        ],
    )
    causes = [incident.cause.source for incident in found.incidents]  # type: ignore[union-attr]
    assert causes == ["postgresql.log:2", "postgresql.log:1"]


def test_one_tracebacks_chained_exceptions_are_one_incident() -> None:
    found = diagnose(
        profile(),
        [
            app(ev.APP_SERVER_CLOSED, 0, line=3, pid=7),
            app(ev.APP_SERVER_CLOSED, 0.2, line=9, pid=7),
            app(ev.APP_SERVER_CLOSED, 0.2, line=20, pid=8),  # another process: another incident
        ],
    )
    assert [len(incident.lines) for incident in found.incidents] == [2, 1]


def test_an_error_a_worker_logged_names_the_undeclared_worker() -> None:
    (incident,) = diagnose(profile(), [app(ev.APP_CONNECTION_CLOSED, 0, format="celery")]).incidents
    assert any("declares no celery worker" in reason for reason in incident.otherwise)


def test_its_json_says_each_incident_with_its_evidence() -> None:
    found = diagnose(profile(), [server(ev.PG_IDLE_SESSION, 0), app(ev.APP_CONNECTION_CLOSED, 20)])
    document = found.to_json()
    assert document["profile_refused"] is True
    assert document["closures"] == {ev.PG_IDLE_SESSION: 1}
    (incident,) = document["incidents"]
    assert incident["evidence"] == ["app.log:10", "postgresql.log:5"]
    assert incident["closed_by"] == "the server's idle_session_timeout"
    assert incident["seconds_after_closure"] == 20.0
    assert incident["refused_by_profile"] is True


def test_a_timeout_the_profile_leaves_off_that_fired_is_named_and_left_to_plan() -> None:
    # idle_in_transaction_session_timeout's default is off: the line proves it was set on the
    # database; the guard cannot judge a value it does not know
    p = profile("{conn_max_age: 60}")
    (incident,) = diagnose(
        p, [server(ev.PG_IDLE_IN_TRANSACTION, 0), app(ev.APP_TERMINATING, 1)]
    ).incidents
    assert incident.closed_by == "the server's idle_in_transaction_session_timeout"
    assert incident.refused is None
    assert "enabled where it fired" in (incident.value or "")
    assert "declare it in the profile" in incident.fix


def test_pgbouncers_reason_relayed_to_django_names_its_hop_without_its_log() -> None:
    p = profile(
        "{conn_max_age: 900}",
        "idle_session_timeout: 0",
        "path: [{kind: pgbouncer, name: pgb, client_idle_timeout: 5min}]\n",
    )
    error = app(ev.APP_POOLER_CLOSED, 0, detail="OperationalError: client_idle_timeout")
    (incident,) = diagnose(p, [error]).incidents
    assert incident.cause is None
    assert incident.closed_by == "path pgbouncer pgb's client_idle_timeout"
    assert incident.refused is True
