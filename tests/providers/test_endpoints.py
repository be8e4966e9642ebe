"""A target that times out names the endpoint it waited on; a refused connection fails at once.

Real SDK clients against the emulators (the GCP OAuth token URL black-holed by the loopback
server's fault switch), and against two local ports of our own: one that listens and never
answers (a black hole: the kernel completes the handshake into the backlog, nobody reads), and
one where nothing listens (refused). The orchestration's deadline (`--timeout`) ends a silent
target; its message must name what was silent, not the Cloud SQL or RDS endpoint in general.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.profiles import aws_target, gcp_target, write_profile

from cloudtimeouts.sandbox.loopback import Fault


@pytest.fixture
def silent_port() -> Iterator[str]:
    """http://127.0.0.1:PORT that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def refused_port() -> str:
    """http://127.0.0.1:PORT where nothing listens (bound once, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# The --timeout of the silent-endpoint tests. With 2 s, a run on a machine loaded to 10 (other
# suites beside this one) named the RDS emulator, not the silent STS: botocore was still setting
# up the client when the deadline came.
DEADLINE_S = 4


def _plan(cli: Any, profile: Path, timeout: float) -> tuple[str, float]:
    """Plan one target; its error, and how long the plan took."""
    started = time.monotonic()
    result = cli("plan", profile, "--output", "json", "--timeout", str(timeout))
    seconds = time.monotonic() - started
    assert result.exit_code == 1 and "Traceback" not in result.stdout + result.stderr
    (target,) = json.loads(result.stdout)["targets"]
    return target["error"], seconds


def _gcp_profile(tmp_path: Path, gcp: Any) -> Path:
    gcp.add("orders-db")
    return write_profile(tmp_path, targets=[gcp_target(gcp.project, "orders-db")])


def test_a_silent_gcp_token_endpoint_is_named_at_the_deadline(
    cli: Any, gcp: Any, tmp_path: Path
) -> None:
    profile = _gcp_profile(tmp_path, gcp)
    gcp.fake.faults.add(Fault.BLACK_HOLE, operation="oauth.token", rate=1.0)
    # the token request's own timeout is 10 s; 4 s of deadline, not 2: on a loaded machine the
    # client's own set-up can take 2 s before the request is sent
    error, seconds = _plan(cli, profile, DEADLINE_S)
    assert seconds < DEADLINE_S + 4, seconds
    assert error == (
        f"gcp:{gcp.project}:instance/orders-db: no answer from {gcp.fake.base_url}/token within "
        f"{DEADLINE_S} s; not read (--timeout changes it)"
    )


def test_a_refused_cloud_sql_endpoint_fails_at_once(
    cli: Any, gcp: Any, tmp_path: Path, refused_port: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtimeouts.providers.gcp import clients

    shipped = replace(clients.CALLS, total_s=40.0)  # as shipped: retries would take 30 s
    monkeypatch.setattr(clients, "CALLS", shipped)
    monkeypatch.setenv("CLOUDTIMEOUTS_GCP_ENDPOINT", refused_port)
    profile = _gcp_profile(tmp_path, gcp)
    error, seconds = _plan(cli, profile, 30)
    assert seconds < 5, seconds
    assert f"could not reach {refused_port}: " in error and "refused" in error, error


def test_a_refused_gcp_token_endpoint_fails_at_once(
    cli: Any, gcp: Any, tmp_path: Path, refused_port: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtimeouts.providers.gcp import clients

    monkeypatch.setattr(clients, "SIGN_IN", replace(clients.SIGN_IN, total_s=25.0))  # as shipped
    credentials = json.loads(Path(gcp.adc).read_text())
    for key in ("token_uri", "token_url"):
        if key in credentials:
            credentials[key] = f"{refused_port}/token"
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps(credentials))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    profile = _gcp_profile(tmp_path, gcp)
    error, seconds = _plan(cli, profile, 30)
    assert seconds < 5, seconds
    assert f"not sent: could not reach {refused_port}/token: " in error, error


def _aws_profile(tmp_path: Path, aws: Any) -> Path:
    aws.create_group("orders-pg16", "postgres16")
    target = aws_target("orders-pg16") | {"role_arn": "arn:aws:iam::123456789012:role/ct"}
    return write_profile(tmp_path, targets=[target])


def test_a_silent_sts_is_named_at_the_deadline(
    cli: Any, aws: Any, tmp_path: Path, silent_port: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", silent_port)
    error, seconds = _plan(cli, _aws_profile(tmp_path, aws), DEADLINE_S)
    assert seconds < DEADLINE_S + 4, seconds
    assert error == (
        f"aws:eu-west-1:parameter-group/orders-pg16: no answer from {silent_port} within "
        f"{DEADLINE_S} s; not read (--timeout changes it)"
    )


def test_a_refused_sts_fails_at_once_naming_sts(
    cli: Any, aws: Any, tmp_path: Path, refused_port: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", refused_port)
    error, seconds = _plan(cli, _aws_profile(tmp_path, aws), 30)
    assert seconds < 5, seconds
    assert f"AssumeRole failed: no usable answer from {refused_port}" in error, error


@pytest.mark.parametrize("which", ["arm", "token"])
def test_a_refused_azure_endpoint_fails_at_once(
    cli: Any,
    azure: Any,
    tmp_path: Path,
    refused_port: str,
    monkeypatch: pytest.MonkeyPatch,
    which: str,
) -> None:
    """A port where nothing listens is a wrong endpoint, not a busy one: azure-core's four
    connection retries (0 + 1.6 + 3.2 s of back-off) only delay saying so, as AWS and GCP do not."""
    from support.profiles import azure_target

    sub = "00000000-0000-0000-0000-000000000001"
    azure.add_server(sub, "rg", "orders-pg", "postgres")
    https = refused_port.replace("http://", "https://")
    if which == "arm":
        monkeypatch.setenv("CLOUDTIMEOUTS_AZURE_ENDPOINT", https)
    else:
        monkeypatch.setenv("AZURE_AUTHORITY_HOST", https)
    profile = write_profile(tmp_path, targets=[azure_target(sub, "rg", "orders-pg")])
    error, seconds = _plan(cli, profile, 30)
    assert seconds < 2.5, (seconds, error)
    assert "127.0.0.1" in error, error
