"""The sandbox: the three emulators on loopback, seeded with a small realistic fleet.

AWS is the realistic RDS layer over moto (`rds`), GCP the Cloud SQL Admin API emulator
(`cloudsql`), Azure the ARM + Entra ID emulator (`azure`). The tool reaches them exactly as it
reaches the clouds: through each provider's standard credentials and endpoint variables, which
`Sandbox.env()` returns. The fleet has settings cloudtimeouts does not manage (they must survive an
apply) and one unsafe current value (the guard must refuse it until the profile fixes it).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

REGION = "eu-west-1"
GCP_PROJECT = "acme-prod"
AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
AZURE_GROUP = "prod"

# The one unsafe value: someone set Cloud SQL's idle_in_transaction_session_timeout to 1 minute,
# below the profile's CONN_MAX_AGE of 5 minutes.
UNSAFE_FLAG = ("idle_in_transaction_session_timeout", "60000")
GCP_UNRELATED_FLAGS = {"cloudsql.iam_authentication": "on", "log_min_duration_statement": "1000"}

ORDERS_PROFILE = f"""\
# The orders service: PostgreSQL 16 on RDS, Cloud SQL and an Azure flexible server.
name: orders
engine: postgres
django:
  conn_max_age: 5min
  conn_health_checks: true
guard:
  margin: 30s
server:
  idle_session_timeout: 10min
  statement_timeout: 30s
  lock_timeout: 5s
targets:
  - provider: aws
    region: {REGION}
    parameter_group: orders-pg16
  - provider: gcp
    project: {GCP_PROJECT}
    instance: orders-pg
  - provider: azure
    subscription_id: {AZURE_SUBSCRIPTION}
    resource_group: {AZURE_GROUP}
    server: orders-pg
"""

ORDERS_FIX = (
    "  lock_timeout: 5s\n",
    "  lock_timeout: 5s\n  idle_in_transaction_session_timeout: 10min\n",
)

BILLING_PROFILE = f"""\
# The billing service: MySQL 8.0 on RDS and an Azure flexible server.
name: billing
engine: mysql
django:
  conn_max_age: 5min
  conn_health_checks: true
guard:
  margin: 1min
server:
  wait_timeout: 15min
  interactive_timeout: 15min
  max_execution_time: 30s
targets:
  - provider: aws
    region: {REGION}
    parameter_group: billing-mysql80
  - provider: azure
    subscription_id: {AZURE_SUBSCRIPTION}
    resource_group: {AZURE_GROUP}
    server: billing-mysql
"""


class SandboxUnavailable(Exception):
    """A package the emulators need is not installed (the CLI says which extra brings it)."""

    def __init__(self, package: str) -> None:
        super().__init__(package)
        self.package = package


def write_private(path: Path, text: str) -> Path:
    """Write a file only its owner can read: the sandbox's credential files hold keys."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file existed with a wider mode
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return path


class Sandbox:
    """Start, seed and stop the emulators; `env()` points the tool (and cloud CLIs) at them."""

    def __init__(self, workdir: Path) -> None:
        try:
            from cloudtimeouts.sandbox.azure import FakeAzure
            from cloudtimeouts.sandbox.cloudsql import FakeCloudSql
            from cloudtimeouts.sandbox.rds import RealisticRds
        except ModuleNotFoundError as error:
            raise SandboxUnavailable(error.name or "an emulator's package") from None
        self.workdir = workdir
        self.aws = RealisticRds(region=REGION)
        self.gcp = FakeCloudSql()
        self.azure = FakeAzure(lro_retry_after=1)  # Azure asks clients to poll again after 1 s

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.aws.start()
            self.gcp.start()
            self.azure.start()
            self._seed()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for emulator in (self.azure, self.gcp, self.aws):
            with contextlib.suppress(Exception):  # stopping the others matters more
                emulator.stop()

    def _seed(self) -> None:
        self.aws.create_group("orders-pg16", "postgres16", {"log_min_duration_statement": "500"})
        self.aws.create_instance("orders-db", "postgres", group="orders-pg16")
        self.aws.create_group("billing-mysql80", "mysql8.0", {"long_query_time": "2"})
        self.aws.create_instance("billing-db", "mysql", group="billing-mysql80")
        self.gcp.add_instance(
            GCP_PROJECT,
            "orders-pg",
            "POSTGRES_16",
            flags={**GCP_UNRELATED_FLAGS, UNSAFE_FLAG[0]: UNSAFE_FLAG[1]},
        )
        self.azure.add_server(
            AZURE_SUBSCRIPTION,
            AZURE_GROUP,
            "orders-pg",
            "postgres",
            parameters={"log_min_duration_statement": "250"},
        )
        self.azure.add_server(
            AZURE_SUBSCRIPTION,
            AZURE_GROUP,
            "billing-mysql",
            "mysql",
            parameters={"slow_query_log": "ON"},
        )

    def env(self) -> dict[str, str]:
        """Standard credential and endpoint variables, isolated from the user's own config."""
        empty = self.workdir / "empty"
        empty.touch()
        gcloud = self.workdir / "gcloud"
        gcloud.mkdir(exist_ok=True)
        return {
            "AWS_ENDPOINT_URL_RDS": self.aws.url,
            "AWS_ENDPOINT_URL_STS": self.aws.url,
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_EC2_METADATA_DISABLED": "true",
            "GOOGLE_APPLICATION_CREDENTIALS": str(self._adc_file()),
            "CLOUDTIMEOUTS_GCP_ENDPOINT": self.gcp.base_url,
            "CLOUDSDK_CONFIG": str(gcloud),
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_SQL": f"{self.gcp.base_url}/",
            "NO_GCE_CHECK": "true",
            **self.azure.env(),
        }

    def _adc_file(self) -> Path:
        path = self.gcp.write_adc_file(self.workdir / "gcp-adc.json")
        os.chmod(path, 0o600)  # it holds the emulator's client secret and refresh token
        return path

    def write_profiles(self) -> tuple[Path, Path]:
        orders, billing = self.workdir / "orders.yaml", self.workdir / "billing.yaml"
        orders.write_text(ORDERS_PROFILE)
        billing.write_text(BILLING_PROFILE)
        return orders, billing

    def write_env_file(self) -> Path:
        """The variables as `export` lines, owner-readable only (they hold throwaway keys)."""
        lines = [f"export {name}={value}" for name, value in sorted(self.env().items())]
        return write_private(self.workdir / "sandbox.env", "\n".join(lines) + "\n")
