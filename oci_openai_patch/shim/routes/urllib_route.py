"""The ``urllib`` route: ``urllib.request`` and ``http.client`` requests to an OCI host are signed.

``urllib.request`` sends through ``http.client.HTTPConnection.request``, which code also
calls directly; the hook is there. The origin is the connection's (``HTTPSConnection``:
https), the tunnel's behind an https proxy, or the absolute URL a plain-http proxy is
given, which is refused: the proxy would read the signature. A body that is neither
bytes nor text (a file, an iterable) is refused. ``urllib3``, under ``requests``,
overrides ``request`` and never reaches this hook; ``requests`` has its own route.
"""

from urllib.parse import urlsplit

from . import route_signing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(connection: "Any", url: str, https_class: type) -> "tuple[str, str | None, int | None, bool]":
    """Where the request goes: scheme, host, port, and whether a plain-http proxy carries it
    (the URL is then absolute). Read off the connection, without building any string."""
    if url[:1] != "/" and url[:4].lower() == "http" and "://" in url[:8]:  # origin-form paths first
        parts = urlsplit(url)
        return parts.scheme.lower(), parts.hostname, parts.port, True
    scheme = "https" if isinstance(connection, https_class) else "http"
    tunnel = connection._tunnel_host
    if tunnel:
        return scheme, tunnel, connection._tunnel_port, False
    return scheme, connection.host, connection.port, False


def _netloc(scheme: str, host: str, port: "int | None") -> str:
    literal = f"[{host}]" if ":" in host else host
    return literal if port in (None, _DEFAULT_PORTS[scheme]) else f"{literal}:{port}"


def _body_bytes(route: str, method: str, url: str, body: "Any") -> bytes:
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


def request(module: "ModuleType", route: str) -> "Callable[..., Any]":
    """The wrapper of ``http.client.HTTPConnection.request``."""
    https_class = module.HTTPSConnection

    def around(wrapped: "Any", instance: "Any", args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> "Any":
        if len(args) < 2:
            return wrapped(*args, **kwargs)
        method, path = args[0], args[1]
        scheme, host, port, proxied = _origin(instance, path, https_class)
        if not route_signing.bound_for_oci(scheme, host, port):
            return wrapped(*args, **kwargs)
        body = args[2] if len(args) > 2 else kwargs.get("body")
        headers = args[3] if len(args) > 3 else kwargs.get("headers", {})
        assert host is not None  # an origin without a host is never signed for
        netloc = _netloc(scheme, host, port)
        full_url = path if proxied else f"{scheme}://{netloc}{path}"
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

    return around


def request_steady(
    module: "ModuleType", route: str, original: "Callable[..., Any]", around: "Callable[..., Any]"
) -> "Callable[..., Any] | None":
    """``HTTPConnection.request`` from its first call on (``shim.bootstrap._wrap_method``).

    The common request, an origin-form path on a direct connection to a host the shim has
    already decided not to sign for, is sent from this one frame: the origin and its cached
    verdict are read as :func:`_origin` and :func:`.route_signing.bound_for_oci` read them,
    inline (``benchmarks/routes.py`` measures this path against the unhooked method). Every
    other request (a first look at a host, a proxy, a tunnel, an OCI host, the shim off)
    takes the full path through ``around``. None (the generic wrapper stays) where the
    original is not a plain function, which only binding calls right (a wrapt wrapper).
    """
    if type(original) is not type(_origin_form):
        return None
    https_class = module.HTTPSConnection
    patch_module = route_signing.patch_module()

    def request(self: "Any", *args: "Any", **kwargs: "Any") -> "Any":
        if len(args) > 1 and args[1][:1] == "/" and not self._tunnel_host:
            state = patch_module._state
            scheme = "https" if isinstance(self, https_class) else "http"
            if state is not None and state.route_verdicts.get((scheme, self.host, self.port)) is False:
                return original(self, *args, **kwargs)
        return around(original.__get__(self, type(self)), self, args, kwargs)

    return request


def _origin_form(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
