"""Websockets fail closed: none to a host this package signs for, no OCI header to another.

openai opens its websockets (realtime, and the websocket routes of later versions) with the
``websockets`` library, outside the http client and so outside the per-request auth. The
handshake carries ``Authorization: Bearer <the client's key>`` and the client's default
headers. A websocket handshake cannot carry an OCI signature the way this package makes
one, so:

- a websocket to a host this package would sign (an OCI service host, a host of
  ``OCI_OPENAI_HOSTS`` or ``hosts=``, an explicit client's own base URL host) is refused
  with a one-line ``ConfigurationError`` before anything is sent: the app's key never goes;
- a websocket to any other host loses what only OCI may see (the compartment,
  conversation-store and delegation headers, a project OCID) and the placeholder key.

Both entry points of ``websockets`` are wrapped (with wrapt) when it is imported: the sync
``connect`` function and the asyncio ``connect`` class's ``__init__`` (which openai
subclasses). Installed by :func:`patch` and by the explicit clients.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigurationError
from ..process_locks import ProcessLock
from ..trust.hosts import HostPattern, HostPolicy
from .request_headers import OCI_ONLY_HEADERS, PLACEHOLDER_API_KEY, PROJECT_HEADER

_MODULES = ("websockets.sync.client", "websockets.asyncio.client")
_MARK = "_oci_openai_patch_websockets"
_lock = ProcessLock("websocket guard")
#: The hosts this process's clients sign for besides OCI's own (grows, never shrinks).
_policy = HostPolicy()
_installed = False


def trust(patterns: Iterable[HostPattern]) -> None:
    """Count these hosts as signed for: a websocket to them is refused."""
    global _policy
    added = tuple(patterns)
    if added:
        with _lock:
            _policy = _policy.with_hosts(added)


def refuses(uri: str) -> bool:
    """Whether a websocket to ``uri`` goes to a host this package signs for."""
    parts = urlsplit(str(uri))
    scheme = {"wss": "https", "ws": "http"}.get(parts.scheme.lower(), parts.scheme.lower())
    try:
        port = parts.port
    except ValueError:
        return True  # a URL we cannot read is not sent
    return _policy.allows(scheme, parts.hostname or "", port)


def _without_oci_headers(headers: Any) -> Any:
    """The handshake headers minus what only OCI may see (a dict, a list of pairs or a mapping)."""
    if headers is None:
        return None
    items = list(headers.items()) if hasattr(headers, "items") else list(headers)

    def keep(name: str, value: str) -> bool:
        lower = name.lower()
        if lower in OCI_ONLY_HEADERS:
            return False
        if lower == PROJECT_HEADER and str(value).startswith("ocid1."):
            return False
        return not (lower == "authorization" and str(value) == f"Bearer {PLACEHOLDER_API_KEY}")

    kept = [(name, value) for name, value in items if keep(str(name), str(value))]
    return dict(kept) if isinstance(headers, dict) else kept


def _checked(uri: Any, kwargs: dict[str, Any]) -> None:
    if refuses(str(uri)):
        parts = urlsplit(str(uri))
        raise ConfigurationError(
            f"refusing the websocket to {parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}: OCI requests "
            "are signed HTTP requests, and a websocket handshake would go unsigned, with the app's own key; "
            "use the HTTP API (responses, chat completions) on OCI"
        )
    if "additional_headers" in kwargs:
        kwargs["additional_headers"] = _without_oci_headers(kwargs["additional_headers"])
    if "extra_headers" in kwargs:
        kwargs["extra_headers"] = _without_oci_headers(kwargs["extra_headers"])


def _sync_connect(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    uri = args[0] if args else kwargs.get("uri")
    _checked(uri, kwargs)
    return wrapped(*args, **kwargs)


def _async_connect_init(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    uri = args[0] if args else kwargs.get("uri")
    _checked(uri, kwargs)
    return wrapped(*args, **kwargs)


def _guard(module: Any) -> None:
    import wrapt

    connect = getattr(module, "connect", None)
    if connect is None or getattr(module, _MARK, False):
        return
    if isinstance(connect, type):
        wrapt.wrap_function_wrapper(connect, "__init__", _async_connect_init)
    else:
        wrapt.wrap_function_wrapper(module, "connect", _sync_connect)
    setattr(module, _MARK, True)


def install(policy: HostPolicy | None = None) -> None:
    """Guard ``websockets`` now if imported, else when it is; ``policy``'s extra hosts count
    as signed for."""
    global _installed
    if policy is not None:
        trust(policy.extra)
    with _lock:
        if _installed:
            return
        _installed = True
    import importlib.util

    import wrapt

    try:
        found = importlib.util.find_spec("websockets") is not None
    except ValueError:
        found = "websockets" in sys.modules
    if not found:
        return
    for name in _MODULES:
        if name in sys.modules:
            _guard(sys.modules[name])
        else:
            wrapt.register_post_import_hook(_guard, name)
