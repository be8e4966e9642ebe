"""The library API: docs/library.md's example runs on the sandbox, and the namespace is the API."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.profiles import aws_target, write_profile
from support.terraform import parameter_group, plan_document, write_plan

import cloudtimeouts

REPO = Path(__file__).resolve().parent.parent
LIBRARY_DOC = REPO / "docs" / "library.md"
README = REPO / "README.md"


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", markdown, flags=re.DOTALL | re.MULTILINE)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """What docs/library.md tells a user to do: `cloudtimeouts sandbox --dir DIR` (in its own
    process: moto's state is per process), then the variables of DIR/sandbox.env; the journal's
    default home is under DIR too."""
    workdir = tmp_path_factory.mktemp("library-sandbox")
    process = subprocess.Popen(
        [sys.executable, "-m", "cloudtimeouts", "sandbox", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        env_file = workdir / "sandbox.env"
        deadline = time.monotonic() + 60
        while not env_file.exists() or "CLOUDTIMEOUTS_AZURE_ENDPOINT" not in env_file.read_text():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.1)
        lines = env_file.read_text().splitlines()
        variables = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AWS_", "GOOGLE_", "AZURE_", "CLOUDTIMEOUTS_"))
        }
        yield workdir, env | variables | {"XDG_STATE_HOME": str(workdir / "state")}
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=30)


def _run(code: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_example_of_docs_library_runs_on_the_sandbox(
    sandbox: tuple[Path, dict[str, str]],
) -> None:
    workdir, env = sandbox
    (example,) = _python_blocks(LIBRARY_DOC.read_text())
    done = _run(example, workdir, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "orders: ok" in done.stdout and "billing: ok" in done.stdout
    assert "refused: nothing was applied: the guard refused 1 value(s)" in done.stdout
    journals = list((workdir / "state" / "cloudtimeouts").glob("apply-*.jsonl"))
    assert len(journals) == 2  # the apply's and the rollback's, where the CLI writes them
    assert f"the journal is {workdir / 'state'}" in done.stdout
    assert "wrote 6 value(s)" in done.stdout and "restored 6 value(s)" in done.stdout


def test_apply_plan_without_a_journal_only_when_asked_and_into_a_named_file(
    sandbox: tuple[Path, dict[str, str]],
) -> None:
    workdir, env = sandbox
    code = textwrap.dedent("""
        import cloudtimeouts
        billing = cloudtimeouts.load_profile("billing.yaml")
        (group, server) = [target.id for target in billing.targets]
        result = cloudtimeouts.apply_plan(cloudtimeouts.make_plan([billing], only=[group]),
                                          journal=None)
        assert result.journal is None and not result.failed, result.to_json()
        unchanged = cloudtimeouts.apply_plan(cloudtimeouts.make_plan([billing], only=[group]))
        assert unchanged.journal is None, "no change, no journal file"
        result = cloudtimeouts.apply_plan(cloudtimeouts.make_plan([billing], only=[server]),
                                          journal="mine.jsonl")
        assert result.journal == "mine.jsonl" and not result.failed, result.to_json()
        undone = cloudtimeouts.rollback("mine.jsonl", journal="mine.jsonl")
        assert [t.outcome for t in undone.targets] == ["applied"], undone.to_json()
        print("ok")
    """)
    done = _run(code, workdir, env)
    assert done.returncode == 0 and done.stdout == "ok\n", done.stdout + done.stderr
    kinds = [json.loads(line)["kind"] for line in (workdir / "mine.jsonl").read_text().splitlines()]
    assert kinds.count("apply") == 2  # the apply's run, then the rollback's, in the one file


def test_the_package_docstring_example_runs_from_a_checkout() -> None:
    (block,) = re.findall(r"::\n\n((?:    .*\n|\n)+)", cloudtimeouts.__doc__ or "")
    done = _run(textwrap.dedent(block), REPO, dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert '"CONN_MAX_AGE": 300' in done.stdout


def test_dir_shows_the_public_api_and_every_name_resolves() -> None:
    code = "import cloudtimeouts, json; print(json.dumps(dir(cloudtimeouts)))"
    shown = json.loads(_run(code, REPO, dict(os.environ)).stdout)
    assert shown == sorted(cloudtimeouts.__all__)
    assert set(cloudtimeouts.__all__) == {*cloudtimeouts._EXPORTS, "__version__"}
    assert not {"Any", "TYPE_CHECKING", "import_module"} & set(shown)
    for name in cloudtimeouts.__all__:
        assert getattr(cloudtimeouts, name) is not None
    for error in ("ProfileError", "UnsafeProfileError", "GuardRefusal", "JournalError"):
        assert issubclass(getattr(cloudtimeouts, error), cloudtimeouts.CloudtimeoutsError)


def test_a_call_named_like_a_submodule_stays_the_call_once_the_submodule_is_imported() -> None:
    code = (
        "import cloudtimeouts, importlib\n"
        "importlib.import_module('cloudtimeouts.explain')\n"
        "importlib.import_module('cloudtimeouts.rollback')\n"
        "print(cloudtimeouts.explain.__module__, cloudtimeouts.rollback.__module__)\n"
        "from cloudtimeouts.rollback import read_rollback\n"
        "print(cloudtimeouts.rollback.__module__)\n"
    )
    done = _run(code, REPO, dict(os.environ))
    expected = ["cloudtimeouts.explain", "cloudtimeouts.library", "cloudtimeouts.library"]
    assert done.stdout.split() == expected, done.stderr


def test_validate_is_the_offline_guard_of_the_validate_command(tmp_path: Path) -> None:
    for path in sorted((REPO / "profiles").glob("*.yaml")):
        assert cloudtimeouts.validate(path).ok, path
    unsafe = write_profile(tmp_path, conn_max_age="30min", server={"idle_session_timeout": "10min"})
    checked = cloudtimeouts.validate(unsafe)
    assert not checked.ok and checked.profile.name == "orders"
    assert [refusal.parameter for refusal in checked.refusals] == ["idle_session_timeout"]
    with pytest.raises(cloudtimeouts.ProfileError):
        cloudtimeouts.validate(tmp_path / "missing.yaml")


def test_plan_terraform_reads_a_file_or_its_json_alike(tmp_path: Path) -> None:
    profile = cloudtimeouts.load_profile(
        write_profile(tmp_path, server={"idle_session_timeout": "10min"},
                      targets=[aws_target("orders-pg16")])
    )  # fmt: skip
    changes = [parameter_group("orders-pg16", {"idle_session_timeout": "60000"})]
    from_file = cloudtimeouts.plan_terraform([profile], write_plan(tmp_path, changes))
    from_json = cloudtimeouts.plan_terraform([profile], plan_document(changes))
    assert from_file.refusal_count == from_json.refusal_count == 1
    assert from_json.to_json()["targets"] == from_file.to_json()["targets"]
    with pytest.raises(cloudtimeouts.TerraformPlanError, match="not a JSON document"):
        cloudtimeouts.plan_terraform([profile], {"format_version": "1.2", "x": {1, 2}})
    with pytest.raises(cloudtimeouts.TerraformPlanError, match="Terraform state"):
        cloudtimeouts.plan_terraform([profile], {"format_version": "1.0", "values": {}})


def test_the_readme_names_only_what_the_library_exports() -> None:
    section = README.read_text().split("\n## Library\n", 1)[1].split("\n## ", 1)[0]
    assert "docs/library.md" in section
    named = set(re.findall(r"cloudtimeouts\.([A-Za-z_]+)", "\n".join(_python_blocks(section))))
    named |= {
        name.strip()
        for imported in re.findall(r"from cloudtimeouts import ([\w, ]+)", section)
        for name in imported.split(",")
    }
    named |= set(re.findall(r"`([A-Za-z_]+)\(", section)) | set(
        re.findall(r"`([A-Z][A-Za-z]+(?:Error|Refusal))`", section)
    )
    assert named and named <= set(cloudtimeouts.__all__), named - set(cloudtimeouts.__all__)


def test_export_and_schema_are_the_commands_output(cli: Any, tmp_path: Path) -> None:
    path = write_profile(tmp_path, server={"idle_session_timeout": "10min"},
                         targets=[aws_target("orders-pg16")])  # fmt: skip
    profile = cloudtimeouts.load_profile(path)
    said = cli("export", path)
    assert said.exit_code == 0, said.stderr
    assert cloudtimeouts.export_terraform([profile], [str(path)]) == said.stdout
    assert f"# from {profile.name}.\n" in cloudtimeouts.export_terraform([profile])
    unsafe = write_profile(tmp_path, conn_max_age="30min", server={"idle_session_timeout": "10min"})
    with pytest.raises(cloudtimeouts.UnsafeProfileError):
        cloudtimeouts.export_terraform([cloudtimeouts.load_profile(unsafe)])
    assert json.loads(cli("schema").stdout) == cloudtimeouts.profile_json_schema()
