"""The ``urllib`` route: ``urllib.request`` and ``http.client`` requests to an OCI host are signed.

``urllib.request`` sends through ``http.client.HTTPConnection.request``, which code also
calls directly; the hook is there. The origin is the connection's (``HTTPSConnection``:
https), the tunnel's behind an https proxy, or the absolute URL a plain-http proxy is
given, which is refused: the proxy would read the signature. A body that is neither
bytes nor text (a file, an iterable) is refused. ``urllib3``, under ``requests``,
overrides ``request`` and never reaches this hook; ``requests`` has its own route.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import wrapt

from . import route_signing

_MARK = "_oci_openai_patch_route"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _target(connection: Any, url: str, https_class: type) -> tuple[str, str, bool]:
    """The request's full URL, its Host header, and whether it goes through a plain-http proxy."""
    if url.lower().startswith(("http://", "https://")):
        parts = urlsplit(url)
        return url, parts.netloc.rpartition("@")[2], True
    tunnel = getattr(connection, "_tunnel_host", None)
    scheme = "https" if isinstance(connection, https_class) else "http"
    host, port = (tunnel, connection._tunnel_port) if tunnel else (connection.host, connection.port)
    literal = f"[{host}]" if ":" in host else host
    netloc = literal if port in (None, _DEFAULT_PORTS[scheme]) else f"{literal}:{port}"
    return f"{scheme}://{netloc}{url}", netloc, False


def _body_bytes(route: str, method: str, url: str, body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("iso-8859-1")  # as http.client encodes a text body
    raise route_signing.refuse(
        route,
        method,
        url,
        f"its body is a {type(body).__name__}, which cannot be hashed for the signature without consuming it",
        "pass the body as bytes",
    )


def hook(module: ModuleType, route: str) -> None:
    """Wrap ``http.client.HTTPConnection.request``."""
    https_class = module.HTTPSConnection

    def request(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if len(args) < 2:
            return wrapped(*args, **kwargs)
        method, path = args[0], args[1]
        body = args[2] if len(args) > 2 else kwargs.get("body")
        headers = args[3] if len(args) > 3 else kwargs.get("headers", {})
        full_url, netloc, proxied = _target(instance, path, https_class)
        if not route_signing.url_bound_for_oci(full_url):
            return wrapped(*args, **kwargs)
        items = [(str(name), str(value)) for name, value in dict(headers or {}).items()]
        if route_signing.already_signed(items):
            return wrapped(*args, **kwargs)
        if proxied and full_url.lower().startswith("http://"):
            raise route_signing.proxied(route, method, full_url)
        if not any(name.lower() == "host" for name, _ in items):
            items.append(("Host", netloc))
        signed = route_signing.sign(route, method, full_url, items, _body_bytes(route, method, full_url, body))
        target = signed.url if proxied else _origin_form(signed.url)
        rest = {key: value for key, value in kwargs.items() if key not in ("body", "headers")}
        return wrapped(
            method, target, signed.body if (signed.body or body is not None) else None, dict(signed.headers), **rest
        )

    cls = module.HTTPConnection
    if not getattr(cls.request, _MARK, False):
        wrapper = wrapt.FunctionWrapper(cls.__dict__["request"], request)
        setattr(wrapper, _MARK, True)
        cls.request = wrapper


def _origin_form(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
