"""live.report: the guard on live values, drift, overrides, the rows' texts and the JSON."""

from __future__ import annotations

import json

from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.durations import Duration
from cloudtimeouts.live.read import LiveSession, LiveSetting
from cloudtimeouts.live.report import FORMAT_VERSION, assess, build_report
from cloudtimeouts.model import Finding
from cloudtimeouts.profile import parse_profile


def _pg_live(name: str, ms: int, source: str) -> LiveSetting:
    return LiveSetting(name, f"{ms} ms", Duration(ms * 1000), str(ms), source)


def _my_live(name: str, session: str, global_: str, origin: str | None = None) -> LiveSetting:
    # as live.read makes them: the native value normalised, the shown one as the server said
    unit = parameters(Engine.MARIADB)[name].unit
    value = Duration.from_native(session, unit)
    native = Duration.from_native(global_, unit).to_native(unit)
    source = "global" if session == global_ else "session"
    return LiveSetting(name, session, value, value.to_native(unit), source, native, origin)


def test_the_guard_judges_live_values_and_profile_differences_are_drift() -> None:
    profile = parse_profile(
        "name: p\nengine: postgres\ndjango:\n  conn_max_age: 3\n"
        "server:\n  idle_session_timeout: 10s\n  statement_timeout: 30s\n"
    )
    live = {
        "idle_session_timeout": _pg_live("idle_session_timeout", 1000, "user"),
        "idle_in_transaction_session_timeout": _pg_live(
            "idle_in_transaction_session_timeout", 0, "default"
        ),
        "statement_timeout": _pg_live("statement_timeout", 30000, "configuration file"),
    }
    session = LiveSession(Engine.POSTGRES, "16.2", live)
    report = build_report(profile, "app@db:5432/orders", session)
    rows = {row.name: row for row in report.parameters}
    assert report.refused
    assert [finding.parameter for finding in report.refusals] == ["idle_session_timeout"]
    assert all(isinstance(finding, Finding) for finding in report.refusals + report.warnings)
    assert report.refusals[0].message.startswith(
        "live app@db:5432/orders: idle_session_timeout = 1000 ms (1 s, the live session's value)"
    )
    assert rows["idle_session_timeout"].verdict == "refused"
    assert rows["idle_session_timeout"].drift
    assert rows["idle_session_timeout"].source == "user (ALTER ROLE … SET)"
    assert rows["idle_in_transaction_session_timeout"].verdict == "off"
    assert not rows["statement_timeout"].drift
    assert rows["statement_timeout"].verdict is None
    assert rows["transaction_timeout"].live is None  # not on this server (PG17+)
    warnings = " | ".join(finding.message for finding in report.warnings)
    assert "the profile declares 10000 ms (10s) but the live session has 1000 ms (1s)" in warnings
    assert "comes from ALTER ROLE … SET (pg_settings.source 'user'" in warnings
    assert rows["idle_session_timeout"].source_warning is not None  # the Django check's hint
    assert report.to_json()["verdict"] == "refused"


def test_the_live_value_wins_over_the_profile_in_the_guard() -> None:
    # The profile is unsafe (1 s) but the server really has 10 s: verify judges the server.
    profile = parse_profile(
        "name: p\nengine: mariadb\ndjango:\n  conn_max_age: 3\nserver:\n  wait_timeout: 1\n"
    )
    live = {
        "wait_timeout": LiveSetting("wait_timeout", "10", Duration.of_seconds(10), "10", "global")
    }
    report = build_report(profile, "app@db:3306/shop", LiveSession(Engine.MARIADB, "11", live))
    assert not report.refused
    assert [row.name for row in report.drift] == ["wait_timeout"]
    assert report.engine is Engine.MARIADB


def test_a_session_value_below_the_global_is_said_once_per_idle_timeout() -> None:
    live = {
        "wait_timeout": _my_live("wait_timeout", "2", "28800", "COMPILE-TIME"),
        "net_read_timeout": _my_live("net_read_timeout", "5", "30"),
    }
    report = assess(
        LiveSession(Engine.MARIADB, "10.11.6-MariaDB", live),
        endpoint="app@db:3306/shop",
        conn_max_age=3,
        margin=Duration(0),
    )
    rows = {row.name: row for row in report.parameters}
    assert rows["wait_timeout"].source == "session (global is 28800, set by default)"
    assert [finding.parameter for finding in report.warnings] == ["wait_timeout"]
    assert "this session has 2 s but the global value is 28800 s" in report.warnings[0].message
    assert rows["net_read_timeout"].source_warning is None  # not an idle timeout


def test_the_django_check_use_has_no_profile_and_no_drift() -> None:
    live = {"idle_session_timeout": _pg_live("idle_session_timeout", 1000, "database")}
    report = assess(
        LiveSession(Engine.POSTGRES, "16.2", live),
        endpoint="app@db:5432/orders",
        conn_max_age=None,  # Django's CONN_MAX_AGE = None: unlimited
        margin=Duration(0),
    )
    assert report.profile is None
    assert not report.drift
    assert [finding.parameter for finding in report.refusals] == ["idle_session_timeout"]
    assert "CONN_MAX_AGE is unlimited" in report.refusals[0].message
    assert [finding.message for finding in report.warnings] == [
        "idle_session_timeout = 1000 ms (1s) comes from ALTER DATABASE … SET (pg_settings.source "
        "'database', stored in pg_db_role_setting): no parameter group, flag or server "
        "parameter shows it"
    ]


def test_rows_carry_the_texts_the_table_shows() -> None:
    profile = parse_profile(
        "name: p\nengine: mariadb\ndjango:\n  conn_max_age: 3\n"
        "server:\n  wait_timeout: 10min\n  idle_transaction_timeout: 1h\n"
    )
    live = {
        "wait_timeout": _my_live("wait_timeout", "600", "600"),
        "max_statement_time": _my_live("max_statement_time", "1.500000", "1.500000"),
        "lock_wait_timeout": LiveSetting("lock_wait_timeout", "n/a", None, "n/a", "global", "n/a"),
    }
    report = build_report(profile, "app@db:3306/shop", LiveSession(Engine.MARIADB, "11", live))
    rows = {row.name: row for row in report.parameters}
    wait = rows["wait_timeout"]
    assert (wait.profile_text, wait.live_text, wait.global_text) == (
        "600 s (10min)",
        "600 s (10min)",
        "600 s",
    )
    assert rows["max_statement_time"].live_text == "1.5 s (1s500ms)"
    assert rows["lock_wait_timeout"].live_text == "n/a"  # the server's words when not a duration
    absent = rows["idle_transaction_timeout"]
    assert (absent.profile_text, absent.live_text, absent.global_text) == (
        "3600 s (1h)",
        "(not on this server)",
        None,
    )
    assert rows["net_read_timeout"].profile_text is None


def test_numbers_are_json_numbers_and_values_native_strings() -> None:
    # docs/json.md: numbers are JSON numbers; parameter values are strings in the native unit
    profile = parse_profile(
        "name: p\nengine: mariadb\ndjango:\n  conn_max_age: 300\n"
        "guard:\n  margin: 30s\nserver:\n  wait_timeout: 10min\n  max_statement_time: 250ms\n"
    )
    live = {
        "wait_timeout": _my_live("wait_timeout", "600", "28800", "SQL"),
        "max_statement_time": _my_live("max_statement_time", "0.250000", "0.250000"),
        "lock_wait_timeout": LiveSetting("lock_wait_timeout", "n/a", None, "n/a", "global", "n/a"),
    }
    report = build_report(profile, "app@db:3306/shop", LiveSession(Engine.MARIADB, "11", live))
    text = json.dumps(report.to_json())
    data = json.loads(text)
    assert data["format_version"] == FORMAT_VERSION
    assert '"margin_s": 30,' in text  # not "3E+1"
    assert (data["margin_s"], data["conn_max_age"]) == (30, 300)
    rows = {row["parameter"]: row for row in data["parameters"]}
    assert rows["wait_timeout"] | {"parameter": "x"} == {
        "parameter": "x",
        "role": "idle",
        "unit": "s",
        "profile": "600",
        "live": "600",
        "live_human": "10min",
        "source": "session",
        "global": "28800",
        "origin": "SQL",
        "drift": False,
        "verdict": "ok",
    }
    statement = rows["max_statement_time"]
    assert (statement["profile"], statement["live"]) == ("0.25", "0.25")
    unknown = rows["lock_wait_timeout"]  # not a duration: the server's own words
    assert (unknown["live"], unknown["live_human"], unknown["verdict"]) == ("n/a", None, None)
    assert rows["idle_transaction_timeout"]["live"] is None


def test_a_fractional_margin_is_a_fractional_number() -> None:
    profile = parse_profile(
        "name: p\nengine: postgres\ndjango:\n  conn_max_age: 3\nguard:\n  margin: 250ms\n"
    )
    report = build_report(profile, "x", LiveSession(Engine.POSTGRES, "16", {}))
    assert report.to_json()["margin_s"] == 0.25


def test_verify_judges_interactive_timeout_on_aurora_mysql_as_plan_does() -> None:
    # Aurora MySQL closes idle sessions at the smaller of wait_timeout and interactive_timeout
    # (guard.not_judged_because); its VERSION() says so ("8.0.mysql_aurora.3.05.2"). Plan refuses
    # interactive_timeout 5 min under CONN_MAX_AGE 10 min there; verify must too. On RDS MySQL
    # Django's sessions never use it.
    live = {
        "wait_timeout": _my_live("wait_timeout", "28800", "28800", "COMPILED"),
        "interactive_timeout": _my_live("interactive_timeout", "300", "300", "COMPILED"),
    }
    profile = parse_profile("name: shop\nengine: mysql\ndjango: {conn_max_age: 10min}\n")
    aurora = build_report(
        profile, "app@db:3306/shop", LiveSession(Engine.MYSQL, "8.0.mysql_aurora.3.05.2", live)
    )
    assert [f.parameter for f in aurora.refusals] == ["interactive_timeout"]
    rds = build_report(profile, "app@db:3306/shop", LiveSession(Engine.MYSQL, "8.0.36", live))
    assert rds.refusals == ()


def test_verify_says_a_transaction_idle_timeout_it_cannot_judge_never_passes_it_silently() -> None:
    # conn_max_age 0 and no django.max_idle_in_transaction: the stand-in budget is 0 s, which
    # proves nothing (docs/guard.md, 6); validate and plan say so in a note, verify must too.
    live = {
        "idle_in_transaction_session_timeout": _pg_live(
            "idle_in_transaction_session_timeout", 1, "configuration file"
        )
    }
    profile = parse_profile("name: orders\nengine: postgres\ndjango: {conn_max_age: 0}\n")
    report = build_report(profile, "app@db:5432/orders", LiveSession(Engine.POSTGRES, "16.2", live))
    assert not report.refused
    (note,) = [w for w in report.warnings if w.parameter == "idle_in_transaction_session_timeout"]
    assert "django.max_idle_in_transaction" in note.message
    assert note.message in json.dumps(report.to_json())


def test_verify_judges_the_live_values_against_every_workers_budget() -> None:
    profile = parse_profile(
        "name: p\nengine: mariadb\ndjango:\n  conn_max_age: 3\n"
        "workers: [{name: emails, kind: rq, max_gap: 5s}]\n"
    )
    live = {"wait_timeout": _my_live("wait_timeout", "600", "600")}
    report = build_report(profile, "app@db:3306/shop", LiveSession(Engine.MARIADB, "11", live))
    (refusal,) = report.refusals  # Django's requests (3 s) are safe; RQ keeps its connection
    assert "the idle time between jobs of worker emails (rq) is unlimited" in refusal.message
    rows = {row.name: row for row in report.parameters}
    assert rows["wait_timeout"].verdict == "refused"
