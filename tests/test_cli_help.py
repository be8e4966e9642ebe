"""What a newcomer reaches for first: --help that reads well, and shell completion."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from cloudtimeouts.cli import app

BIN = Path(sys.executable).parent


def _commands() -> list[str]:
    return sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _flags(argv: list[str]) -> list[str]:
    group = typer.main.get_command(app)
    command = group.commands[argv[0]] if argv else group  # type: ignore[attr-defined]
    return [
        option
        for param in command.params
        if getattr(param, "is_flag", False)
        for option in param.opts
        if option.startswith("--")
    ]


@pytest.mark.parametrize("argv", [[], *([name] for name in _commands())], ids=str)
def test_help_shows_no_value_type_after_a_flag(
    cli: Any, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per option: a flag's row is easy to read
    result = cli(*argv, "--help")
    assert result.exit_code == 0, result.stderr
    for metavar in ("<bool>", "BOOLEAN", "<boolean>"):
        assert metavar not in result.stdout
    rows = {}  # an option's row, from its long name on
    for line in result.stdout.splitlines():
        words = line.strip("│ ").split()
        longs = [i for i, word in enumerate(words) if word.startswith("--")]
        if longs:
            rows[words[longs[0]]] = words[longs[0] :]
    for flag in [*_flags(argv), "--help"]:
        # the flag's row: its names, then straight to its help text
        assert flag in rows, (flag, result.stdout)
        after = [word for word in rows[flag][1:] if word not in ("-h", "-y")]
        assert after[0][0].isupper(), rows[flag]


def test_group_help_lists_the_completion_and_verbose_options(cli: Any) -> None:
    out = cli("--help").stdout
    for option in ("--install-completion", "--show-completion", "--verbose", "--traceback"):
        assert option in out


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_show_completion_prints_a_bash_script_that_completes(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    script = subprocess.run(
        ["bash", "-c", "cloudtimeouts --show-completion"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert script.returncode == 0, script.stderr
    assert "complete -o default -F _cloudtimeouts_completion cloudtimeouts" in script.stdout
    assert script.stderr == ""

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{word}'" for word in words)
        done = subprocess.run(
            [
                "bash",
                "-c",
                f"source <(cloudtimeouts --show-completion); COMP_WORDS=({line}); "
                f"COMP_CWORD={len(words) - 1}; _cloudtimeouts_completion cloudtimeouts; "
                'printf "%s\\n" "${COMPREPLY[@]}"',
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return done.stdout.split()

    assert complete("cloudtimeouts", "pl") == ["plan"]
    assert "--detailed-exitcode" in complete("cloudtimeouts", "plan", "--de")
    assert complete("cloudtimeouts", "apply", "--output", "") == ["table", "json"]


def test_completion_requests_do_not_run_a_command(tmp_path: Path) -> None:
    """The shell calls the tool with _CLOUDTIMEOUTS_COMPLETE set: it answers and exits 0."""
    env = {
        **os.environ,
        "_CLOUDTIMEOUTS_COMPLETE": "complete_bash",
        "COMP_WORDS": "cloudtimeouts django-settings --format ",
        "COMP_CWORD": "3",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts"], capture_output=True, text=True, env=env
    )
    assert (done.returncode, done.stdout.split()) == (0, ["python", "dj-database-url", "json"])


@pytest.mark.parametrize("argv", [[], *([name] for name in _commands())], ids=str)
def test_help_names_values_as_words_not_python_types_and_cuts_no_option_name(
    cli: Any, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a terminal's 80 columns: PROFILE... rather than `{profiles}...` and `<list[Path]>`,
    FILE or URL rather than `<path>` or `<str>`, and every option's name in full."""
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*argv, "--help")
    assert result.exit_code == 0, result.stderr
    for python in ("list[", "<path>", "<str>", "<int>", "<float>", "{profile", "Path]"):
        assert python not in result.stdout, (python, result.stdout)
    assert "…" not in result.stdout, "nothing is cut short (an option's name, an example id)"
    group = typer.main.get_command(app)
    command = group.commands[argv[0]] if argv else group  # type: ignore[attr-defined]
    for param in command.params:
        for name in param.opts:
            if name.startswith("--") and not param.hidden:
                assert f"{name} " in result.stdout or f"{name}\n" in result.stdout, (
                    name,
                    result.stdout,
                )


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("plan", "Usage: cloudtimeouts plan [OPTIONS] PROFILE..."),
        ("validate", "Usage: cloudtimeouts validate [OPTIONS] PROFILE..."),
        ("django-settings", "Usage: cloudtimeouts django-settings [OPTIONS] PROFILE\n"),
        ("rollback", "Usage: cloudtimeouts rollback [OPTIONS] JOURNAL\n"),
    ],
)
def test_usage_lines_name_the_arguments_as_man_pages_do(cli: Any, command: str, usage: str) -> None:
    help_text = cli(command, "--help").stdout
    assert usage in "\n".join(line.strip() for line in help_text.splitlines()) + "\n"
    assert cli(command).stderr.startswith(usage.strip())  # a usage error shows the same line
