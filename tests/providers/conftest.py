"""The Cloud SQL fake for the provider tests: one server per session, one fresh project per test.

The adapter reaches it exactly as users reach Cloud SQL: Application Default Credentials from
GOOGLE_APPLICATION_CREDENTIALS (an external_account_authorized_user file whose token_url is the
fake) and the endpoint from CLOUDTIMEOUTS_GCP_ENDPOINT. Nothing in the client is patched; only the
adapter's back-off and polling delays are shortened so that the suite stays fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from cloudtimeouts.providers.gcp.target import GcpTarget
from cloudtimeouts.sandbox.azure import FakeAzure
from cloudtimeouts.sandbox.cloudsql import FakeCloudSql

_projects = itertools.count(1)


@dataclass
class GcpSandbox:
    fake: FakeCloudSql
    project: str
    adc: Path

    def add(
        self, name: str, version: str = "POSTGRES_16", flags: Mapping[str, str] | None = None
    ) -> GcpTarget:
        self.fake.add_instance(self.project, name, version, flags=flags)
        return GcpTarget(provider="gcp", project=self.project, instance=name)

    def raw_flags(self, name: str) -> list[dict[str, Any]]:
        """The stored settings.databaseFlags entries, exactly as the API would show them."""
        flags: list[dict[str, Any]] = self.fake.instance(self.project, name)["settings"][
            "databaseFlags"
        ]
        return flags

    def flags(self, name: str) -> dict[str, str]:
        return self.fake.flags(self.project, name)

    def requests(self, suffix: str, method: str | None = None) -> int:
        """How many API requests this test's project sent to a path ending with suffix."""
        return sum(
            1
            for r in self.fake.requests
            if r.path.endswith(suffix)
            and f"/projects/{self.project}/" in r.path + "/"
            and (method is None or r.method == method)
        )


@pytest.fixture(scope="session")
def gcp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeCloudSql, Path]]:
    with FakeCloudSql() as fake:
        yield fake, fake.write_adc_file(tmp_path_factory.mktemp("gcp-adc") / "adc.json")


@pytest.fixture
def gcp(
    gcp_server: tuple[FakeCloudSql, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GcpSandbox]:
    """A fresh project on the shared fake, reached through ADC and CLOUDTIMEOUTS_GCP_ENDPOINT."""
    from cloudtimeouts.providers.gcp import adapter, clients

    fake, adc = gcp_server
    fake.faults.clear()  # the server is shared: no fault rule outlives its test
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    monkeypatch.setenv("CLOUDTIMEOUTS_GCP_ENDPOINT", fake.base_url)
    # No developer gcloud configuration may leak in (the autouse fixture clears GOOGLE_* only).
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path_factory.mktemp("gcloud-config")))
    short = {"backoff_s": 0.01, "backoff_max_s": 0.05, "total_s": 2.0}  # a refusal: 2 s, not 40
    monkeypatch.setattr(clients, "CALLS", replace(clients.CALLS, **short))
    monkeypatch.setattr(clients, "SIGN_IN", replace(clients.SIGN_IN, **short))
    monkeypatch.setattr(adapter, "OPERATIONS", replace(adapter.OPERATIONS, poll_s=0.01))
    yield GcpSandbox(fake, f"acme-{next(_projects)}", adc)
    fake.faults.clear()  # and none meets a later test that uses `gcp_server` as is


@pytest.fixture(scope="session")
def fake_azure() -> Iterator[FakeAzure]:
    # Retry-After 0 on operations: the adapters' own poll interval decides (tests pass 0).
    with FakeAzure(lro_retry_after=0) as fake:
        yield fake


@pytest.fixture
def azure(fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzure]:
    """The fake's endpoint and service principal, reached the standard way (env + CA bundle).
    The fake is the session's: reset before and after, so that no fault rule, refusal or server
    a test left behind meets a later test of the same worker (one that uses `fake_azure` as is)."""
    for key, value in fake_azure.env().items():
        monkeypatch.setenv(key, value)
    # Operations here end at once: the CLI's adapters poll without the 5 s wait real ARM needs.
    from cloudtimeouts.providers.azure import operations

    monkeypatch.setattr(operations, "OPERATIONS", replace(operations.OPERATIONS, poll_s=0))
    fake_azure.reset()
    yield fake_azure
    fake_azure.reset()
