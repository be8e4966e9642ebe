"""Fresh virtual environments in seconds: the distributions a requirement needs, hard-linked
from this test run's own environment instead of downloaded, unpacked and compiled again.

`create(root, closure(name, requires, extras))` walks a package's requirements (with their
extras and markers) through the installed distributions' metadata, exactly the closure pip would
install, and links each file of each of those distributions into the new venv's site-packages.
Nothing else comes along: a dependency the package forgot to declare is missing there, as it
would be after `pip install`.
Hard links, not symlinks: pip may uninstall a linked distribution (to install another version)
without touching this environment's copy, and no path of this source tree shows in the new one.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import shutil
import sys
import venv
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def closure(
    name: str, requires: Iterable[str], extras: Iterable[str] = (), *, exclude: Iterable[str] = ()
) -> dict[str, metadata.Distribution]:
    """Every installed distribution that package `name` (whose Requires-Dist lines are
    `requires`, e.g. a wheel's) needs with `extras`, by canonical name, markers and extras
    evaluated as pip does; `exclude`d names, and what only they need, are left out."""
    root = canonicalize_name(name)
    skipped = {canonicalize_name(other) for other in exclude}
    found: dict[str, metadata.Distribution] = {}
    extras_seen: dict[str, set[str]] = {}
    todo = [Requirement(f"{name}[{','.join(extras)}]" if extras else name)]
    while todo:
        requirement = todo.pop()
        key = canonicalize_name(requirement.name)
        if key in skipped:
            continue
        new = set(requirement.extras) - extras_seen.get(key, set())
        if key in extras_seen and not new:
            continue
        extras_seen.setdefault(key, set()).update(requirement.extras)
        if key == root:
            lines = list(requires)
        else:
            found[key] = found.get(key) or metadata.distribution(requirement.name)
            lines = found[key].requires or []
        environments = [{"extra": extra} for extra in sorted(extras_seen[key]) or [""]]
        for text in lines:
            dependency = Requirement(text)
            if dependency.marker is None or any(
                dependency.marker.evaluate(environment) for environment in environments
            ):
                todo.append(dependency)
    return found


def site_packages(root: Path) -> Path:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return root / "lib" / version / "site-packages"


def create(root: Path, needed: dict[str, metadata.Distribution]) -> Path:
    """A venv at `root` (without pip: run pip with `--python`) holding, hard-linked, the
    `needed` distributions (see `closure`); returns its python."""
    venv.create(root, with_pip=False, symlinks=True)
    target = site_packages(root)
    for distribution in needed.values():
        base = Path(str(distribution.locate_file("")))
        for file in distribution.files or []:
            source = Path(str(distribution.locate_file(file)))
            try:
                relative = source.resolve().relative_to(base.resolve())
            except ValueError:
                continue  # a console script in bin/: not needed, and it names the other python
            destination = target / relative
            if destination.exists() or not source.is_file():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, destination)
            except OSError:  # another file system: copy
                shutil.copy2(source, destination)
    return root / "bin" / "python"
