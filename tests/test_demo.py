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


def _wait_for(
    path: Path, process: subprocess.Popen[str] | None = None, seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() or "CLOUDTIMEOUTS_AZURE_ENDPOINT" not in path.read_text():
        assert process is None or process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.2)


def test_a_background_sandbox_ignores_ctrl_c_and_stops_with_the_stop_command(
    tmp_path: Path,
) -> None:
    """The README's recipe, `cloudtimeouts sandbox --dir DIR &`, in a non-interactive shell:
    the job starts with SIGINT ignored, so Ctrl-C cannot stop it; `sandbox --stop --dir DIR`
    does, through DIR/sandbox.pid, and waits until the emulators are down."""
    script = (
        f"{sys.executable} -m cloudtimeouts.cli sandbox --dir {tmp_path} "
        f">{tmp_path}/out 2>{tmp_path}/err & echo $!; wait $!; echo exit=$? >{tmp_path}/rc"
    )
    shell = subprocess.Popen(
        ["bash", "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    assert shell.stdout is not None
    pid = int(shell.stdout.readline())
    _wait_for(tmp_path / "sandbox.env", seconds=60)
    assert (tmp_path / "sandbox.pid").read_text().strip() == str(pid)
    variables = _exports(tmp_path / "sandbox.env")
    url = variables["CLOUDTIMEOUTS_GCP_ENDPOINT"]
    # the instructions are printed just after sandbox.env is written: wait for them too
    deadline = time.monotonic() + 30
    while "sandbox.off" not in (out := (tmp_path / "out").read_text()):
        assert time.monotonic() < deadline, out
        time.sleep(0.1)
    assert f"cloudtimeouts sandbox --stop --dir {tmp_path}" in out
    assert f"source {tmp_path / 'sandbox.off'}" in out

    os.kill(pid, signal.SIGINT)  # what Ctrl-C would send: ignored by a background job
    time.sleep(1)
    assert _listening(url) and (tmp_path / "sandbox.pid").exists()

    again = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts.cli", "sandbox", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert again.returncode == 1
    assert f"a sandbox is already running in {tmp_path} (pid {pid})" in again.stderr

    stopped = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts.cli", "sandbox", "--stop", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (stopped.returncode, stopped.stdout.strip()) == (0, f"Sandbox (pid {pid}) stopped.")
    assert not _listening(url) and not (tmp_path / "sandbox.pid").exists()
    shell.wait(timeout=30)
    assert (tmp_path / "rc").read_text().strip() == "exit=130"
    assert "Traceback" not in (tmp_path / "err").read_text()

    gone = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts.cli", "sandbox", "--stop", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert gone.returncode == 1 and f"no sandbox is running in {tmp_path}" in gone.stderr


def _exports(env_file: Path) -> dict[str, str]:
    return dict(
        line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines()
    )


def test_after_a_sigterm_the_environment_names_no_deleted_file_and_undoes_in_one_line(
    tmp_path: Path,
) -> None:
    """Issue 20: after the sandbox stopped, SSL_CERT_FILE and REQUESTS_CA_BUNDLE named a deleted
    CA file and pip failed. Every path sandbox.env names stays; its CA bundle trusts the public
    CAs too (pip and requests work while it is set); `source DIR/sandbox.off` unsets it all."""
    process = _cli("sandbox", "--dir", str(tmp_path), start_new_session=True)
    _wait_for(tmp_path / "sandbox.env", process)
    process.send_signal(signal.SIGTERM)  # `kill PID`
    process.communicate(timeout=30)
    assert process.returncode == 130
    variables = _exports(tmp_path / "sandbox.env")
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        assert variables[name] == str(tmp_path / "sandbox-ca.pem")
    paths = {name: Path(value) for name, value in variables.items() if value.startswith("/")}
    assert {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "CLOUDSDK_CONFIG"} <= set(paths)
    for name, path in paths.items():
        assert path.exists(), f"{name}={path} names a deleted file"
    import certifi

    bundle = paths["SSL_CERT_FILE"].read_text()
    public = Path(certifi.where()).read_text()
    assert bundle.startswith(public.rstrip("\n")) and "cloudtimeouts fake Azure" not in public
    assert bundle.count("BEGIN CERTIFICATE") == public.count("BEGIN CERTIFICATE") + 1
    undone = subprocess.run(
        ["bash", "-c", f"source {tmp_path}/sandbox.env && source {tmp_path}/sandbox.off && env"],
        capture_output=True, text=True, env={"PATH": os.environ["PATH"]}, timeout=30,
    )  # fmt: skip
    assert undone.returncode == 0, undone.stderr
    left = {line.split("=", 1)[0] for line in undone.stdout.splitlines()}
    assert not left & set(variables), left & set(variables)


def test_the_demo_without_the_sandbox_extra_says_so_before_starting_anything() -> None:
    """`cryptography` missing (the sandbox extra not installed): one line, exit 1, and nothing
    printed before it (issue 20: "Starting the sandbox…" came first)."""
    code = (
        "import sys\n"
        "sys.modules['cryptography'] = None  # as if it were not installed\n"
        "from cloudtimeouts.cli import main\n"
        "main(['demo'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "Error: the sandbox needs a package that is not installed (cryptography)",
        "Hint: pip install 'cloudtimeouts[sandbox]'",
    ]
