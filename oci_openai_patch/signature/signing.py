"""The OCI HTTP request signature as a pure function.

OCI uses draft-cavage HTTP signatures, version 1, rsa-sha256 with PKCS#1 v1.5 padding.
The function here takes the request exactly as it goes on the wire (method, raw
percent-encoded target, ``Host`` value, headers, body bytes) and returns the headers to
add. It knows nothing of httpx or of where keys come from, so it can be compared byte
for byte with ``oci.signer.Signer``: PKCS#1 v1.5 is deterministic, so for the same key,
date and request both produce the same ``Authorization`` value.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..redact import redact_key_id

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

#: Methods whose body is signed (content-length, content-type, x-content-sha256).
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
BASIC_HEADERS = ("date", "(request-target)", "host")
BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")
DEFAULT_CONTENT_TYPE = "application/json"


_last_date: tuple[int, str] = (0, "")


def http_date() -> str:
    """The current time in the IMF-fixdate form OCI expects in ``date``.

    The text changes once a second; formatting it is a tenth of the cost of a signature's
    overhead, so it is kept for the second it was made in.
    """
    global _last_date
    now = int(time.time())
    second, text = _last_date
    if second != now:
        text = email.utils.formatdate(now, usegmt=True)
        _last_date = (now, text)
    return text


def body_digest(body: bytes) -> str:
    """Base64 SHA-256 of the body, the value of ``x-content-sha256``."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def signed_header_names(method: str, header_names: HeaderNames | None = None) -> tuple[str, ...]:
    """The header names signed for ``method``, in OCI's order (or ``header_names``' order)."""
    generic, body = header_names or (BASIC_HEADERS, BODY_HEADERS)
    return generic + body if method.upper() in BODY_METHODS else generic


#: Header names to sign: (on every request, added on requests with a body).
HeaderNames = tuple[tuple[str, ...], tuple[str, ...]]


def signed_header_policy(generic: Iterable[str] | None, body: Iterable[str] | None) -> HeaderNames | None:
    """oci-openai's ``generic_headers`` / ``body_headers`` (the SDK signer's parameters):
    the header names to sign instead of OCI's defaults, checked to include what OCI
    requires (a signature without them is refused by every OCI service)."""
    if generic is None and body is None:
        return None
    chosen: list[tuple[str, ...]] = []
    for argument, given, required in (
        ("generic_headers", generic, BASIC_HEADERS),
        ("body_headers", body, BODY_HEADERS),
    ):
        names = tuple(str(name).strip().lower() for name in (given if given is not None else required))
        missing = [name for name in required if name not in names]
        if missing or not names or len(set(names)) != len(names):
            raise ConfigurationError(
                f"{argument}={list(given or [])!r} must list each header once and include "
                f"{', '.join(missing or required)} (OCI refuses a signature without them); "
                "leave it out to sign OCI's defaults"
            )
        chosen.append(names)
    return chosen[0], chosen[1]


def signing_string(method: str, target: str, names: tuple[str, ...], values: Mapping[str, str]) -> bytes:
    """The string the signature covers: one ``name: value`` line per signed header.

    ``values`` maps lower-case header names to the values sent; ``host`` must be there.
    """
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        else:
            lines.append(f"{name}: {values[name]}")
    return "\n".join(lines).encode("ascii")


def authorization_value(key_id: str, names: tuple[str, ...], signature: bytes) -> str:
    """The ``Authorization`` value, attributes in the order ``oci.signer`` writes them."""
    encoded = base64.b64encode(signature).decode("ascii")
    return (
        f'Signature algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'keyId="{key_id}",signature="{encoded}",version="1"'
    )


_scheme: tuple[Any, Any] | None = None


def rsa_sign(private_key: RSAPrivateKey, data: bytes) -> bytes:
    """RSA-SHA256 with PKCS#1 v1.5 padding, the only scheme OCI accepts here."""
    global _scheme
    if _scheme is None:
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from cryptography.hazmat.primitives.hashes import SHA256

        _scheme = (PKCS1v15(), SHA256())
    return private_key.sign(data, *_scheme)


@dataclass(frozen=True, repr=False)
class PendingSignature:
    """A request's signature made ready but not yet computed: the RSA operation is the
    only costly step, and an async caller may run it beside the event loop."""

    #: Headers to add besides ``authorization`` (date, and for bodies the content ones).
    added: dict[str, str]
    names: tuple[str, ...]
    #: The signing string, the exact bytes the RSA signature covers.
    data: bytes
    key_id: str
    private_key: RSAPrivateKey

    def __repr__(self) -> str:
        # A local while an async request waits for a signing worker: a cancelled request
        # rendered with its locals (as error reporters do) must not show the session token
        # in the key id, nor the signing string, which holds ``opc-obo-token``.
        return (
            f"PendingSignature(names={self.names!r}, key_id={redact_key_id(self.key_id)!r}, "
            f"data=<{len(self.data)} bytes>)"
        )

    def finish(self, signature: bytes) -> dict[str, str]:
        """The headers to set, ``authorization`` carrying ``signature``."""
        return {**self.added, "authorization": authorization_value(self.key_id, self.names, signature)}


def prepare_signature(
    *,
    method: str,
    target: str,
    host: str,
    headers: Mapping[str, str],
    body: bytes,
    key_id: str,
    private_key: RSAPrivateKey,
    header_names: HeaderNames | None = None,
) -> PendingSignature:
    """Everything of :func:`sign_request` but the RSA operation (same arguments, and
    ``header_names`` from :func:`signed_header_policy` to sign other headers)."""
    method = method.upper()
    names = signed_header_names(method, header_names)
    added: dict[str, str] = {}
    if "date" not in headers:
        added["date"] = http_date()
    if method in BODY_METHODS:
        if "content-type" not in headers:
            added["content-type"] = DEFAULT_CONTENT_TYPE
        if "content-length" not in headers:
            added["content-length"] = str(len(body))
        if "x-content-sha256" not in headers:
            added["x-content-sha256"] = body_digest(body)
    values = {**headers, **added, "host": host}
    if header_names is not None:  # OCI's own names are always there by now; a caller's may not be
        absent = [name for name in names if name != "(request-target)" and name not in values]
        if absent:
            raise ConfigurationError(f"cannot sign header {', '.join(absent)}: the request does not carry it")
    return PendingSignature(added, names, signing_string(method, target, names, values), key_id, private_key)


def sign_request(
    *,
    method: str,
    target: str,
    host: str,
    headers: Mapping[str, str],
    body: bytes,
    key_id: str,
    private_key: RSAPrivateKey,
) -> dict[str, str]:
    """Sign one request; return the headers to set on it (lower-case names).

    ``target`` is the raw path and query as sent (``/a%20b?x=1``), ``host`` the ``Host``
    value (with any non-default port), ``headers`` the request's current headers with
    lower-case keys. As in ``oci.signer``, a ``date``, ``content-type``,
    ``content-length`` or ``x-content-sha256`` already present is kept.
    """
    pending = prepare_signature(
        method=method, target=target, host=host, headers=headers, body=body, key_id=key_id, private_key=private_key
    )
    return pending.finish(rsa_sign(private_key, pending.data))
