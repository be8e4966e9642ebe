"""Every cloud's package has the same shape (issue 17, item 1), read from the source with `ast`.

- Its `__init__` is a face: the SDK imported first (so that a missing SDK fails on importing the
  package, even when a submodule is still loaded from an earlier import: `load_adapter` turns
  that into "pip install ..."), then re-exports; no function, class or setting of its own.
- No module of the package imports a name from its own face: the face imports them, so that
  would be an import cycle (gcp's tuning constants once were).
- The registry names each adapter through its face.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cloudtimeouts.catalog import Provider
from cloudtimeouts.providers import REGISTRY

PROVIDERS = Path(__file__).resolve().parents[2] / "cloudtimeouts" / "providers"
SDKS = {"aws": ("boto3", "botocore"), "gcp": ("google",), "azure": ("azure",)}
CLOUDS = sorted(SDKS)


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    return [
        node
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_package_face_imports_its_sdk_first_and_defines_nothing(cloud: str) -> None:
    face = PROVIDERS / cloud / "__init__.py"
    tree = ast.parse(face.read_text())
    imports = _imports(tree)
    first = imports[0]
    names = [alias.name for alias in first.names] if isinstance(first, ast.Import) else []
    assert names and names[0].split(".")[0] in SDKS[cloud], ast.unparse(first)
    defined = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
        or (
            isinstance(node, ast.Assign)
            and not all(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        )
    ]
    assert not defined, [ast.unparse(node) for node in defined]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_no_module_of_a_package_imports_from_its_own_face(cloud: str) -> None:
    package = f"cloudtimeouts.providers.{cloud}"
    submodules = {path.stem for path in (PROVIDERS / cloud).glob("*.py")} - {"__init__"}
    for path in sorted((PROVIDERS / cloud).glob("*.py")):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == package:
                not_modules = {alias.name for alias in node.names} - submodules
                assert not not_modules, f"{path.name} imports {not_modules} from {package}"
            if isinstance(node, ast.Import):
                assert all(alias.name != package for alias in node.names), path.name


@pytest.mark.parametrize("provider", list(Provider))
def test_the_registry_names_each_adapter_through_its_face(provider: Provider) -> None:
    module, _, name = REGISTRY[provider].partition(":")
    assert module == f"cloudtimeouts.providers.{provider.value}"
    tree = ast.parse((PROVIDERS / provider.value / "__init__.py").read_text())
    exported = {alias.asname or alias.name for node in _imports(tree) for alias in node.names}
    assert name in exported
