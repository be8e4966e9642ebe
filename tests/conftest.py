"""Shared fixtures: an isolated environment, the RDS emulator on loopback, and a CLI runner."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from cloudtimeouts.cli import main

if TYPE_CHECKING:
    from cloudtimeouts.sandbox.rds import RealisticRds

# Property tests assert behaviour, not speed: a loaded 2-core CI machine pauses for seconds at
# times, so no per-example deadline (time bounds are asserted explicitly where they matter).
settings.register_profile("cloudtimeouts", deadline=None)
settings.load_profile("cloudtimeouts")

# Ctrl-C and SIGTERM tests send SIGINT to the CLI in a subprocess. A suite started in the
# background by a non-interactive shell (`make test &` in a script, nohup) inherits SIGINT
# ignored, and so would every subprocess: Python then never raises KeyboardInterrupt, and those
# tests would measure the shell, not the tool. A handled signal is reset to its default on exec,
# so handling it here gives every subprocess a user's terminal default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

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


@pytest.fixture(scope="session")
def rds_emulator() -> Iterator[RealisticRds]:
    """The realistic RDS emulator (RDS's parameter-group behaviour in front of moto), one per
    session; the `aws` fixture gives each test a fresh account on it."""
    from cloudtimeouts.sandbox.rds import RealisticRds

    with RealisticRds(region="eu-west-1") as emulator:
        yield emulator


@pytest.fixture
def aws(rds_emulator: RealisticRds, monkeypatch: pytest.MonkeyPatch) -> RealisticRds:
    """A fresh account (no groups, instances, faults or recorded requests), reached the way users
    reach a custom endpoint. Seed it as users do: `aws.create_group(name, family, values)`,
    `aws.set_parameters(...)`, `aws.create_instance(...)`, `aws.create_cluster(...)`."""
    rds_emulator.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS", rds_emulator.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rds_emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    return rds_emulator


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
