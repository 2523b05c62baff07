"""Verifying OCI request signatures the way OCI does, from the public key.

This is the server half of the signature: it parses ``Authorization``, checks that the
required headers are signed, that the body matches its digest and length, that the
date is within five minutes, and verifies the RSA signature over the request as it was
received. Session-style key ids (``ST$<token>``) carry a token issued by
:class:`TokenIssuer`, whose ``jwk`` claim holds the session public key, as OCI's do.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256

from ..signature.signing import BASIC_HEADERS, BODY_HEADERS, BODY_METHODS, body_digest

MAX_CLOCK_SKEW_SECONDS = 300
_PARAM = re.compile(r'(\w+)="([^"]*)"')


class VerificationError(Exception):
    """The request is not authenticated; the message says why, as OCI's 401 would."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "n": _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": _b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }


def jwk_public_key(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    n = int.from_bytes(_b64url_decode(str(jwk["n"])), "big")
    e = int.from_bytes(_b64url_decode(str(jwk["e"])), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


class TokenIssuer:
    """Issues and checks security tokens (HS256 JWTs) bound to a session public key."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)
        self._revoked: set[str] = set()
        self._lock = threading.Lock()

    def issue(self, public_key: rsa.RSAPublicKey, ttl: float = 3600.0, **claims: Any) -> str:
        """A security token for the session key ``public_key``, valid for ``ttl`` seconds."""
        return self.issue_claims(ttl, jwk=public_jwk(public_key), **claims)

    def issue_claims(self, ttl: float = 3600.0, **claims: Any) -> str:
        """A signed JWT with ``claims`` (a service-account token, say), valid for ``ttl`` seconds."""
        now = time.time()
        payload: dict[str, Any] = {"iat": int(now), "exp": now + ttl, "jti": secrets.token_hex(8)}
        payload.update(claims)
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64url(json.dumps(payload).encode())
        signature = hmac.new(self._secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{_b64url(signature)}"

    def revoke(self, token: str) -> None:
        with self._lock:
            self._revoked.add(token)

    def public_key_for(self, token: str) -> rsa.RSAPublicKey:
        parts = token.split(".")
        if len(parts) != 3:
            raise VerificationError("The security token is malformed")
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64url_decode(parts[2])):
            raise VerificationError("The security token was not issued by this endpoint")
        claims = json.loads(_b64url_decode(parts[1]))
        if float(claims["exp"]) <= time.time():
            raise VerificationError("The security token has expired")
        with self._lock:
            if token in self._revoked:
                raise VerificationError("The security token has been revoked")
        return jwk_public_key(claims["jwk"])


@dataclass(frozen=True)
class Verified:
    key_id: str
    signed_headers: tuple[str, ...]


def parse_authorization(value: str) -> dict[str, str]:
    if not value.startswith("Signature "):
        raise VerificationError("The Authorization header is not an OCI signature")
    return dict(_PARAM.findall(value[len("Signature ") :]))


class SignatureVerifier:
    """Checks OCI signatures against registered API keys and issued security tokens."""

    def __init__(self, issuer: TokenIssuer | None = None) -> None:
        self.issuer = issuer or TokenIssuer()
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        #: Seconds this server's clock is ahead of the machine's (negative: behind), to
        #: show what a client with a skewed clock meets: OCI refuses dates 5 minutes off.
        self.clock_offset = 0.0

    def now(self) -> float:
        """The server's clock."""
        return time.time() + self.clock_offset

    def register_key(self, key_id: str, public_key: rsa.RSAPublicKey) -> None:
        self._keys[key_id] = public_key

    def _public_key(self, key_id: str) -> rsa.RSAPublicKey:
        if key_id.startswith("ST$"):
            return self.issuer.public_key_for(key_id[3:])
        key = self._keys.get(key_id)
        if key is None:
            raise VerificationError(
                "The required information to complete authentication was not provided or was incorrect"
            )
        return key

    def verify(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        required_headers: tuple[str, ...] | None = None,
    ) -> Verified:
        """Verify one received request; ``headers`` has lower-case names.

        ``required_headers`` replaces the headers every signature must cover (OCI's own
        token requests, such as X.509 federation, leave out ``host``).
        """
        authorization = headers.get("authorization")
        if not authorization:
            raise VerificationError("The required information to complete authentication was not provided")
        params = parse_authorization(authorization)
        if params.get("version") != "1" or params.get("algorithm") != "rsa-sha256":
            raise VerificationError("The signature version or algorithm is not supported")
        for name in ("keyId", "headers", "signature"):
            if name not in params:
                raise VerificationError(f"The signature has no {name}")
        signed = tuple(params["headers"].split())
        basic = BASIC_HEADERS if required_headers is None else required_headers
        required = basic + (BODY_HEADERS if method.upper() in BODY_METHODS else ())
        missing = [name for name in required if name not in signed]
        if missing:
            raise VerificationError(f"The signature does not cover the required headers: {' '.join(missing)}")
        self._check_date(headers.get("date") or headers.get("x-date"))
        if method.upper() in BODY_METHODS:
            if headers.get("x-content-sha256") != body_digest(body):
                raise VerificationError("The x-content-sha256 header does not match the body")
            if headers.get("content-length") != str(len(body)):
                raise VerificationError("The content-length header does not match the body")
        lines = []
        for name in signed:
            if name == "(request-target)":
                lines.append(f"(request-target): {method.lower()} {target}")
            elif name in headers:
                lines.append(f"{name}: {headers[name]}")
            else:
                raise VerificationError(f"The signed header {name} is missing from the request")
        public_key = self._public_key(params["keyId"])
        try:
            public_key.verify(
                base64.b64decode(params["signature"]), "\n".join(lines).encode(), padding.PKCS1v15(), SHA256()
            )
        except (InvalidSignature, ValueError):
            raise VerificationError("The signature does not match the request") from None
        return Verified(key_id=params["keyId"], signed_headers=signed)

    def _check_date(self, value: str | None) -> None:
        if not value:
            raise VerificationError("The date header is missing")
        try:
            sent = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            raise VerificationError("The date header is not an HTTP date") from None
        if abs(self.now() - sent) > MAX_CLOCK_SKEW_SECONDS:
            raise VerificationError("The date header is more than 5 minutes from the server's clock")
