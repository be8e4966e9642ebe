"""The house rules of docs/architecture.md, read from the source with `ast` so they stay true."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.rooms import ROOMS, core_modules

PACKAGE = Path(__file__).resolve().parent.parent / "cloudtimeouts"

# The core room, as docs/architecture.md lists it (tests/test_rooms.py enforces the whole table).
CORE = core_modules()
# The words that name a cloud, one of its products or its Terraform resources: the core says none
# of them, in code, comments or docstrings (its knowledge of a cloud is in providers/<cloud>/).
CLOUD_WORDS = re.compile(
    r"\b(aws|amazon|rds|aurora|gcp|google|cloud ?sql|cloudsql|azure|azurerm|microsoft|entra"
    r"|sqladmin|boto3?|botocore)\b",
    re.IGNORECASE,
)
CLOUD_SDKS = ("boto3", "botocore", "google", "grpc", "azure", "msal", "moto", "werkzeug")
MAX_LINES = 600
# What a cloud's Terraform mapping may use of the Terraform room: the plan's records, its values,
# its configuration, the mapping Protocol and the HCL writer.
TERRAFORM_RECORDS = ("planfile", "values", "configuration", "mapping", "hcl")


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Every module an import statement names, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child, top)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            inner = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            if top_level_only and inner:
                continue
            visit(child, top and not inner)

    visit(tree, True)
    return found


def _ours(imported: set[str]) -> set[str]:
    return {name for name in imported if name.split(".")[0] == "cloudtimeouts"}


MODULES = dict(_modules())


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_core_imports_no_sdk_and_nothing_from_providers_sandbox_or_cli(module: str) -> None:
    imported = _imports(MODULES[module])
    assert not {name for name in imported if name.split(".")[0] in CLOUD_SDKS}
    forbidden = ("cloudtimeouts.providers", "cloudtimeouts.sandbox", "cloudtimeouts.cli")
    forbidden += ("cloudtimeouts.planning", "cloudtimeouts.applying", "cloudtimeouts.adapters")
    forbidden += ("cloudtimeouts.live", "cloudtimeouts.render")
    assert not {name for name in _ours(imported) if name.startswith(forbidden)}


# The rooms that must hold for any cloud the same way: the core, reading, writing, diagnose,
# rendering.
CLOUDLESS = sorted(
    CORE
    | {name for room in ("reading", "writing", "diagnose") for name, _ in ROOMS[room]}
    | {m for m in MODULES if m.startswith("cloudtimeouts.render")}
)


@pytest.mark.parametrize("module", CLOUDLESS)
def test_the_core_reading_writing_and_rendering_name_no_cloud(module: str) -> None:
    """What a cloud is and does lives in its provider package (`cloud.Cloud`); the core reads
    it through the registry, so adding a cloud touches no core module."""
    text = MODULES[module].read_text()
    named = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), 1)
        if CLOUD_WORDS.search(line)
    ]
    assert not named, "\n".join(named)


def test_every_core_module_exists() -> None:
    assert set(MODULES) >= CORE, sorted(CORE - set(MODULES))


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.startswith("cloudtimeouts.sandbox"))
)
def test_the_sandbox_imports_nothing_from_the_tool(module: str) -> None:
    outside = {
        n for n in _ours(_imports(MODULES[module])) if not n.startswith("cloudtimeouts.sandbox")
    }
    assert outside <= {"cloudtimeouts"}  # `from cloudtimeouts import sandbox` style only


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.startswith("cloudtimeouts.providers"))
)
def test_adapters_see_only_the_core(module: str) -> None:
    """A provider package sees the core; its Terraform mapping also sees the Terraform room's
    records (the plan's resources it describes), never the room's judging."""
    allowed = CORE | {"cloudtimeouts.providers"}
    if module.rpartition(".")[2].startswith("terraform"):
        allowed |= {f"cloudtimeouts.terraform.{m}" for m in TERRAFORM_RECORDS}
    for name in _ours(_imports(MODULES[module])):
        assert any(name == room or name.startswith(room + ".") for room in allowed), name


def test_cloud_sdks_are_imported_only_by_adapters_and_the_sandbox() -> None:
    for module, path in MODULES.items():
        if module.startswith(("cloudtimeouts.providers.", "cloudtimeouts.sandbox")):
            continue
        sdks = {n for n in _imports(path) if n.split(".")[0] in CLOUD_SDKS}
        assert not sdks, f"{module} imports {sorted(sdks)}"


def test_no_import_cycle_between_modules() -> None:
    graph = {
        module: {
            target
            for name in _ours(_imports(path, top_level_only=True))
            for target in (name, name.rpartition(".")[0])
            # a submodule importing its own package's siblings passes through the package's
            # __init__, which Python has already started: not a cycle
            if target in MODULES and target != module and not module.startswith(target + ".")
        }
        for module, path in MODULES.items()
    }
    state: dict[str, int] = {}

    def walk(module: str, stack: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if target == "cloudtimeouts":  # the lazy library namespace (PEP 562) imports nothing
                continue
            assert state.get(target) != 1, " -> ".join([*stack, module, target])
            if target not in state:
                walk(target, [*stack, module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_600_lines(module: str) -> None:
    assert len(MODULES[module].read_text().splitlines()) <= MAX_LINES


def test_import_cloudtimeouts_loads_neither_pydantic_nor_an_sdk() -> None:
    code = (
        "import sys, cloudtimeouts; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'boto3', 'google', 'azure', 'yaml')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
