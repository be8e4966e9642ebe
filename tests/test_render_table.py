"""The renderer table: one format list; each command offers exactly its result's renderings."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from support.profiles import write_profile

from cloudtimeouts.diagnose.incidents import Diagnosis
from cloudtimeouts.explain import Explanation
from cloudtimeouts.live.observe import ObserveReport
from cloudtimeouts.live.report import VerifyReport
from cloudtimeouts.plan import Plan
from cloudtimeouts.profile import load_profile
from cloudtimeouts.render import RENDERERS, Format, Output, formats, show
from cloudtimeouts.results import (
    ApplyResult,
    DjangoSettings,
    TargetResult,
    TerraformExport,
    Validation,
)

RESULTS = {
    cls.__name__: cls
    for cls in (
        Plan,
        ApplyResult,
        VerifyReport,
        ObserveReport,
        Diagnosis,
        Validation,
        Explanation,
        DjangoSettings,
        TerraformExport,
    )
}

# command -> (its format option, the result it renders)
COMMANDS = {
    "plan": ("output", "Plan"),
    "apply": ("output", "ApplyResult"),
    "rollback": ("output", "ApplyResult"),
    "verify": ("output", "VerifyReport"),
    "observe": ("output", "ObserveReport"),
    "diagnose": ("output", "Diagnosis"),
    "explain": ("output", "Explanation"),
    "django-settings": ("format", "DjangoSettings"),
    "export": ("format", "TerraformExport"),
}


def test_every_row_names_a_result_type_and_a_renderer_that_exist() -> None:
    assert {kind for kind, _ in RENDERERS} == set(RESULTS)
    for (kind, fmt), location in RENDERERS.items():
        module, _, name = location.partition(":")
        assert callable(getattr(__import__(module, fromlist=[name]), name)), (kind, fmt)


def test_the_format_list_holds_only_formats_something_is_rendered_in() -> None:
    assert {fmt for _, fmt in RENDERERS} == set(Format)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_offers_exactly_the_formats_of_its_result(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per option in --help
    option, result = COMMANDS[command]
    arguments = [write_profile(tmp_path)] if command != "rollback" else [tmp_path / "j.jsonl"]
    if command in ("verify", "observe"):
        arguments += ["--database-url", "postgres://u@localhost/db"]
    if command == "diagnose":
        arguments += [tmp_path / "app.log"]
    said = cli(command, *arguments, f"--{option}", "nope")
    assert said.exit_code == 1
    shown = [fmt.value for fmt in formats(result)]
    assert f"'nope' is not one of: {', '.join(shown)}" in said.stderr
    assert f"<{'|'.join(shown)}>" in cli(command, "--help").stdout


def test_show_dispatches_on_the_result_and_the_format() -> None:
    out, err = io.StringIO(), io.StringIO()
    output = Output(Console(file=out), Console(file=err))
    result = ApplyResult((TargetResult("aws:eu-west-1:parameter-group/a", "applied"),))
    show(result, Format.json, output)
    assert json.loads(out.getvalue()) == result.to_json()
    with pytest.raises(LookupError, match="no markdown rendering of ApplyResult"):
        show(result, Format.markdown, output)
    with pytest.raises(LookupError):
        formats("Profile")


def test_validation_text_names_the_file_and_says_ok(tmp_path: Path) -> None:
    path = write_profile(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    checked = Validation(load_profile(path))
    show(
        checked,
        Format.text,
        Output(Console(file=out, soft_wrap=True), Console(file=err), source=path),
    )
    assert out.getvalue().startswith(f"{path}: ok (orders, postgres, ")
    assert err.getvalue() == ""


def test_the_table_loads_no_renderer_nor_result_until_a_format_is_chosen() -> None:
    code = (
        "import sys, cloudtimeouts.render; "
        "print(sorted(m for m in sys.modules if m.startswith(('cloudtimeouts.', 'rich'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['cloudtimeouts.render']"


def test_the_verify_table_wraps_a_long_name_in_a_narrow_terminal_never_cuts_it() -> None:
    """rich's column default is overflow="ellipsis": `idle_in_transaction_sess…` (issue 20)."""
    from cloudtimeouts.catalog import Engine
    from cloudtimeouts.durations import Duration
    from cloudtimeouts.live.read import LiveSession, LiveSetting
    from cloudtimeouts.live.report import build_report
    from cloudtimeouts.profile import parse_profile

    profile = parse_profile(
        "name: p\nengine: postgres\ndjango:\n  conn_max_age: 3\n"
        "server:\n  idle_in_transaction_session_timeout: 10min\n"
    )
    name = "idle_in_transaction_session_timeout"
    live = {name: LiveSetting(name, "600000 ms", Duration(600_000_000), "600000", "user")}
    report = build_report(profile, "app@db:5432/orders", LiveSession(Engine.POSTGRES, "16.2", live))
    buffer = io.StringIO()
    console = Console(file=buffer, width=30, force_terminal=True, color_system=None)
    show(report, Format.table, Output(console, Console(file=io.StringIO())))
    text = buffer.getvalue()
    assert not re.search(r"\w…", text), text  # "ALTER ROLE … SET" is the source's own words
    assert name in "".join(line.split(" ")[0] for line in text.splitlines())
