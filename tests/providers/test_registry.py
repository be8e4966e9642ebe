"""load_adapter: a provider whose SDK is missing is one actionable message, not a traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from support.profiles import aws_target, gcp_target, write_profile

from cloudtimeouts.cloud import clouds
from cloudtimeouts.errors import ProviderUnavailableError
from cloudtimeouts.providers import load_adapter

SDK = {"aws": "boto3", "gcp": "google.auth", "azure": "azure"}


def hide(package: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """As if `package` were not installed: importing it (or any submodule) fails."""
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, package, None)


@pytest.mark.parametrize("provider", list(clouds()))
def test_a_missing_sdk_names_the_extra_to_install(
    provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide(SDK[provider], monkeypatch)
    monkeypatch.delitem(sys.modules, f"cloudtimeouts.providers.{provider}", raising=False)
    with pytest.raises(ProviderUnavailableError) as missing:
        load_adapter(provider)
    assert missing.value.hint == f"pip install 'cloudtimeouts[{provider}]'"


def test_the_cli_shows_the_hint_as_the_targets_error(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide("boto3", monkeypatch)
    monkeypatch.delitem(sys.modules, "cloudtimeouts.providers.aws", raising=False)
    path = write_profile(
        tmp_path,
        server={"idle_session_timeout": "10min"},
        targets=[aws_target("orders-pg16"), gcp_target("acme-co", "orders")],
    )
    result = cli("plan", path)
    assert result.exit_code == 1
    assert "pip install 'cloudtimeouts[aws]'" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
