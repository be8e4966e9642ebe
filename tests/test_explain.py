"""`cloudtimeouts explain`: the model (the guard's values and verdicts on a time axis), its text
and SVG pictures, and the command's exit codes."""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from cloudtimeouts.durations import Duration
from cloudtimeouts.explain import Axis, Entry, Explanation, explain
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.profile import Profile, load_profile, parse_profile
from cloudtimeouts.render.explain import explain_svg, explain_text

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "profiles" / "aws-postgres-pgbouncer.yaml"
SVG = "{http://www.w3.org/2000/svg}"


def profile(
    django: str, server: str = "{}", path: str = "[]", targets: str = "[]", margin: str = "0s"
) -> Profile:
    return parse_profile(
        f"name: chain\nengine: postgres\ndjango: {django}\nguard: {{margin: {margin}}}\n"
        f"server: {server}\npath: {path}\ntargets: {targets}\n",
        "chain.yaml",
    )


def entry(explanation: Explanation, key: str, where: str | None = None) -> Entry:
    (found,) = [e for e in explanation.entries if e.key == key and where in (None, e.where)]
    return found


def minutes(value: int) -> Duration:
    return Duration.of_seconds(60 * value)


# --- the model --------------------------------------------------------------------------------


def test_a_pgbouncer_closing_idle_clients_before_django_fires_first_and_is_refused() -> None:
    p = profile(
        "{conn_max_age: 10min}",
        "{idle_session_timeout: 1h}",
        "[{kind: pgbouncer, name: pgb, client_idle_timeout: 5min}]",
    )
    e = explain(p)
    first = e.first
    assert first is not None and first.key == "pgb.client_idle_timeout"
    assert (first.status, first.closes, first.value, first.against) == (
        "refused", "client", minutes(5), "session"
    )  # fmt: skip
    assert e.refused and e.refusals == judge_offline(p).refusals
    assert first.finding == e.refusals[0]
    assert first.finding.message.startswith("path pgbouncer pgb: client_idle_timeout = 300 s")
    assert entry(e, "idle_session_timeout").status == "safe"
    # PgBouncer's own defaults: idle_transaction_timeout off, server_* close only its connections
    assert entry(e, "pgb.idle_transaction_timeout").status == "off"
    assert entry(e, "pgb.server_idle_timeout").status == "pooler only"
    assert not entry(e, "pgb.server_lifetime").judged
    assert [(b.what, b.total) for b in e.budgets] == [("session", minutes(10))]


def test_entries_are_in_firing_order_and_the_first_may_touch_only_the_pooler() -> None:
    p = profile(
        "{conn_max_age: 1min}",
        "{idle_session_timeout: 1h, idle_in_transaction_session_timeout: 0}",
        "[{kind: pgbouncer, name: pgb}]",
    )
    e = explain(p)
    assert [x.key for x in e.entries] == [
        "pgb.server_idle_timeout",  # 10min (PgBouncer's default)
        "pgb.server_lifetime",  # 1h, before idle_session_timeout 1h: the path comes first
        "idle_session_timeout",
        "pgb.client_idle_timeout",  # off: last
        "pgb.idle_transaction_timeout",
        "idle_in_transaction_session_timeout",
    ]
    assert e.first is not None and e.first.key == "pgb.server_idle_timeout"
    idle = e.first_between_requests
    assert idle is not None and idle.key == "idle_session_timeout"
    assert not e.refused


def test_a_load_balancer_kept_open_by_the_servers_keepalives() -> None:
    path = "[{kind: load-balancer, name: nlb, provider: aws}]"
    kept = explain(
        profile(
            "{conn_max_age: 10min}", "{idle_session_timeout: 1h, tcp_keepalives_idle: 60}", path
        )
    )
    nlb = entry(kept, "nlb.idle_timeout")
    assert (nlb.status, nlb.value, nlb.fires) == ("kept open", Duration.of_seconds(350), False)
    assert nlb.source == "the documented default on aws"
    assert nlb.finding is not None and "kept open" in nlb.finding.message
    assert kept.kept_open == (nlb,) and kept.keepalive == minutes(1)
    assert not kept.refused and kept.first is not None and kept.first.key == "idle_session_timeout"

    dropped = explain(profile("{conn_max_age: 10min}", "{idle_session_timeout: 1h}", path))
    assert entry(dropped, "nlb.idle_timeout").status == "refused"
    assert dropped.keepalive is None and dropped.kept_open == ()


def test_a_pool_without_health_checks_keeps_min_size_connections_unchecked_forever() -> None:
    server = "{idle_session_timeout: 10min, idle_in_transaction_session_timeout: 0}"
    unchecked = explain(profile("{conn_max_age: 0, conn_health_checks: false, "
                                "pool: {min_size: 2}}", server))  # fmt: skip
    (bar,) = unchecked.budgets
    assert bar.held is None and "min_size connections unlimited" in bar.words
    idle = entry(unchecked, "idle_session_timeout")
    assert idle.status == "refused" and unchecked.refused

    checked = explain(profile("{conn_max_age: 0, conn_health_checks: true, pool: {min_size: 2}}",
                              server))  # fmt: skip
    idle = entry(checked, "idle_session_timeout")
    assert idle.status == "checked" and idle.finding is None and not checked.refused


def test_a_checked_pool_still_loses_a_flow_a_nat_dropped_silently() -> None:
    e = explain(profile("{conn_max_age: 0, pool: {min_size: 1}}", "{idle_session_timeout: 0}",
                        "[{kind: nat, name: n, provider: gcp}]"))  # fmt: skip
    assert entry(e, "n.idle_timeout").status == "refused"
    reset = explain(profile("{conn_max_age: 0, pool: {min_size: 1}}", "{idle_session_timeout: 0}",
                            "[{kind: nat, name: n, provider: aws}]"))  # fmt: skip
    assert entry(reset, "n.idle_timeout").status == "checked"  # a TCP RST fails the check
    assert entry(e, "idle_session_timeout").status == "off"


def test_max_idle_in_transaction_adds_the_transaction_budget() -> None:
    server = "{idle_session_timeout: 1h, idle_in_transaction_session_timeout: 60s}"
    declared = explain(profile("{conn_max_age: 10min, max_idle_in_transaction: 30s}", server))
    assert [(b.what, b.held) for b in declared.budgets] == [
        ("session", minutes(10)), ("transaction", Duration.of_seconds(30))
    ]  # fmt: skip
    idle = entry(declared, "idle_in_transaction_session_timeout")
    assert (idle.status, idle.closes, idle.against) == ("safe", "transaction", "transaction")
    assert not declared.refused
    assert declared.first is not None and declared.first.key == idle.key

    today = explain(profile("{conn_max_age: 10min}", server))  # no declaration: the old rule
    assert [b.what for b in today.budgets] == ["session"]
    idle = entry(today, "idle_in_transaction_session_timeout")
    assert (idle.status, idle.against) == ("refused", "session")


def test_an_aurora_target_adds_the_aurora_default_where_it_differs() -> None:
    aurora = "[{provider: aws, region: eu-west-1, cluster_parameter_group: g}]"
    e = explain(profile("{conn_max_age: 10min}", "{idle_session_timeout: 1h}", targets=aurora))
    on_aurora = entry(e, "idle_in_transaction_session_timeout", "aurora-postgresql")
    assert on_aurora.value == minutes(24 * 60) and on_aurora.status == "safe"
    assert on_aurora.source == "the documented default on aurora-postgresql"
    assert entry(e, "idle_in_transaction_session_timeout", "server").status == "off"
    assert len([x for x in e.entries if x.name == "idle_session_timeout"]) == 1


def test_a_value_aurora_mysql_refuses_shows_refused_not_only_not_djangos() -> None:
    # Was a defect: the engine's row said "not Django's" (Django's MySQL backend does not set
    # CLIENT_INTERACTIVE) and hid Aurora's, equal in value, which the guard refused (Aurora MySQL
    # applies the smaller of wait_timeout and interactive_timeout): the table and the verdict
    # under it disagreed. Each platform's row is shown where its outcome differs.
    p = parse_profile(
        "name: orders\nengine: mysql\ndjango: {conn_max_age: 10min}\n"
        "server: {wait_timeout: 1h, interactive_timeout: 5min}\n"
        "targets: [{provider: aws, region: eu-west-1, cluster_parameter_group: g}]\n"
    )
    e = explain(p)
    assert entry(e, "interactive_timeout", "server").status == "not Django's"
    on_aurora = entry(e, "interactive_timeout", "aurora-mysql")
    assert (on_aurora.status, on_aurora.against) == ("refused", "session")
    assert on_aurora.finding == e.refusals[0]
    assert {x.key for x in e.entries if x.status == "refused"} == {f.parameter for f in e.refusals}
    assert len([x for x in e.entries if x.name == "wait_timeout"]) == 1  # same value, same outcome


@pytest.mark.parametrize("path", sorted((REPO / "profiles").glob("*.yaml")), ids=lambda p: p.name)
def test_the_verdict_is_validates_and_each_refusal_sits_on_its_entry(path: Path) -> None:
    p = load_profile(path)
    e = explain(p)
    assert e.refusals == judge_offline(p).refusals
    assert {x.key for x in e.entries if x.status == "refused"} == {f.parameter for f in e.refusals}
    assert "Guard: ok, nothing refused." in rendered(e)  # the examples are safe
    assert len(ET.fromstring(explain_svg(e)).findall(f"{SVG}g[@class='timeout']")) == len(e.entries)


def test_the_axis_is_logarithmic_between_round_ticks() -> None:
    axis = Axis.spanning([Duration.of_seconds(30), minutes(10), Duration(0)])
    assert (axis.low, axis.high) == (Duration.of_seconds(10), minutes(10))
    assert axis.ticks == (Duration.of_seconds(10), minutes(1), minutes(10))
    assert axis.position(axis.low) == 0 and axis.position(axis.high) == 1
    assert axis.position(minutes(1)) == pytest.approx(math.log(6) / math.log(60))
    assert axis.position(Duration(0)) == 0 and axis.position(None) == 1
    assert Axis.spanning([]).ticks[0] == Duration.parse("100ms")  # below 1 s, the default
    one = Axis.spanning([minutes(1)])
    assert one.low < one.high


@pytest.mark.parametrize("smallest", ["10min", "1min", "30s", "1ms", "250ms"])
def test_no_value_sits_on_the_axis_start_so_a_budget_bar_is_never_a_sliver(smallest: str) -> None:
    """Issue 20: a refused profile (CONN_MAX_AGE 10min, idle_session_timeout 10min) got an axis
    starting at 10min, and Django's budget bar, drawn from the axis' start, seemed to start
    there. The start is now a tick strictly below every value."""
    axis = Axis.spanning([Duration.parse(smallest), Duration.parse("1h")])
    assert axis.low < Duration.parse(smallest) or axis.low == Duration.parse("1ms")
    assert axis.position(Duration.parse(smallest)) > 0 or smallest == "1ms"


def test_the_legend_explains_every_word_and_marker_of_the_picture() -> None:
    """ "budget", "keepalive", filled and hollow markers: in the text and in the SVG (issue 20)."""
    explanation = explain(load_profile(EXAMPLE))
    text = rendered(explanation)
    lines = text.split("\n\n")[-2]
    assert lines.startswith("budget ")
    assert "\nkeepalive    ◆ the server starts TCP keepalives" in lines
    legend = " ".join(lines.split())  # the words, wrapped lines joined
    assert "● filled: it closes the connection (safe)" in legend
    assert "○ hollow: it never closes Django's connection (kept open, pooler only)" in legend
    assert "each bar starts when the connection goes idle, at the axis' left edge" in legend
    notes = ET.fromstring(explain_svg(explanation)).find(f"{SVG}g[@class='notes']")
    assert notes is not None
    svg = " ".join(" ".join((t.text or "").split()) for t in notes)
    for words in ("budget how long Django may hold an idle connection", "keepalive ◆ the server",
                  "● filled: it closes", "○ hollow: it never closes"):  # fmt: skip
        assert words in svg, words


# --- the pictures -----------------------------------------------------------------------------

GOLDEN_PROFILE = """\
name: orders
engine: postgres
django: {conn_max_age: 5min, max_idle_in_transaction: 30s}
guard: {margin: 30s}
server: {idle_session_timeout: 1h, idle_in_transaction_session_timeout: 2min,
         tcp_keepalives_idle: 60}
path:
  - {kind: pgbouncer, name: pgb, client_idle_timeout: 4min}
  - {kind: load-balancer, name: nlb, provider: aws}
"""

GOLDEN = """\
Profile orders (postgres): what closes an idle connection, and when (log time axis)
Path: Django → pgb (pgbouncer) → nlb (load-balancer, aws) → server (postgres)

                                                      10s     1min        10min      1h
                                                      ├─────────┼───────────┼─────────┤
Django between requests                     5min30s   ██████████████████▒▒               budget
Django in a transaction                     1min      ██████▒▒▒▒▒                        budget
server tcp_keepalives_idle                  1min      ╌╌╌╌╌╌╌╌╌╌◆                        keepalive
server idle_in_transaction_session_timeout  2min      ──────────────●                    safe
pgb client_idle_timeout                     4min      ─────────────────● ┊               refused
nlb idle_timeout                            5min50s*  ┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄○               kept open
pgb server_idle_timeout                     10min*    ──────────────────────○            pooler only
pgb server_lifetime                         1h*       ────────────────────────────────○  pooler only
server idle_session_timeout                 1h        ────────────────────────────────●  safe
pgb idle_transaction_timeout                off*                                         off

Django between requests: CONN_MAX_AGE 300 s + margin 30s = 5min30s.
Django in a transaction: django.max_idle_in_transaction 30 s + margin 30s = 1min.
Fires first: server idle_in_transaction_session_timeout after 2min; it closes the client connection
  inside a transaction.
First between requests: pgb client_idle_timeout after 4min; it closes the client connection between
  requests.
Kept open by the server's TCP keepalives after 1min idle (tcp_keepalives_idle): nlb idle_timeout
  (5min50s).

budget       how long Django may hold an idle connection: █ its budget (CONN_MAX_AGE, the pool's
             lifetime, a transaction's idle time), ▒ the margin; each bar starts when the connection
             goes idle, at the axis' left edge (a log axis has no 0)
keepalive    ◆ the server starts TCP keepalives after this long idle; they keep a load balancer's or
             a NAT's idle timer from running out
safe         fires after Django's budget: Django has let the connection go by then
refused      refused by the guard: it can close a connection Django still holds
kept open    never fires: TCP keepalives (the server's or Django's) keep this hop's state fresh
pooler only  Django never sees it: the pooler reconnects by itself
off          disabled: never fires
● ○          where the timeout fires; ● filled: it closes the connection (safe, refused); ○ hollow:
             it never closes Django's connection (kept open, pooler only)
*            the documented default: the profile does not set it
┊            the end of the budget (+ margin) the timeout must outlast

Guard: 1 refused (exit 3):
x refused: path pgbouncer pgb: client_idle_timeout = 240 s (from the profile) is not above
  CONN_MAX_AGE 300 s plus the margin of 30 s (330 s in all). The pgbouncer closes a connection once
  it has been idle for 240 s, and Django may hand such a connection to a request, which then fails.
  Raise client_idle_timeout above 330 s, or lower conn_max_age below 210 s.
"""


def rendered(e: Explanation, width: int = 100) -> str:
    buffer = io.StringIO()
    explain_text(e, Console(file=buffer, width=width, color_system=None))
    return buffer.getvalue()


def test_text_golden() -> None:
    assert rendered(explain(parse_profile(GOLDEN_PROFILE, "golden.yaml"))) == GOLDEN


@pytest.mark.parametrize("width", [60, 80, 100, 140])
def test_the_text_fits_the_console(width: int) -> None:
    text = rendered(explain(load_profile(EXAMPLE)), width)
    assert all(len(line) <= width for line in text.splitlines())
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "\x1b[" not in text  # no colour without a terminal


def test_the_svg_is_well_formed_with_one_labelled_element_per_timeout() -> None:
    e = explain(parse_profile(GOLDEN_PROFILE, "golden.yaml"))
    root = ET.fromstring(explain_svg(e))
    assert root.tag == f"{SVG}svg"
    timeouts = root.findall(f"{SVG}g[@class='timeout']")
    assert [g.get("data-key") for g in timeouts] == [x.key for x in e.entries]
    for group, item in zip(timeouts, e.entries, strict=True):
        texts = [t.text for t in group.findall(f"{SVG}text")]
        assert item.label in texts and item.status in texts
        assert group.get("data-status") == item.status
        assert item.label in (group.findtext(f"{SVG}title") or "")
    assert len(root.findall(f"{SVG}g[@class='budget']")) == 2
    assert len(root.findall(f"{SVG}g[@class='keepalive']")) == 1
    notes = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Guard: 1 refused (exit 3):" in notes and "path pgbouncer pgb" in notes


# --- the command ------------------------------------------------------------------------------

REFUSED = """\
name: refused
engine: postgres
django: {conn_max_age: 10min}
server: {idle_session_timeout: 1h}
path: [{kind: pgbouncer, name: pgb, client_idle_timeout: 5min}]
"""


def test_explain_prints_the_picture_and_exits_0_when_the_guard_accepts(cli: Any) -> None:
    result = cli("explain", EXAMPLE)
    assert result.exit_code == 0, result.stderr
    assert "Guard: ok, nothing refused." in result.stdout
    assert "privatelink-nlb idle_timeout" in result.stdout and result.stderr == ""


def test_explain_exits_3_when_the_guard_refuses(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "refused.yaml"
    path.write_text(REFUSED)
    result = cli("explain", path)
    assert result.exit_code == 3
    assert "Fires first: pgb client_idle_timeout after 5min; it closes the client" in result.stdout
    assert "x refused: path pgbouncer pgb: client_idle_timeout = 300 s" in result.stdout
    assert cli("validate", path).exit_code == 3


def test_explain_writes_svg_next_to_the_profile_or_where_told(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "refused.yaml"
    path.write_text(REFUSED)
    result = cli("explain", path, "--output", "svg")
    assert result.exit_code == 3 and result.stdout == ""
    assert f"Wrote {tmp_path / 'refused.svg'}" in result.stderr
    assert "refused: " in result.stderr and "pgb" in result.stderr
    ET.parse(tmp_path / "refused.svg")
    chosen = tmp_path / "docs" / "path.svg"
    chosen.parent.mkdir()
    assert cli("explain", EXAMPLE, "-o", "svg", "--write", chosen).exit_code == 0
    assert ET.parse(chosen).getroot().tag == f"{SVG}svg"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--write", "x.svg"], "Error: --write goes with --output svg"),
        (["-o", "svg", "--write", "missing/x.svg"], "Error: cannot write missing/x.svg"),
        (["-o", "svg", "--write", "p.yaml"], "is the profile itself"),
    ],
)
def test_explain_usage_errors_exit_1(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.yaml").write_text(REFUSED)
    result = cli("explain", "p.yaml", *args)
    assert result.exit_code == 1 and message in result.stderr
    assert cli("explain", "nothing.yaml").exit_code == 1


def test_the_readme_shows_the_real_picture_of_the_example() -> None:
    readme = (REPO / "README.md").read_text()
    assert rendered(explain(load_profile(EXAMPLE))) in readme


def test_hops_of_one_name_are_told_apart_by_their_place_in_the_path() -> None:
    # Django → lb (Azure, 200 s) → PgBouncer → lb (Azure, 120 s) → server: the server's 60 s
    # keepalives keep the second open, not the first, which validate refuses. The picture must
    # say the same of each hop, whatever their names.
    twins = profile(
        "{conn_max_age: 5min}",
        "{tcp_keepalives_idle: 60}",
        "[{kind: load-balancer, name: lb, provider: azure, idle_timeout: 200s},"
        " {kind: pgbouncer, name: pgb},"
        " {kind: load-balancer, name: lb, provider: azure, idle_timeout: 120s}]",
    )
    assert [f.parameter for f in judge_offline(twins).refusals] == ["lb.idle_timeout"]
    statuses = {
        e.value.human(): e.status for e in explain(twins).entries if e.key == "lb.idle_timeout"
    }
    assert statuses == {"3min20s": "refused", "2min": "kept open"}


def test_server_lifetime_zero_is_used_once_not_off() -> None:
    # pgbouncer.org/config.html, server_lifetime: "Setting it to 0 means the connection is to be
    # used only once, then closed" (hops.KINDS): the pooler closes its server connections after
    # each use, which Django never sees; it is not "disabled".
    once = profile(
        "{conn_max_age: 1min}", path="[{kind: pgbouncer, name: pgb, server_lifetime: 0}]"
    )
    assert entry(explain(once), "pgb.server_lifetime").status == "pooler only"


def test_each_worker_has_its_own_budget_bar_unlimited_when_its_framework_keeps_connections() -> (
    None
):
    profile = parse_profile(
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 60}\n"
        "server: {idle_session_timeout: 1h}\n"
        "workers:\n"
        "  - {name: reports, kind: celery, max_gap: 15min, max_gap_in_transaction: 5s}\n"
        "  - {name: emails, kind: rq, max_gap: 30s}\n",
        "orders.yaml",
    )
    bars = {bar.label: bar for bar in explain(profile).budgets}
    assert list(bars) == [
        "Django between requests",
        "worker reports",
        "worker reports in a transaction",
        "worker emails",
    ]
    assert bars["worker reports"].held == Duration.of_seconds(900)
    assert bars["worker reports in a transaction"].held == Duration.of_seconds(5)
    assert bars["worker emails"].held is None  # RQ keeps its connection between jobs
    assert [f.parameter for f in explain(profile).refusals] == ["idle_session_timeout"]


# -- nothing is cut (issue 20) -----------------------------------------------------------------


@pytest.mark.parametrize("width", [60, 80])
def test_a_narrow_console_or_a_pipe_wraps_long_names_and_never_cuts_them(width: int) -> None:
    """A pipe is 80 columns to rich: `sidecar idle_transaction_timeo…` was printed there. Every
    row's name is whole once its continuation lines (indented by two) are joined back."""
    explanation = explain(load_profile(EXAMPLE))
    text = rendered(explanation, width)
    assert "…" not in text
    names: list[str] = []
    for line in text.splitlines():
        if line.startswith("  ") and names and not line.startswith(" " * 6):
            names[-1] += line.split("  ")[1]  # a continuation of the name above
        elif line and not line.startswith(" ") and ("  " in line):
            names.append(line.split("  ")[0])
    for entry in explanation.entries:
        whole = entry.label.replace(" ", "")  # a line breaks at a space: the space goes
        assert any(whole in name.replace(" ", "") for name in names), (entry.label, names)


def test_no_renderer_asks_rich_to_cut_a_line() -> None:
    """The class of the defect: rich crops (`overflow="crop"`) or ends with "…" (its default
    `overflow="ellipsis"`, for a table column too) what does not fit. No renderer asks for it."""
    for path in (REPO / "cloudtimeouts" / "render").glob("*.py"):
        source = path.read_text()
        assert 'overflow="crop"' not in source and 'overflow="ellipsis"' not in source, path
        for call in re.findall(r"add_column\([^)]*\)", source):
            # no_wrap with any overflow crops a cell silently where a column is too narrow
            assert 'overflow="fold"' in call and "no_wrap" not in call, (path, call)
