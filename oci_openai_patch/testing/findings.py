"""What the local endpoint reports beside a signature's verdict: credentials that should not be there.

A request the package signs carries only the OCI signature. An app's own key that still
arrives (a Bearer or Basic ``Authorization``, ``api-key``, ``X-Api-Key``, a ``key=`` query
parameter) is a finding: it would have reached Oracle. The log shows such a credential
redacted, never whole.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

#: Header names that carry API keys in the OpenAI-compatible ecosystem (Azure, Anthropic-style).
KEY_HEADERS = ("api-key", "x-api-key")


def redact(secret: str) -> str:
    """Enough of a credential to recognise it, never all of it: ``sk-a…(27 chars)``."""
    shown = secret[:4] if len(secret) >= 16 else ""
    return f"{shown}…({len(secret)} chars)"


def foreign_credentials(target: str, headers: dict[str, str]) -> tuple[str, ...]:
    """One line per credential that is not an OCI signature, redacted (``headers`` lower-cased)."""
    found = []
    authorization = headers.get("authorization", "")
    if authorization and not authorization.startswith("Signature "):
        scheme, _, value = authorization.partition(" ")
        found.append(f"foreign credential: Authorization {scheme} {redact(value)}")
    for name in KEY_HEADERS:
        if headers.get(name):
            found.append(f"foreign credential: {name} header {redact(headers[name])}")
    for name, value in parse_qsl(target.partition("?")[2]):
        if name.lower() in ("key", "api-key", "api_key"):
            found.append(f"foreign credential: {name}= query parameter {redact(value)}")
    return tuple(found)
