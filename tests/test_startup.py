"""Start-up stays light: what `--help`, `--version` and `validate` import (issue #17, item 5).

Not a timing: benchmarks/startup.py measures the time, these check the modules each command
loads in a fresh interpreter, which is what the time comes from and does not vary with the load
of the machine.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = """
import sys
from cloudtimeouts.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n")
"""
CLOUD_SDKS = ("boto3", "botocore", "google", "googleapiclient", "azure", "psycopg", "pymysql")
NEVER_AT_START = (
    *CLOUD_SDKS,
    "cloudtimeouts.providers",
    "cloudtimeouts.planning",
    "cloudtimeouts.applying",
    "cloudtimeouts.adapters",
    "cloudtimeouts.plan",
    "cloudtimeouts.sandbox",
    "cloudtimeouts.terraform",
    "cloudtimeouts.live",
)
# typer.rich_utils imports rich.markdown and rich.traceback for --help: what validate and the
# commands must not add is only what the clouds and the commands themselves bring


def _modules(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    last = done.stderr.rstrip("\n").rsplit("\n", 1)[-1]
    assert last.startswith("MODULES "), done.stderr
    return set(last.split()[1:])


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_load_neither_pydantic_nor_yaml_nor_any_command(argv: list[str]) -> None:
    modules = _modules(*argv)
    assert "cloudtimeouts.cli" in modules
    heavy = (*NEVER_AT_START, "pydantic", "yaml", "cloudtimeouts.profile", "cloudtimeouts.catalog")
    assert _loaded(modules, heavy) == []


def test_a_commands_help_loads_no_profile() -> None:
    """Typer parses the group's options with pydantic before it reaches a command's --help."""
    modules = _modules("validate", "--help")
    assert _loaded(modules, (*NEVER_AT_START, "yaml", "cloudtimeouts.profile")) == []


def test_validate_loads_the_profile_the_guard_and_only_the_clouds_descriptions() -> None:
    """validate reads what each cloud tells the core (its `cloud` and `target` modules, no SDK)
    and nothing that talks to a cloud: no adapter, no SDK."""
    modules = _modules("validate", str(ROOT / "profiles" / "aws-postgres.yaml"))
    assert {"cloudtimeouts.profile", "cloudtimeouts.cloud"} <= modules
    described = {"cloudtimeouts.providers"} | {
        f"cloudtimeouts.providers.{name}{part}"
        for name in ("aws", "gcp", "azure")
        for part in ("", ".cloud", ".target")
    }
    assert _loaded(modules, NEVER_AT_START) == sorted(described & modules)
    assert {"cloudtimeouts.providers.aws.cloud", "cloudtimeouts.providers.azure.target"} <= modules


def test_no_profile_model_has_a_builtin_default_factory() -> None:
    """Pydantic reads a default factory's signature as it builds a model; a builtin's (`dict`,
    `list`) is parsed from text by the tokenizer, whose regexes compile then: a tenth of the
    baseline on every `validate`."""
    from pydantic import BaseModel

    from cloudtimeouts import profile

    def models(model: type[BaseModel]) -> list[type[BaseModel]]:
        return [model, *(m for sub in model.__subclasses__() for m in models(sub))]

    builtin = [
        f"{model.__name__}.{name}"
        for model in models(profile.Strict)
        for name, field in model.model_fields.items()
        if isinstance(field.default_factory, type | types.BuiltinFunctionType)
    ]
    assert builtin == []
    assert len(models(profile.Strict)) > 10  # every profile model was seen
