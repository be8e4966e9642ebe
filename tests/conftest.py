"""Shared fixtures: an isolated environment, moto's server on loopback, and a CLI runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cloudtimeouts.cli import main

pytest_plugins = ["dbservers"]  # real PostgreSQL and MariaDB servers, for the database tests

REPO = Path(__file__).resolve().parent.parent
PROFILES = REPO / "profiles"

# No test may reach an instance metadata service (169.254.169.254 is not ours). google-auth reads
# these when it is first imported, so they are set here, before any test module imports an SDK.
os.environ.update(
    NO_GCE_CHECK="true",
    GCE_METADATA_HOST="127.0.0.1:9",
    GCE_METADATA_IP="127.0.0.1:9",
    AWS_EC2_METADATA_DISABLED="true",
    IDENTITY_ENDPOINT="http://127.0.0.1:9/msi/token",  # Azure managed identity: a closed port
    IDENTITY_HEADER="cloudtimeouts-tests",
)


@pytest.fixture(autouse=True)
def _isolated_cloud_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test may see the developer's cloud credentials or config."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "GOOGLE_", "AZURE_", "CLOUDTIMEOUTS_")):
            monkeypatch.delenv(name)
    empty = tmp_path_factory.mktemp("empty-config") / "none"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    url: str

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto in server mode: boto3 talks HTTP to it exactly as to AWS."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = MotoServer(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{server.url}/moto-api/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)
    yield server
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """A clean moto account, reached the way users reach a custom endpoint."""
    moto_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS", moto_server.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    yield moto_server


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the real entry point in-process; returns exit code, stdout and stderr."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run
