"""Loopback HTTPS for the emulators: a throwaway self-signed CA and the server's ``SSLContext``.

Why: some clients refuse plain HTTP to anything that carries a credential. azure-core's
``BearerTokenCredentialPolicy`` will not send a bearer token over ``http://`` and MSAL only accepts
``https`` authorities, so the Azure emulator must speak TLS; other emulators may too.

What: one EC P-256 certificate, valid for two days, for 127.0.0.1 and localhost (plus any host
asked for). It is its own issuer with ``basicConstraints CA:TRUE`` and ``keyCertSign``, so OpenSSL
accepts it as a trust anchor in a CA bundle while it is also the server's leaf certificate. Clients
trust :attr:`LoopbackTLS.ca_bundle` (``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``); the private key
never leaves the owner-only temporary directory, which :meth:`LoopbackTLS.cleanup` deletes.

Usage::

    tls = LoopbackTLS()
    server = LoopbackServer(app, ssl_context=tls.context)
    tls.mint()            # before server.start(); again after a restart
    ...                   # clients trust tls.ca_bundle
    server.stop(); tls.cleanup()
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import ssl
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LoopbackTLS", "mint_certificate", "server_context"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
VALIDITY = _dt.timedelta(days=2)


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def mint_certificate(
    directory: Path,
    hosts: Iterable[str] = LOOPBACK_HOSTS,
    *,
    common_name: str = "cloudtimeouts sandbox",
) -> tuple[Path, Path]:
    """Write ``ca.pem`` (the certificate, also the CA) and ``key.pem``; return both paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cloudtimeouts sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    alt_names = list(dict.fromkeys(_general_name(h) for h in (*LOOPBACK_HOSTS, *hosts)))
    now = _dt.datetime.now(_dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=True,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "ca.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_context(cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """A TLS 1.2+ server context, with the certificate chain loaded when one is given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


class LoopbackTLS:
    """One server context for the life of an emulator; a fresh certificate at each :meth:`mint`.

    The context exists from construction (``LoopbackServer`` takes it then); :meth:`mint` loads a
    new certificate into it, so an emulator can be stopped and started again.
    """

    def __init__(
        self, hosts: Iterable[str] = LOOPBACK_HOSTS, *, common_name: str = "cloudtimeouts sandbox"
    ) -> None:
        self.hosts = tuple(hosts)
        self.common_name = common_name
        self.context = server_context()
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._ca_bundle: Path | None = None

    def mint(self) -> Path:
        """Create the certificate in a new private directory, load it; return the CA bundle."""
        self.cleanup()
        self._directory = tempfile.TemporaryDirectory(prefix="cloudtimeouts-tls-")
        cert, key = mint_certificate(
            Path(self._directory.name), self.hosts, common_name=self.common_name
        )
        self.context.load_cert_chain(cert, key)
        self._ca_bundle = cert
        return cert

    @property
    def ca_bundle(self) -> Path:
        """The PEM file clients trust (``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``, ``verify=``)."""
        if self._ca_bundle is None:
            raise RuntimeError("no certificate yet: call mint() first")
        return self._ca_bundle

    def cleanup(self) -> None:
        """Delete the certificate and key (the loaded context keeps working until replaced)."""
        if self._directory is not None:
            self._directory.cleanup()
        self._directory = None
        self._ca_bundle = None
