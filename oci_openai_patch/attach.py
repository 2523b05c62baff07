"""Putting the signing auth on an http client: once, keeping what the client had.

Both the explicit clients and the zero-code patch come through here, so the rules live
in one place: a client that already carries an OCI auth is not wrapped again, an auth
the caller had set keeps handling every non-OCI request, and the host of an explicit
base URL is trusted by this client's view of the auth only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from .auth import OciAuth
from .errors import ConfigurationError
from .hosts import DEFAULT_PORTS, HostPattern


def url_host_pattern(url: str) -> HostPattern | None:
    """The exact host and port of a base URL, as a pattern to trust."""
    parts = urlsplit(str(url))
    if not parts.hostname:
        return None
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    return HostPattern(host=parts.hostname.lower().rstrip("."), port=port)


def attach_auth(http_client: Any, auth: OciAuth | None, *, trusted_urls: Iterable[str] = ()) -> OciAuth:
    """Make ``http_client`` sign OCI requests with ``auth`` (or the OCI auth it already has)."""
    existing = http_client.auth
    if auth is None:
        if not isinstance(existing, OciAuth):
            raise ConfigurationError(
                "auth= is required: pass OciUserPrincipalAuth(), OciSessionAuth(), OciInstancePrincipalAuth(), "
                "OciResourcePrincipalAuth() or OciWorkloadIdentityAuth()"
            )
        auth = existing
    trusted = [pattern for pattern in map(url_host_pattern, trusted_urls) if pattern is not None]
    view = auth.trusting(trusted)
    view.delegate = existing.delegate if isinstance(existing, OciAuth) else existing
    http_client.auth = view
    return view
