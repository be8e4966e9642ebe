"""`cloudtimeouts demo` and `cloudtimeouts sandbox`, run as a user runs them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudtimeouts.cli", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


# The whole demo runs once in the suite, from the installed wheel, with every step checked in
# order: test_packaging.py, test_cloudtimeouts_demo_runs_the_whole_flow_from_the_installed_wheel.


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname or "", parts.port or 0)) == 0


def _tls_directories(under: Path) -> set[Path]:
    return set(under.glob("cloudtimeouts-tls-*"))


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_sandbox_prints_how_to_use_it_and_stops_on_ctrl_c_or_sigterm(
    tmp_path: Path, stop: signal.Signals
) -> None:
    # its own temporary directory (tempfile honours TMPDIR): what other processes on the
    # machine leave in /tmp says nothing about this sandbox
    private = tmp_path / "tmp"
    private.mkdir()
    environment = {**os.environ, "TMPDIR": str(private)}
    process = _cli("sandbox", "--dir", str(tmp_path), start_new_session=True, env=environment)
    env_file = tmp_path / "sandbox.env"
    deadline = time.monotonic() + 60
    while not env_file.exists() or "CLOUDTIMEOUTS_AZURE_ENDPOINT" not in env_file.read_text():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the sandbox did not start"
        time.sleep(0.2)
    for secret in (env_file, tmp_path / "gcp-adc.json"):
        assert secret.stat().st_mode & 0o077 == 0, f"{secret.name}: throwaway keys, still 0600"
    variables = dict(
        line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines()
    )
    urls = [
        variables["AWS_ENDPOINT_URL_RDS"],
        variables["CLOUDTIMEOUTS_GCP_ENDPOINT"],
        variables["CLOUDTIMEOUTS_AZURE_ENDPOINT"],
    ]
    assert all(_listening(url) for url in urls)
    assert len(_tls_directories(private)) == 1  # the TLS key lives here while it runs
    assert (tmp_path / "orders.yaml").exists() and (tmp_path / "billing.yaml").exists()

    plan = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts.cli", "plan", "orders.yaml", "-o", "json"],
        cwd=tmp_path,
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert plan.returncode == 3, plan.stderr  # the fleet's one unsafe value

    os.killpg(process.pid, stop)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert f"source {env_file}" in out
    assert "Traceback" not in err
    assert not any(_listening(url) for url in urls)
    assert _tls_directories(private) == set(), "the TLS key's directory is removed"


def test_ctrl_c_during_the_demo_is_one_line_and_exit_130() -> None:
    process = _cli("demo", start_new_session=True)
    time.sleep(4)  # the emulators are up and a step is running
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err + out
    assert err.strip().splitlines()[-1] == "Interrupted."


def test_ctrl_c_while_the_cli_is_still_importing_is_one_line_and_exit_130() -> None:
    """The demo's steps start as `python -m cloudtimeouts`; a Ctrl-C sent to the demo's process
    group can reach one while it imports its modules. SIGINT is raised here exactly then."""
    code = (
        "import os, runpy, signal, sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'rich.console':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv = ['cloudtimeouts', '--version']\n"
        "runpy.run_module('cloudtimeouts', run_name='__main__', alter_sys=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "Interrupted.\n"
