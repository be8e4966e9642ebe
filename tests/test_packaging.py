"""The package a user installs: `python -m build`'s sdist and wheel, checked as PyPI checks them,
then the wheel installed into a fresh virtual environment, away from this source tree, where
`cloudtimeouts demo` must run the whole flow.

The build happens once per module (a few seconds). The fresh venvs get the distributions the
wheel's metadata asks for hard-linked from this test environment (tests/support/venvs.py), and
pip installs the wheel into them without the index: what was 60 s of downloading, unpacking and
compiling the SDKs twice is now a few seconds, and a dependency the metadata forgets still fails.
Timings are printed (`pytest -s`).
"""

from __future__ import annotations

import email.message
import email.parser
import os
import subprocess
import sys
import tarfile
import time
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import venvs
from test_readme_samples import assert_prints_the_readmes_demo

import cloudtimeouts

REPO = Path(__file__).resolve().parents[1]

# Building needs setuptools from the package index (build isolation), the bare venv the oldest
# typer: more than the suite's default per-test timeout on a cold pip cache.
pytestmark = pytest.mark.timeout(900)


@dataclass
class Dists:
    sdist: Path
    wheel: Path
    seconds: dict[str, float] = field(default_factory=dict)

    def wheel_names(self) -> set[str]:
        with zipfile.ZipFile(self.wheel) as archive:
            return set(archive.namelist())

    def sdist_names(self) -> set[str]:
        """The sdist's files, relative to its top directory (`cloudtimeouts-X.Y.Z/`)."""
        with tarfile.open(self.sdist) as archive:
            return {
                member.name.split("/", 1)[1]
                for member in archive.getmembers()
                if member.isfile() and "/" in member.name
            }


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]


def _tracked_files() -> list[str]:
    """The repository's files as git knows them (and as they stand on disk now)."""
    listed = _run(["git", "ls-files", "-z"], cwd=REPO)
    if listed.returncode != 0:
        pytest.skip("needs a git checkout (an unpacked sdist has no `git ls-files`)")
    return [name for name in listed.stdout.split("\0") if name and (REPO / name).is_file()]


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    out = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    built = _run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], timeout=600)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    (sdist,) = out.glob("cloudtimeouts-*.tar.gz")
    (wheel,) = out.glob("cloudtimeouts-*-py3-none-any.whl")
    return Dists(sdist, wheel, {"build": time.monotonic() - started})


def test_the_wheel_holds_every_module_and_data_file_of_the_package(dists: Dists) -> None:
    names = dists.wheel_names()
    package = [name for name in _tracked_files() if name.startswith("cloudtimeouts/")]
    data = [name for name in package if not name.endswith(".py")]
    assert data, "the emulators' catalogues (cloudtimeouts/sandbox/*/data) are tracked files"
    assert sorted(set(package) - names) == []
    dist_info = f"cloudtimeouts-{cloudtimeouts.__version__}.dist-info/"
    outside = sorted(n for n in names if not n.startswith(("cloudtimeouts/", dist_info)))
    assert outside == []  # no tests, no top-level strays
    assert [n for n in names if n.endswith((".pyc", ".pyo")) or "__pycache__" in n] == []
    assert f"{dist_info}licenses/LICENSE" in names


def test_the_sdist_is_the_source_tree_without_the_repositorys_dotfiles(dists: Dists) -> None:
    """Packagers (Debian, conda-forge, Nix) build and test from the sdist, so it carries the
    tests and what they read (profiles/, schema/, docs/, benchmarks/, scripts/): everything git
    tracks except the repository's own machinery (.gitignore, .ci/, other dotfiles)."""
    names = dists.sdist_names()
    expected = {name for name in _tracked_files() if not name.startswith(".")}
    assert sorted(expected - names) == []
    for required in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "PKG-INFO"):
        assert required in names
    assert [n for n in names if n.endswith((".pyc", ".pyo")) or "__pycache__" in n] == []


def _metadata(text: str) -> email.message.Message:
    return email.parser.HeaderParser().parsestr(text)


def test_one_version_source_reaches_the_metadata_of_both_dists(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as archive:
        wheel_meta = _metadata(
            archive.read(f"cloudtimeouts-{cloudtimeouts.__version__}.dist-info/METADATA").decode()
        )
    with tarfile.open(dists.sdist) as archive:
        member = archive.extractfile(f"cloudtimeouts-{cloudtimeouts.__version__}/PKG-INFO")
        assert member is not None
        sdist_meta = _metadata(member.read().decode())
    for meta in (wheel_meta, sdist_meta):
        assert meta["Version"] == cloudtimeouts.__version__
        assert meta["License-Expression"] == "Apache-2.0"
        assert meta["License-File"] == "LICENSE"
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert f'version = "{cloudtimeouts.__version__}"' not in pyproject


def test_twine_check_passes_and_the_readme_renders_as_on_pypi(dists: Dists) -> None:
    checked = _run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dists.sdist), str(dists.wheel)]
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2, checked.stdout
    # twine checks only reStructuredText; PyPI renders Markdown with readme_renderer[md].
    import readme_renderer.markdown

    with zipfile.ZipFile(dists.wheel) as archive:
        meta = email.parser.Parser().parsestr(
            archive.read(f"cloudtimeouts-{cloudtimeouts.__version__}.dist-info/METADATA").decode()
        )
    assert meta["Description-Content-Type"] == "text/markdown"
    description = meta.get_payload()
    assert description.strip() == (REPO / "README.md").read_text().strip()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Markdown renderers are not available"
        html = readme_renderer.markdown.render(description)
    assert html is not None
    assert '<h2 id="user-content-install">Install' in html


@dataclass
class Installed:
    python: Path
    cwd: Path
    env: dict[str, str]
    seconds: dict[str, float]

    def run(self, *command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return _run(list(command), cwd=self.cwd, env=self.env, timeout=timeout)

    def script(self, name: str) -> str:
        return str(self.python.parent / name)


def _requires_dist(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        meta = _metadata(
            archive.read(f"cloudtimeouts-{cloudtimeouts.__version__}.dist-info/METADATA").decode()
        )
    return meta.get_all("Requires-Dist") or []


def _pip(python: Path, *args: str, env: dict[str, str], **kwargs: object):  # type: ignore[no-untyped-def]
    """This environment's pip, installing into the venv of `python` (pip's `--python`)."""
    command = [sys.executable, "-m", "pip", "--python", str(python), *args]
    return _run(command, env=env, **kwargs)


def _fresh_env(root: Path, python: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["VIRTUAL_ENV"] = str(root)
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def installed(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The wheel with the `sandbox` extra (what `demo` needs) in a new venv, run from an empty
    directory with nothing of this source tree on sys.path.

    The new venv holds exactly the distributions the wheel's metadata asks for with `sandbox`
    (support/venvs.py: hard-linked from this environment, so the same versions, in about a
    second instead of 45 s of download, unpacking and compiling); pip then installs the wheel
    with `[sandbox]` and `--no-index`: it must find every declared dependency already there, so
    a dependency missing from the metadata, or one the metadata asks for that the closure lacks,
    fails here as it would for a user."""
    root = tmp_path_factory.mktemp("fresh")
    seconds = dict(dists.seconds)
    started = time.monotonic()
    needed = venvs.closure("cloudtimeouts", _requires_dist(dists.wheel), ["sandbox"])
    assert {"boto3", "moto", "google-cloud-sql", "azure-identity"} <= set(needed)
    python = venvs.create(root / "venv", needed)
    seconds["venv"] = time.monotonic() - started
    env = _fresh_env(root / "venv", python)
    env.pop("PIP_FIND_LINKS", None)  # --no-index: nothing may come from anywhere else
    started = time.monotonic()
    pip = _pip(
        python, "install", "--no-index", "--no-compile", f"{dists.wheel}[sandbox]",
        env=env, cwd=root, timeout=300,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stdout[-4000:] + pip.stderr[-4000:]
    assert "Successfully installed cloudtimeouts-" in pip.stdout, pip.stdout
    seconds["pip install"] = time.monotonic() - started
    cwd = root / "elsewhere"
    cwd.mkdir()
    yield Installed(python, cwd, env, seconds)
    print(
        "\npackaging timings: "
        + ", ".join(f"{step} {took:.1f} s" for step, took in seconds.items())
        + f", total {sum(seconds.values()):.1f} s"
    )


def test_the_installed_package_is_the_wheel_not_this_source_tree(installed: Installed) -> None:
    probe = installed.run(
        str(installed.python),
        "-c",
        "import cloudtimeouts, sys; print(cloudtimeouts.__file__); print(sys.path)",
    )
    assert probe.returncode == 0, probe.stderr
    location = Path(probe.stdout.splitlines()[0])
    assert location.is_relative_to(installed.python.parents[1]), probe.stdout
    assert str(REPO) not in probe.stdout


def test_the_installed_package_reads_every_data_file(installed: Installed) -> None:
    data = [
        name.removeprefix("cloudtimeouts/")
        for name in _tracked_files()
        if name.startswith("cloudtimeouts/") and not name.endswith(".py")
    ]
    probe = installed.run(
        str(installed.python),
        "-c",
        "import sys; from importlib import resources; root = resources.files('cloudtimeouts');"
        "missing = [n for n in sys.argv[1:] if not root.joinpath(n).read_bytes()];"
        "print(missing); sys.exit(bool(missing))",
        *data,
    )
    assert probe.returncode == 0, probe.stdout + probe.stderr


def test_the_installed_version_is_the_one_source(installed: Installed) -> None:
    expected = f"cloudtimeouts {cloudtimeouts.__version__}"
    for command in (
        [installed.script("cloudtimeouts"), "--version"],
        [str(installed.python), "-m", "cloudtimeouts", "--version"],
    ):
        shown = installed.run(*command)
        assert (shown.returncode, shown.stdout.strip()) == (0, expected), shown.stderr


def test_cloudtimeouts_demo_runs_the_whole_flow_from_the_installed_wheel(
    installed: Installed,
) -> None:
    """The README's `make demo`, from the wheel: every step in order, and the sandbox stopped.
    (The one run of the whole demo in the suite: the source tree's is the same code, and the
    wheel's proves besides that it needs nothing of this tree.)"""
    started = time.monotonic()
    demo = installed.run(installed.script("cloudtimeouts"), "demo", timeout=300)
    installed.seconds["demo"] = time.monotonic() - started
    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
    position = 0
    for line in (  # in this order
        "$ cloudtimeouts plan orders.yaml billing.yaml",
        "x refused: gcp:acme-prod:instance/orders-pg: idle_in_transaction_session_timeout",
        "Plan: 15 to change on 5 of 5 target(s), 1 refused, 0 error(s).",
        "(exit 3)",
        "+ idle_in_transaction_session_timeout: 10min",
        "This plan fixes it.",
        "$ cloudtimeouts apply orders.yaml billing.yaml --yes",
        "Apply: 18 parameter(s) written, 0 target(s) not applied.",
        "$ cloudtimeouts plan orders.yaml billing.yaml --detailed-exitcode",
        "Plan: 0 to change on 0 of 5 target(s), 0 refused, 0 error(s).",
        "cloudsql.iam_authentication=on, log_min_duration_statement=1000",
        '"CONN_MAX_AGE": 300,',
        "$ cloudtimeouts diagnose orders.yaml django.log cloudsql-postgres.json",
        "closed by the server's idle_in_transaction_session_timeout",
        "evidence: django.log:5, cloudsql-postgres.json:13",
        "1 incident(s), 1 explained (exit 3).",
        "Sandbox stopped. Nothing outside 127.0.0.1 was contacted.",
    ):
        found = demo.stdout.find(line, position)
        assert found >= 0, f"missing after position {position}: {line}\n{demo.stdout}"
        position = found
    assert "Traceback" not in demo.stderr
    assert_prints_the_readmes_demo(demo.stdout)  # the README's sample, line by line


# -- the sdist alone, the wheel without extras, the oldest typer the metadata allows -----------


def _declared_minimum(package: str) -> str:
    import tomllib

    requirements = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    (spec,) = [r for r in requirements if r.split(">=")[0].strip().lower() == package]
    return spec.split(">=")[1].split(",")[0].strip()


@pytest.fixture(scope="module")
def bare(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A wheel that pip builds from the sdist alone, installed without any extra next to the
    oldest typer pyproject.toml accepts (pip keeps an older typer a user already has)."""
    root = tmp_path_factory.mktemp("bare")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(root / "wheels"),
         str(dists.sdist)],
        timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    (wheel,) = (root / "wheels").glob("cloudtimeouts-*-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert set(archive.namelist()) == dists.wheel_names()
    # The base requirements but typer, linked; pip brings the oldest typer allowed (from its
    # cache or the index) and whatever that typer needs that is not there.
    needed = venvs.closure("cloudtimeouts", _requires_dist(wheel), exclude=["typer"])
    assert not {"boto3", "moto", "google-auth", "azure-identity"} & set(needed)
    python = venvs.create(root / "venv", needed)
    env = _fresh_env(root / "venv", python)
    typer = f"typer=={_declared_minimum('typer')}"
    pip = _pip(python, "install", "--quiet", "--no-compile", str(wheel), typer, env=env)
    assert pip.returncode == 0, pip.stdout[-4000:] + pip.stderr[-4000:]
    cwd = root / "elsewhere"
    cwd.mkdir()
    return Installed(python, cwd, env, {})


@pytest.mark.parametrize(
    ("target", "extra"),
    [
        ("  - {provider: aws, region: eu-west-1, parameter_group: orders-pg16}", "aws"),
        ("  - {provider: gcp, project: acme-co, instance: orders}", "gcp"),
        (
            "  - {provider: azure, subscription_id: 00000000-0000-0000-0000-000000000000, "
            "resource_group: prod, server: orders}",
            "azure",
        ),
    ],
)
def test_without_extras_validate_works_and_plan_names_the_extra_in_one_line(
    bare: Installed, target: str, extra: str
) -> None:
    profile = bare.cwd / f"{extra}.yaml"
    profile.write_text(
        "name: orders\nengine: postgres\ndjango:\n  conn_max_age: 5min\nserver:\n"
        f"  idle_session_timeout: 10min\ntargets:\n{target}\n"
    )
    cli = bare.script("cloudtimeouts")
    helped = bare.run(cli, "--help")
    assert helped.returncode == 0 and "Usage: cloudtimeouts" in helped.stdout, helped.stderr
    validated = bare.run(cli, "validate", str(profile))
    assert (validated.returncode, validated.stdout.strip()) == (
        0,
        f"{profile}: ok (orders, postgres, 1 server parameter(s), 1 target(s))",
    ), validated.stderr
    planned = bare.run(cli, "plan", str(profile))
    assert planned.returncode == 1 and "Traceback" not in planned.stderr
    (line,) = [line for line in planned.stdout.splitlines() if "error:" in line]
    assert "needs a package that is not installed" in line
    assert f"(hint: pip install 'cloudtimeouts[{extra}]')" in line


def test_the_oldest_typer_allowed_runs_the_commands_not_only_version(bare: Installed) -> None:
    """typer 0.12-0.15 with click 8.2+ (which their metadata allows) ran the eager --version
    callback for every command: each printed the version and exited 0, a green CI."""
    broken = bare.cwd / "broken.yaml"
    broken.write_text("name: orders\nengine: oracle\ndjango:\n  conn_max_age: 5min\n")
    done = bare.run(bare.script("cloudtimeouts"), "validate", str(broken))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Error: {broken}:2: engine: 'oracle' is not an engine" in done.stderr
    verified = bare.run(bare.script("cloudtimeouts"), "verify", str(broken), "--database-url", "x")
    assert verified.returncode == 1
    assert "cloudtimeouts 0" not in verified.stdout
