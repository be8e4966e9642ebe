"""Loopback TLS (sandbox/tls.py) as the Azure emulator uses it: trusted, private, renewable."""

from __future__ import annotations

import ssl
import stat
import urllib.request

import pytest
from cryptography import x509

from cloudtimeouts.sandbox.azure import FakeAzure
from cloudtimeouts.sandbox.tls import LoopbackTLS


def test_the_certificate_is_a_private_trust_anchor_for_loopback() -> None:
    tls = LoopbackTLS(hosts=("127.0.0.1",))
    with pytest.raises(RuntimeError):
        _ = tls.ca_bundle
    bundle = tls.mint()
    cert = x509.load_pem_x509_certificate(bundle.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1"}
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    key = bundle.with_name("key.pem")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    tls.cleanup()
    assert not bundle.exists() and not key.exists()


def test_clients_trust_only_the_bundle_and_a_restart_mints_a_new_one() -> None:
    fake = FakeAzure()
    fake.start()
    try:
        first = fake.ca_bundle.read_bytes()
        trusted = ssl.create_default_context(cafile=str(fake.ca_bundle))
        url = f"{fake.base_url}/subscriptions/sub"
        with pytest.raises(urllib.request.HTTPError) as answer:  # 401: TLS itself was fine
            urllib.request.urlopen(url, context=trusted, timeout=5)
        assert answer.value.code == 401
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(url, context=ssl.create_default_context(), timeout=5)
    finally:
        fake.stop()
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.ca_bundle
    with fake:
        assert fake.ca_bundle.read_bytes() != first
        again = ssl.create_default_context(cafile=str(fake.ca_bundle))
        with pytest.raises(urllib.request.HTTPError):
            urllib.request.urlopen(f"{fake.base_url}/subscriptions/sub", context=again, timeout=5)
