"""The `cloudtimeouts-validate` hook, run by pre-commit itself on a temporary repository.

pre-commit's `try-repo` clones this repository at a commit and installs the package into a
virtualenv of its own with pip, exactly as a user's `pre-commit install` would: so these tests
prove the committed `.pre-commit-hooks.yaml` and the committed package, not the working tree
(`--ref HEAD`; without a ref try-repo would commit whatever is uncommitted here into a shadow
repository). `pre-commit run` with a user's `.pre-commit-config.yaml` naming this repository
at that commit does the same, and keeps the environment in PRE_COMMIT_HOME: the tests below
share one (the module's), so the package is installed twice in all (about 13 s each), once for
`pre-commit run` and once for the one try-repo test, which keeps its environments in a temporary
store of its own whatever PRE_COMMIT_HOME says (pre_commit/commands/try_repo.py:
`store = Store(tempdir)`). `make test` keeps each module on one worker (`--dist loadfile`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
HOOKS = REPO / ".pre-commit-hooks.yaml"

GOOD = """\
name: orders
engine: postgres
django:
  conn_max_age: 5min
server:
  idle_session_timeout: 10min
targets: []
"""
UNSAFE = """\
name: orders
engine: postgres
django:
  conn_max_age: 10min
server:
  idle_session_timeout: 5min
targets: []
"""
NOT_A_PROFILE = "services:\n  web:\n    image: nginx\n"


def _head() -> str | None:
    found = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    if found.returncode:
        return None
    shown = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{found.stdout.strip()}:.pre-commit-hooks.yaml"]
    )
    return None if shown.returncode else found.stdout.strip()


@pytest.fixture(scope="module")
def head() -> str:
    ref = _head()
    if ref is None:
        pytest.skip("not a git checkout with .pre-commit-hooks.yaml committed (an sdist?)")
    return ref


@pytest.fixture(scope="module")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One PRE_COMMIT_HOME per session of this module, out of the developer's ~/.cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env["PRE_COMMIT_COLOR"] = "never"
    yield env


def _config(head: str, files: str | None = None) -> str:
    """The README's `.pre-commit-config.yaml` for this repository at `head`."""
    config = f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n"
    config += "      - id: cloudtimeouts-validate\n"
    if files is not None:
        config += f"        files: {files}\n"
    return config


def _user_repo(directory: Path, files: dict[str, str]) -> Path:
    subprocess.run(["git", "init", "-q", str(directory)], check=True)
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    subprocess.run(["git", "-C", str(directory), "add", "."], check=True)
    return directory


def _pre_commit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    print(f"pre-commit {args[0]}: {time.monotonic() - started:.1f} s")  # shown with -s / -rP
    return done


def test_the_manifest_declares_the_hook_with_a_files_pattern_for_profiles() -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text())
    assert hook["id"] == "cloudtimeouts-validate"
    assert hook["entry"] == "python -m cloudtimeouts.precommit"  # validate, or a word
    assert hook["language"] == "python"
    pattern = re.compile(hook["files"])
    for path in (
        "cloudtimeouts/orders.yaml",
        "infra/cloudtimeouts/prod/a.yml",
        "orders.cloudtimeouts.yaml",
        "profiles/aws-postgres.yaml",  # the README's and this repository's own layout
        "profiles/prod/orders.yml",
    ):
        assert pattern.search(path), path
    for path in (
        "docker-compose.yaml",
        ".github/workflows/ci.yml",
        "cloudtimeouts/a.json",
        "profiles/a.json",
        "ansible/profiles/x.yaml",  # only a top-level profiles/ is the README's layout
    ):
        assert not pattern.search(path), path
    # every profile this repository ships is one the default pattern checks
    for path in (REPO / "profiles").glob("*.yaml"):
        assert pattern.search(path.relative_to(REPO).as_posix()), path
    # a run that matches nothing is said, not "(no files to check) Skipped"
    assert hook["always_run"] is True and hook["verbose"] is True


def test_the_entry_validates_what_it_is_given_and_names_the_fix_when_given_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from cloudtimeouts.precommit import main

    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 0
    said = capsys.readouterr().out
    assert "no profile matched, so none was checked" in said
    assert "set files: in your .pre-commit-config.yaml" in said
    unsafe = tmp_path / "orders.yaml"
    unsafe.write_text(UNSAFE)
    with pytest.raises(SystemExit) as done:
        main([str(unsafe)])
    assert done.value.code == 3


def test_try_repo_passes_on_profiles_and_skips_other_yaml(
    head: str, pre_commit_env: dict[str, str], tmp_path: Path
) -> None:
    repo = _user_repo(
        tmp_path / "user",
        {
            "cloudtimeouts/orders.yaml": GOOD,
            "deploy/billing.cloudtimeouts.yaml": GOOD.replace("orders", "billing"),
            "docker-compose.yaml": NOT_A_PROFILE,  # would fail validate if the hook read it
        },
    )
    done = _pre_commit(
        repo, pre_commit_env, "try-repo", str(REPO), "cloudtimeouts-validate", "--ref", head,
        "--all-files", "--verbose",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"cloudtimeouts validate\.+Passed", done.stdout)
    assert "cloudtimeouts/orders.yaml: ok (orders, postgres" in done.stdout
    assert "deploy/billing.cloudtimeouts.yaml: ok (billing, postgres" in done.stdout
    assert "docker-compose" not in done.stdout


def test_the_hook_fails_on_an_unsafe_profile_with_the_guards_words(
    head: str, pre_commit_env: dict[str, str], tmp_path: Path
) -> None:
    repo = _user_repo(
        tmp_path / "user",
        {".pre-commit-config.yaml": _config(head), "cloudtimeouts/orders.yaml": UNSAFE},
    )
    done = _pre_commit(repo, pre_commit_env, "run", "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"cloudtimeouts validate\.+Failed", done.stdout)
    assert "- exit code: 3" in done.stdout
    assert (
        "refused: cloudtimeouts/orders.yaml: profile orders: idle_session_timeout = 300000 ms "
        "(300 s, from the profile) is not above CONN_MAX_AGE 600 s"
    ) in done.stdout


def test_a_users_config_can_point_files_elsewhere(
    head: str, pre_commit_env: dict[str, str], tmp_path: Path
) -> None:
    """The README's snippet, with `files:` overridden to a `db/timeouts/` directory."""
    config = _config(head, files="^db/timeouts/.*\\.yaml$")
    repo = _user_repo(
        tmp_path / "user",
        {
            ".pre-commit-config.yaml": config,
            "db/timeouts/orders.yaml": UNSAFE,
            "cloudtimeouts/skipped.yaml": NOT_A_PROFILE,  # the default pattern no longer applies
        },
    )
    done = _pre_commit(repo, pre_commit_env, "run", "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refused: db/timeouts/orders.yaml: profile orders:" in done.stdout
    assert "skipped.yaml" not in done.stdout


def test_the_hook_names_every_bad_file_nested_spaced_or_not_a_profile(
    head: str, pre_commit_env: dict[str, str], tmp_path: Path
) -> None:
    """pre-commit hands the hook all the matching files at once: each problem is named, not
    only the first file's (a nested cloudtimeouts/ directory, a name with spaces, a YAML file
    in that directory that is no profile)."""
    repo = _user_repo(
        tmp_path / "user",
        {
            ".pre-commit-config.yaml": _config(head),
            "services/orders/cloudtimeouts/prod db.yaml": GOOD,
            "services/orders/cloudtimeouts/unsafe copy.yaml": UNSAFE,
            "services/orders/cloudtimeouts/broken.yaml": GOOD.replace("postgres", "oracle"),
            "cloudtimeouts/compose.yaml": NOT_A_PROFILE,
        },
    )
    done = _pre_commit(repo, pre_commit_env, "run", "--all-files", "--verbose")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "services/orders/cloudtimeouts/prod db.yaml: ok (orders, postgres" in done.stdout
    assert "refused: services/orders/cloudtimeouts/unsafe copy.yaml: profile orders:" in (
        done.stdout
    )
    assert "services/orders/cloudtimeouts/broken.yaml:2: engine: 'oracle' is not an engine" in (
        done.stdout
    )
    assert "cloudtimeouts/compose.yaml:1: unknown key 'services' (allowed: name, engine" in (
        done.stdout
    )


def test_the_readmes_layout_is_checked_by_default_bad_and_unsafe_profiles_fail(
    head: str, pre_commit_env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 20: `--files profiles/*.yaml` printed "(no files to check) Skipped" and passed with
    a bad and an unsafe profile among them."""
    repo = _user_repo(
        tmp_path / "user",
        {
            ".pre-commit-config.yaml": _config(head),
            "profiles/good.yaml": GOOD,
            "profiles/unsafe.yaml": UNSAFE,
            "profiles/broken.yaml": GOOD.replace("postgres", "oracle"),
        },
    )
    files = ["profiles/good.yaml", "profiles/unsafe.yaml", "profiles/broken.yaml"]
    done = _pre_commit(repo, pre_commit_env, "run", "--files", *files)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no files to check" not in done.stdout
    assert "profiles/good.yaml: ok (orders, postgres" in done.stdout
    assert "refused: profiles/unsafe.yaml: profile orders:" in done.stdout
    assert "profiles/broken.yaml:2: engine: 'oracle' is not an engine" in done.stdout


def test_a_run_that_matches_no_profile_says_so_and_names_the_fix(
    head: str, pre_commit_env: dict[str, str], tmp_path: Path
) -> None:
    """Profiles where the default pattern does not look: the run is not a silent skip."""
    repo = _user_repo(
        tmp_path / "user",
        {".pre-commit-config.yaml": _config(head), "db/timeouts/orders.yaml": UNSAFE},
    )
    done = _pre_commit(repo, pre_commit_env, "run", "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no files to check" not in done.stdout
    assert "cloudtimeouts: no profile matched, so none was checked." in done.stdout
    assert "set files: in your .pre-commit-config.yaml" in done.stdout


def test_the_readme_names_no_tag_that_does_not_exist() -> None:
    """`rev:` and `uses: ...@REF` in the README name a tag of this repository or a commit SHA
    (issue 20: `v0.1.0` was named and never tagged)."""
    readme = (REPO / "README.md").read_text()
    refs = re.findall(r"^\s*rev:\s*(\S+)", readme, re.M)
    refs += re.findall(r"uses:\s*OWNER/cloudtimeouts@(\S+)", readme)
    assert refs, "the README's pre-commit and action snippets"
    listed = subprocess.run(["git", "-C", str(REPO), "tag"], capture_output=True, text=True)
    tags = set(listed.stdout.split()) if listed.returncode == 0 else set()
    for ref in refs:
        assert ref in tags or re.fullmatch(r"[0-9a-f]{40}", ref), ref
    assert "@TAG" not in readme and "v0.1.0" not in readme
