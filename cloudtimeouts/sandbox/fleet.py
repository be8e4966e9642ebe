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
import ssl
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
            # imported only when the RDS emulator starts: missing, it must be said now, before
            # anything says the sandbox is starting
            import moto  # noqa: F401
            import werkzeug  # noqa: F401

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
            **dict.fromkeys(("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"), str(self._ca_bundle())),
        }

    def _ca_bundle(self) -> Path:
        """The public CAs plus the emulators' own, in the sandbox's directory.

        A shell that sourced sandbox.env keeps `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` after the
        sandbox stops. Pointing them at the emulator's temporary CA file left them naming a
        deleted file, and pip then failed ("Could not find a suitable TLS CA certificate
        bundle"); pointing them at the emulator's CA alone would make every real site untrusted
        while they are set. This file stays in the directory, and trusts what pip and requests
        trust (certifi, else the system's bundle) and the emulators too.
        """
        public = ""
        for candidate in _public_bundles():
            with contextlib.suppress(OSError):
                public = Path(candidate).read_text(encoding="ascii", errors="replace")
                break
        own = self.azure.ca_bundle.read_text(encoding="ascii")
        bundle = self.workdir / "sandbox-ca.pem"
        bundle.write_text(public.rstrip("\n") + "\n\n# the sandbox's emulators\n" + own)
        return bundle

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
        """The variables as `export` lines, owner-readable only (they hold throwaway keys).

        Beside it, `sandbox.off` unsets every one of them: `source DIR/sandbox.off` undoes
        `source DIR/sandbox.env` in one line (a variable the shell had before is not restored:
        the line says which it unsets).
        """
        variables = sorted(self.env().items())
        (self.workdir / "sandbox.off").write_text(
            "# Undo `source sandbox.env`: unset every variable it exported.\n"
            f"unset {' '.join(name for name, _ in variables)}\n"
        )
        lines = [f"export {name}={value}" for name, value in variables]
        return write_private(self.workdir / "sandbox.env", "\n".join(lines) + "\n")


def _public_bundles() -> list[str]:
    """Where the CAs pip and requests trust are: certifi's bundle, else the system's.

    Not `SSL_CERT_FILE` itself: in a shell that sourced an earlier sandbox.env it names that
    sandbox's bundle (`openssl_cafile` is OpenSSL's compiled-in default, whatever the variable).
    """
    found = []
    with contextlib.suppress(ImportError):
        import certifi

        found.append(certifi.where())
    paths = ssl.get_default_verify_paths()
    found += [path for path in (paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt") if path]
    return found
