"""A throwaway certificate authority for loopback TLS servers and X.509 identities.

The fake OKE proxymux needs a server certificate its client verifies against a CA file
(as pods trust the cluster CA), and the fake instance metadata needs a leaf certificate
whose subject carries the tenancy (as OCI instance certificates do). Both come from here.

The certificates carry what a real CA puts in them (key identifiers, key usage, extended
key usage for servers), because Python 3.13's default TLS context verifies with
``VERIFY_X509_STRICT`` and rejects a chain without an Authority Key Identifier.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .files import write_private
from .profiles import new_private_key


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def _key_usage(*, certificate_sign: bool) -> x509.KeyUsage:
    """A CA signs certificates; a leaf signs (TLS handshakes, federation requests) and
    encipher keys (RSA key exchange)."""
    return x509.KeyUsage(
        digital_signature=not certificate_sign,
        content_commitment=False,
        key_encipherment=not certificate_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=certificate_sign,
        crl_sign=certificate_sign,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey

    @property
    def certificate_pem(self) -> bytes:
        return _pem(self.certificate)

    @property
    def private_key_pem(self) -> bytes:
        return _key_pem(self.private_key)


class TestCertificateAuthority:
    """A self-signed CA that issues server and identity certificates, valid for one day."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str = "oci-openai-patch test CA") -> None:
        self.private_key = new_private_key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        public_key = self.private_key.public_key()
        self.certificate = (
            self._builder(subject, public_key)
            .issuer_name(subject)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_key_usage(certificate_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
            .sign(self.private_key, hashes.SHA256())
        )

    @property
    def certificate_pem(self) -> bytes:
        return _pem(self.certificate)

    def write_certificate(self, path: Path) -> Path:
        write_private(path, self.certificate_pem, mode=0o644)
        return path

    @staticmethod
    def _builder(subject: x509.Name, public_key: rsa.RSAPublicKey) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.timezone.utc)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    def issue(self, subject: x509.Name, *, server_names: tuple[str, ...] = ()) -> IssuedCertificate:
        """A certificate for ``subject``; with ``server_names`` (host names or IPs) a TLS server one."""
        key = new_private_key()
        builder = (
            self._builder(subject, key.public_key())
            .issuer_name(self.certificate.subject)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(certificate_sign=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.private_key.public_key()), critical=False
            )
        )
        if server_names:
            alternatives: list[x509.GeneralName] = []
            for name in server_names:
                try:
                    alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
                except ValueError:
                    alternatives.append(x509.DNSName(name))
            builder = builder.add_extension(x509.SubjectAlternativeName(alternatives), critical=False).add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        return IssuedCertificate(builder.sign(self.private_key, hashes.SHA256()), key)

    def issue_server_chain(self, directory: Path, *names: str) -> Path:
        """A server certificate and key for ``names`` (default 127.0.0.1, localhost), in one PEM file."""
        names = names or ("127.0.0.1", "localhost")
        issued = self.issue(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]), server_names=names)
        directory.mkdir(parents=True, exist_ok=True)
        chain = directory / f"server-{names[0]}.pem"
        write_private(chain, issued.certificate_pem + issued.private_key_pem)
        return chain

    def server_context(self, directory: Path, *names: str) -> ssl.SSLContext:
        """An SSL context for a loopback server answering to ``names`` (default 127.0.0.1, localhost)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.issue_server_chain(directory, *names))
        return context
