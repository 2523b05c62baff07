"""Resource principal: 2.2 read directly, every other version through the SDK."""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigurationError, CredentialsError
from ..oci_config import KeyOrigin, parse_private_key, token_expiry
from ..permissions import warn_if_readable_by_others
from ..redact import Secret, SecretBytes
from .base import CredentialsProvider, SigningKey, refresh_time
from .sdk_signer import SdkSignerCredentials

RP_VERSION = "OCI_RESOURCE_PRINCIPAL_VERSION"
RP_TOKEN = "OCI_RESOURCE_PRINCIPAL_RPST"
RP_KEY = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"
RP_PASSPHRASE = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE"


def _value_or_file(name: str, source: Secret) -> tuple[Secret, str | None]:
    """A resource-principal variable's content: the file it names if it is an absolute
    path (the platform rewrites those), else the value itself. Returns (content, path)."""
    value = source.reveal()
    if not os.path.isabs(value):
        return source, None
    warn_if_readable_by_others(value, f"{name} file")
    try:
        with open(value, encoding="utf-8") as handle:
            return Secret(handle.read().strip()), value
    except OSError as error:
        raise CredentialsError(f"{name} names {value}, which cannot be read ({error.strerror})") from None


class ResourcePrincipalV22Credentials(CredentialsProvider):
    """Resource principal 2.2, read directly as the SDK defines it.

    The session token, its private key and the key's pass phrase each come from a
    variable holding either the value or the absolute path of a file the platform
    rewrites; files are read again near expiry and after a 401. Reading two values needs
    no ``oci`` import, which keeps a Function's first request as fast as an unsigned one.
    """

    kind = "resource_principal"

    def __init__(self) -> None:
        super().__init__()
        # Each may be the secret itself rather than a path: held as Secret, never shown.
        self._token_source = Secret(os.environ.get(RP_TOKEN, "").strip())
        self._key_source = Secret(os.environ.get(RP_KEY, "").strip())
        self._phrase_source = Secret(os.environ.get(RP_PASSPHRASE, "").strip())
        for name, value in ((RP_TOKEN, self._token_source), (RP_KEY, self._key_source)):
            if not value:
                raise ConfigurationError(
                    f"{name} is not set; resource principal 2.2 needs {RP_TOKEN} and {RP_KEY} "
                    "(values or absolute file paths), which the platform sets"
                )
        self._key = self._load(force=False)

    def region(self) -> tuple[str, str] | None:
        region = os.environ.get("OCI_RESOURCE_PRINCIPAL_REGION", "").strip()
        return (region, "OCI_RESOURCE_PRINCIPAL_REGION") if region else None

    def _load(self, *, force: bool) -> SigningKey:
        token, token_path = _value_or_file(RP_TOKEN, self._token_source)
        where = f"the token in {token_path}" if token_path else f"the token in {RP_TOKEN}"
        expires_at = token_expiry(
            token,
            invalid=CredentialsError(f"{where} is not a valid security token; check {RP_TOKEN}"),
            expired=CredentialsError(f"{where} has expired and was not renewed by the platform"),
        )
        pem, key_path = _value_or_file(RP_KEY, self._key_source)
        phrase = _value_or_file(RP_PASSPHRASE, self._phrase_source)[0] if self._phrase_source else None
        origin = KeyOrigin(
            f"key file {key_path}" if key_path else f"the private key in {RP_KEY}",
            RP_KEY,
            f"check {RP_KEY}",
            f"set {RP_PASSPHRASE}",
            RP_PASSPHRASE,
        )
        private_key = parse_private_key(
            SecretBytes(pem.reveal().encode("utf-8")),
            SecretBytes(phrase.reveal().encode("utf-8")) if phrase else None,
            origin,
        )
        return SigningKey("ST$" + token.reveal(), private_key, expires_at, refresh_time(expires_at))


def resource_principal(*, timeout: float | None = None, **kwargs: Any) -> CredentialsProvider:
    """Resource principal of any version the SDK supports (``OCI_RESOURCE_PRINCIPAL_VERSION``):
    2.2 is read directly, the others through the SDK's signers."""
    version = os.environ.get(RP_VERSION, "").strip()
    if not version:
        raise ConfigurationError(
            f"{RP_VERSION} is not set; resource principal auth runs inside OCI Functions, "
            "Data Science or another service that sets it"
        )
    if version == "2.2" and not kwargs:
        return ResourcePrincipalV22Credentials()

    def factory() -> Any:
        from oci.auth.signers import get_resource_principals_signer

        return get_resource_principals_signer(**kwargs)

    return SdkSignerCredentials(
        "resource_principal",
        factory,
        timeout=timeout,
        source=lambda: f"the resource principal {version} token source",
    )
