"""Outside text on its way to a terminal or a log: every control is shown, none acts."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from cloudtimeouts.plan import Plan, failed_target_plan
from cloudtimeouts.printable import printable, printable_lines
from cloudtimeouts.profile import parse_profile
from cloudtimeouts.render import text as render
from cloudtimeouts.render.explain import explain_svg, explain_text
from cloudtimeouts.render.markdown import escape

# An OSC 0 (window title), an SGR colour, a bare CR, a newline with a forged workflow command,
# a C1 CSI, DEL, a bidi override and a line separator.
HOSTILE = "a\x1b]0;pwned\x07b\x1b[31mred\rX\n::error file=x::pwned\x9b2J\x7f\u202eevil\u2028z"
RAW = ("\x1b", "\x07", "\r", "\n", "\x9b", "\x7f", "\u202e", "\u2028")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text", "plain text"),
        ("é ü 日本 ß Ω", "é ü 日本 ß Ω"),  # letters of every script stay letters
        ("C:\\Users\\me", "C:\\Users\\me"),  # a backslash stays one
        ("\x1b[2J", "\\x1b[2J"),
        ("a\nb\r\tc", "a\\nb\\r\\tc"),
        ("\x00\x7f\x85\x9f", "\\x00\\x7f\\x85\\x9f"),
        ("\u202eabc\u202c \u2066x\u2069", "\\u202eabc\\u202c \\u2066x\\u2069"),
        ("\u200f\u200e\u061c", "\\u200f\\u200e\\u061c"),
        ("\u2028\u2029", "\\u2028\\u2029"),
        (42, "42"),
    ],
)  # fmt: skip
def test_printable_shows_each_control_as_an_escape(text: object, shown: str) -> None:
    assert printable(text) == shown


def test_printable_is_idempotent_and_leaves_nothing_raw() -> None:
    once = printable(HOSTILE)
    assert printable(once) == once
    assert not any(char in once for char in RAW)
    assert once.count("\\") == HOSTILE.count("\\") + 9  # one visible escape per control


def test_printable_lines_keeps_only_the_line_breaks() -> None:
    assert printable_lines("one\x1b[1m\ntwo\r") == "one\\x1b[1m\ntwo\\r"


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, soft_wrap=True, color_system=None), buffer


PROFILE = parse_profile(
    "name: orders\nengine: postgres\ndjango: {conn_max_age: 5min}\nserver: {}\n"
    "targets:\n  - {provider: aws, region: eu-west-1, parameter_group: orders-pg16}\n",
    "p.yaml",
)


def test_the_text_plan_shows_a_hostile_error_escaped_and_reads_no_markup() -> None:
    (target,) = PROFILE.targets
    plan = Plan((failed_target_plan(PROFILE, target, f"[bold red]{HOSTILE}[/]"),))
    console, buffer = _console()
    render.plan_text(plan, console)
    shown = buffer.getvalue()
    assert not any(char in shown for char in RAW if char != "\n")
    assert "\n::" not in shown
    assert "[bold red]a\\x1b]0;pwned\\x07b\\x1b[31mred\\rX\\n::error file=x::pwned" in shown


def test_markdown_escapes_controls_then_markdown() -> None:
    said = escape(HOSTILE)
    assert not any(char in said for char in RAW)
    assert said.startswith("a\\\\x1b\\]0;pwned")  # the visible escape, its backslash escaped


def test_explain_names_a_hostile_file_escaped_and_writes_well_formed_svg(
    cli: Any, tmp_path: Path
) -> None:
    source = _hostile_file(
        tmp_path,
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 5min}\n"
        "server: {idle_session_timeout: 1min}\n",
    )
    picture = tmp_path / "out\x1b]0;t\x07.svg"
    result = cli("explain", source, "--output", "svg", "--write", picture)
    assert result.exit_code == 3  # refused: 1min is below CONN_MAX_AGE
    assert not any(char in result.stderr for char in RAW if char != "\n")
    assert "Wrote " in result.stderr and "out\\x1b]0;t\\x07.svg" in result.stderr
    assert "refused: " in result.stderr and "\n::" not in result.stderr
    ET.fromstring(picture.read_bytes())
    console, buffer = _console()
    from cloudtimeouts.explain import explain
    from cloudtimeouts.profile import load_profile

    explain_text(explain(load_profile(source)), console)
    assert "\x1b" not in buffer.getvalue()
    assert "\x1b" not in explain_svg(explain(load_profile(source)))


def _hostile_file(directory: Path, text: str) -> Path:
    path = directory / "db\x1b[2J\n::error file=x::pwned.yaml"
    path.write_text(text)
    return path


def test_a_file_name_with_controls_is_escaped_in_the_error_line(cli: Any, tmp_path: Path) -> None:
    bad = _hostile_file(tmp_path, "name: orders\nengine: oracle\n")
    for command in ("validate", "plan"):
        result = cli(command, bad)
        assert result.exit_code == 1
        assert "\x1b" not in result.stderr and "\n::" not in result.stderr
        assert "db\\x1b[2J\\n::error file=x::pwned.yaml:2: engine" in result.stderr
    other = tmp_path / "other.yaml"
    other.write_text("name: x\n")
    result = cli("plan", bad, other)  # several files fail: one error naming each
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\n::" not in result.stderr
    assert f"{other}:" in result.stderr


def test_validate_ok_line_escapes_the_file_name(cli: Any, tmp_path: Path) -> None:
    good = _hostile_file(
        tmp_path,
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 5min}\n"
        "server: {idle_session_timeout: 10min}\n",
    )
    result = cli("validate", good)
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\n::" not in result.stdout
    assert "pwned.yaml: ok (orders" in result.stdout


def test_django_settings_keeps_a_hostile_file_name_inside_its_comment(
    cli: Any, tmp_path: Path
) -> None:
    good = _hostile_file(
        tmp_path,
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 5min}\n"
        "server: {idle_session_timeout: 10min}\n",
    )
    for fmt in ("python", "dj-database-url"):
        result = cli("django-settings", good, "--format", fmt)
        assert result.exit_code == 0, result.stderr
        assert not any(char in result.stdout for char in RAW if char != "\n")
        for line in result.stdout.splitlines():
            assert not line.lstrip().startswith("::"), line
        compile(result.stdout, "settings.py", "exec")  # still Python: nothing broke out


def test_an_error_quoting_an_outside_value_stays_on_one_line(cli: Any, tmp_path: Path) -> None:
    """Not only a profile's file name: a --target, a --journal path, a journal's target are
    outside values in an error line too (a forged `::error` or an OSC 8 link must not act)."""
    good = tmp_path / "orders.yaml"
    good.write_text(
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 5min}\n"
        "server: {idle_session_timeout: 10min}\n"
        "targets: [{provider: aws, region: eu-west-1, parameter_group: orders}]\n"
    )
    hostile = "x\n::error::pwned\x1b]8;;https:e\x07\r\u202e"
    directory = tmp_path / hostile
    directory.mkdir()
    for args in (
        ("plan", good, "--target", hostile),
        ("apply", good, "--journal", directory),
        ("rollback", directory),
    ):
        result = cli(*args)
        assert result.exit_code == 1, (args, result)
        assert not any(char in result.stderr for char in RAW if char != "\n"), result.stderr
        for shown in result.stderr.splitlines():
            assert shown.startswith(("Error: ", "Hint: ")), result.stderr
