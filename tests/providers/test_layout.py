"""Every cloud's package has the same shape (issue 17, item 1), read from the source with `ast`
and checked in a fresh interpreter.

- Its `__init__` is a face: it imports no SDK (its `cloud` and `target` describe the cloud to the
  core without one: `validate` and the offline guard read them), and re-exports the adapter's
  names on first use through `__getattr__`, whose first statements import the SDK (so that a
  missing SDK fails there, even when an adapter module is still loaded from an earlier import:
  `load_adapter` turns that into "pip install ..."). No function, class or setting of its own.
- No module of the package imports a name from its own face: the face re-exports them, so that
  would be an import cycle (gcp's tuning constants once were).
- The registry names each adapter through its face.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from cloudtimeouts.cloud import clouds

PROVIDERS = Path(__file__).resolve().parents[2] / "cloudtimeouts" / "providers"
# each registered cloud's SDK roots, as its package declares them (cloud.Cloud.sdk_roots)
SDKS = {name: tuple(sorted(described.sdk_roots)) for name, described in clouds().items()}
CLOUDS = sorted(SDKS)


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_face_imports_no_sdk_and_its_getattr_imports_the_sdk_first(cloud: str) -> None:
    tree = ast.parse((PROVIDERS / cloud / "__init__.py").read_text())
    top = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    imported = {alias.name for node in top if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in top if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in SDKS[cloud]}, imported
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert [function.name for function in functions] == ["__getattr__"]
    assert not [node for node in tree.body if isinstance(node, ast.ClassDef)]
    first_import = next(
        node for node in functions[0].body if isinstance(node, ast.Import | ast.ImportFrom)
    )
    assert isinstance(first_import, ast.Import), ast.unparse(first_import)
    assert first_import.names[0].name.split(".")[0] in SDKS[cloud], ast.unparse(first_import)


@pytest.mark.parametrize("cloud", CLOUDS)
def test_what_the_core_reads_of_a_cloud_loads_no_sdk(cloud: str) -> None:
    code = (
        "import sys\n"
        f"import cloudtimeouts.providers.{cloud}.cloud, cloudtimeouts.providers.{cloud}.target\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {SDKS[cloud]!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


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


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_registry_names_each_adapter_through_its_face(cloud: str) -> None:
    module, _, name = clouds()[cloud].adapter.partition(":")
    assert module == f"cloudtimeouts.providers.{cloud}"
    tree = ast.parse((PROVIDERS / cloud / "__init__.py").read_text())
    lazy = next(
        node
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and "_LAZY" in ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node.target)
    )
    assert name in ast.literal_eval(lazy.value)  # type: ignore[arg-type]
