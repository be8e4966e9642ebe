"""The cloud SDKs' own log output stays out of the CLI's output unless --verbose, and a credential
or TLS failure is one error line that names the target and the real cause.

Each test runs the real CLI in a subprocess: in-process, pytest's own logging handlers would
swallow exactly what a user's terminal shows (Python's last-resort handler prints the SDKs'
warnings on stderr when nothing else is configured).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from support.profiles import aws_target, azure_target, gcp_target, profile_text

from cloudtimeouts.sandbox.azure import FakeAzure
from cloudtimeouts.sandbox.cloudsql import FakeCloudSql

SUB = "00000000-0000-0000-0000-00000000109a"
RG = "noise"
SERVER = {"statement_timeout": "30s"}
AZURE_ID = f"azure:{SUB}:{RG}:server/db1"
SDK_DUMP = ("DefaultAzureCredential failed to retrieve a token", "Attempted credentials", "aka.ms")


def run(*argv: str | Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudtimeouts", *map(str, argv)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "error:" in line or "Error:" in line]


def azure_profile(directory: Path, fake: FakeAzure) -> Path:
    fake.add_server(SUB, RG, "db1", "postgres")
    path = directory / "orders.yaml"
    path.write_text(profile_text(server=SERVER, targets=[azure_target(SUB, RG, "db1")]))
    return path


def no_azure_credentials(fake: FakeAzure, home: Path) -> dict[str, str]:
    """The emulator trusted and reachable, but no credential of DefaultAzureCredential's chain:
    no AZURE_* variables, no Azure CLI login (an empty HOME), a managed identity that refuses."""
    return {
        "HOME": str(home),
        "CLOUDTIMEOUTS_AZURE_ENDPOINT": fake.base_url,
        "REQUESTS_CA_BUNDLE": str(fake.ca_bundle),
    }


def test_azure_without_credentials_is_one_error_line_and_no_sdk_dump(
    fake_azure: FakeAzure, tmp_path: Path
) -> None:
    profile = azure_profile(tmp_path, fake_azure)
    done = run("plan", profile, env=no_azure_credentials(fake_azure, tmp_path))
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""  # before: azure-identity's multi-line warning, on stderr
    (line,) = error_lines(done.stdout)
    assert f"error: {AZURE_ID}: could not read the server: no usable Azure credentials" in line
    assert "DefaultAzureCredential tried EnvironmentCredential: " in line
    assert "az login" in line  # the hint, on the same line
    for noise in (*SDK_DUMP, "Traceback", "authentication unavailable"):
        assert noise not in done.stdout + done.stderr


def test_an_unreadable_ca_bundle_is_the_cause_the_error_names(
    fake_azure: FakeAzure, tmp_path: Path
) -> None:
    profile = azure_profile(tmp_path, fake_azure)
    missing = tmp_path / "corporate-ca.pem"
    env = {**fake_azure.env(), "HOME": str(tmp_path), "REQUESTS_CA_BUNDLE": str(missing)}
    planned = run("plan", profile, env=env)
    assert planned.returncode == 1 and planned.stderr == ""
    (line,) = error_lines(planned.stdout)
    assert f"{AZURE_ID}: could not read the server: no usable Azure credentials" in line
    assert f"the CA bundle REQUESTS_CA_BUNDLE={missing} cannot be read (no such file)" in line
    assert "hint: point REQUESTS_CA_BUNDLE at a readable PEM file" in line

    imported = run("import", "--azure-server", f"{SUB}/{RG}/db1", "--name", "orders", env=env)
    assert imported.returncode == 1
    (said,) = imported.stderr.splitlines()  # one line: the error, its hint inline
    assert said.startswith(f"Error: could not read: {AZURE_ID}: ")
    assert f"REQUESTS_CA_BUNDLE={missing} cannot be read (no such file)" in said
    assert not any(noise in imported.stderr for noise in SDK_DUMP)


def test_verbose_shows_the_sdks_log_and_never_a_secret(
    fake_azure: FakeAzure, tmp_path: Path
) -> None:
    profile = azure_profile(tmp_path, fake_azure)
    wrong = "not-the-secret-0123456789"
    env = {**fake_azure.env(), "HOME": str(tmp_path), "AZURE_CLIENT_SECRET": wrong}
    quiet = run("plan", profile, env=env)
    loud = run("--verbose", "plan", profile, env=env)
    assert quiet.returncode == loud.returncode == 1
    assert quiet.stderr == ""
    assert "WARNING azure.identity" in loud.stderr
    assert "DefaultAzureCredential failed to retrieve a token" in loud.stderr
    (said,) = error_lines(quiet.stdout)
    assert "AADSTS7000215: Invalid client secret provided" in said  # what Entra ID said
    (said_too,) = error_lines(loud.stdout)  # the same one line (Entra's trace id aside)
    assert said_too.partition("Trace ID")[0] == said.partition("Trace ID")[0]
    for output in (quiet.stdout, quiet.stderr, loud.stdout, loud.stderr):
        assert wrong not in output and fake_azure.client_secret not in output

    working = run("--verbose", "plan", profile, env={**fake_azure.env(), "HOME": str(tmp_path)})
    assert working.returncode == 0, working.stdout + working.stderr
    assert "INFO azure.core.pipeline.policies.http_logging_policy: Request URL" in working.stderr
    assert fake_azure.client_secret not in working.stderr
    assert "Bearer" not in working.stderr  # azure-core redacts the Authorization header


def plan_gcp_over_tls(
    fake_azure: FakeAzure, gcp_server: tuple[FakeCloudSql, Path], tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """`plan` of a Cloud SQL target whose endpoint is the Azure emulator's TLS listener."""
    _, adc = gcp_server
    gcp = tmp_path / "gcp.yaml"
    gcp.write_text(profile_text(server=SERVER, targets=[gcp_target("acme-co", "db1")]))
    return run(
        "plan",
        gcp,
        env={
            "GOOGLE_APPLICATION_CREDENTIALS": str(adc),
            "CLOUDTIMEOUTS_GCP_ENDPOINT": fake_azure.base_url,
            "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
            **env,
        },
    )


def test_google_and_aws_name_an_unreadable_ca_bundle(
    fake_azure: FakeAzure,
    gcp_server: tuple[FakeCloudSql, Path],
    tmp_path: Path,
) -> None:
    """Before: Google's was "unexpected OSError", AWS's "SSL validation failed … [Errno 2]".
    Any HTTPS endpoint shows it: the requests fail before anything is sent (the Azure
    emulator's TLS listener stands in for Cloud SQL's and RDS's)."""
    missing = tmp_path / "proxy-ca.pem"
    done = plan_gcp_over_tls(fake_azure, gcp_server, tmp_path, REQUESTS_CA_BUNDLE=str(missing))
    assert done.returncode == 1 and done.stderr == ""
    (line,) = error_lines(done.stdout)
    assert "gcp:acme-co:instance/db1: instances.get failed: the CA bundle " in line
    assert f"REQUESTS_CA_BUNDLE={missing} cannot be read (no such file)" in line

    aws = tmp_path / "aws.yaml"
    aws.write_text(profile_text(server=SERVER, targets=[aws_target("orders-pg16")]))
    done = run(
        "plan",
        aws,
        env={
            "AWS_ENDPOINT_URL_RDS": fake_azure.base_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_CA_BUNDLE": str(missing),
        },
    )
    assert done.returncode == 1 and done.stderr == ""
    (line,) = error_lines(done.stdout)
    assert "aws:eu-west-1:parameter-group/orders-pg16: DescribeDBParameterGroups failed: " in line
    assert f"the CA bundle AWS_CA_BUNDLE={missing} cannot be read (no such file)" in line
    assert "hint: point AWS_CA_BUNDLE at a readable PEM file" in line


def test_a_ca_bundle_that_holds_no_certificate_is_the_cause_every_cloud_names(
    fake_azure: FakeAzure,
    gcp_server: tuple[FakeCloudSql, Path],
    tmp_path: Path,
) -> None:
    """A CA bundle variable naming a readable file that is no PEM file (a DER file, a key, a
    typo'd path to some other file): before, Azure said "sign in with az login" and Google
    and AWS "the endpoint's certificate is not trusted", under OpenSSL's own words."""
    garbage = tmp_path / "corporate-ca.pem"
    garbage.write_text("this is not a certificate\n")
    said = f"={garbage} holds no certificate (a CA bundle is a PEM file of CA certificates)"

    profile = azure_profile(tmp_path, fake_azure)
    env = {**fake_azure.env(), "HOME": str(tmp_path), "REQUESTS_CA_BUNDLE": str(garbage)}
    planned = run("plan", profile, env=env)
    assert planned.returncode == 1 and planned.stderr == ""
    (line,) = error_lines(planned.stdout)
    assert f"{AZURE_ID}: could not read the server: " in line
    assert f"the CA bundle REQUESTS_CA_BUNDLE{said}" in line, line
    assert "hint: point REQUESTS_CA_BUNDLE at a readable PEM file" in line
    assert "az login" not in line

    _, adc = gcp_server
    gcp = tmp_path / "gcp.yaml"
    gcp.write_text(profile_text(server=SERVER, targets=[gcp_target("acme-co", "db1")]))
    gcp_env = {
        "GOOGLE_APPLICATION_CREDENTIALS": str(adc),
        "CLOUDTIMEOUTS_GCP_ENDPOINT": fake_azure.base_url,
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
        "REQUESTS_CA_BUNDLE": str(garbage),
    }
    done = run("plan", gcp, env=gcp_env)
    assert done.returncode == 1 and done.stderr == ""
    (line,) = error_lines(done.stdout)
    assert (
        f"gcp:acme-co:instance/db1: instances.get failed: the CA bundle REQUESTS_CA_BUNDLE{said}"
        in (line)
    )

    aws = tmp_path / "aws.yaml"
    aws.write_text(profile_text(server=SERVER, targets=[aws_target("orders-pg16")]))
    aws_env = {
        "AWS_ENDPOINT_URL_RDS": fake_azure.base_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CA_BUNDLE": str(garbage),
    }
    done = run("plan", aws, env=aws_env)
    assert done.returncode == 1 and done.stderr == ""
    (line,) = error_lines(done.stdout)
    assert f"DescribeDBParameterGroups failed: the CA bundle AWS_CA_BUNDLE{said}" in line

    # requests takes a directory of certificates (c_rehash'd); botocore only a file
    done = run("plan", aws, env={**aws_env, "AWS_CA_BUNDLE": str(tmp_path)})
    (line,) = error_lines(done.stdout)
    assert f"the CA bundle AWS_CA_BUNDLE={tmp_path} cannot be read (is a directory" in line


def test_a_certificate_the_bundle_does_not_trust_is_said_so_not_a_credential_problem(
    fake_azure: FakeAzure, gcp_server: tuple[FakeCloudSql, Path], tmp_path: Path
) -> None:
    """The emulator's own CA not given: Azure's sign-in fails on TLS, not on credentials."""
    profile = azure_profile(tmp_path, fake_azure)
    env = {**fake_azure.env(), "HOME": str(tmp_path)}
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("SSL_CERT_FILE", None)
    done = run("plan", profile, env=env)
    assert done.returncode == 1 and done.stderr == ""
    (line,) = error_lines(done.stdout)
    assert "certificate verify failed" in line
    assert "hint: the endpoint's certificate is not trusted" in line, line
    assert "az login" not in line

    done = plan_gcp_over_tls(fake_azure, gcp_server, tmp_path)
    (line,) = error_lines(done.stdout)
    assert "certificate verify failed: self-signed certificate" in line
    for urllib3 in ("HTTPSConnectionPool", "Max retries exceeded", "Caused by", "SSLError("):
        assert urllib3 not in line, line
