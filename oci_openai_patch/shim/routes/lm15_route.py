"""The ``lm15`` route: dspy's default engine, whose transports speak HTTP/1.1 on sockets.

dspy 3.4 vendors lm15 (``dspy/_vendor/lm15``) and sends with its ``StdlibTransport`` /
``StdlibAsyncTransport``, not an openai client and not http.client. Each request passes
their ``stream`` / ``_do_stream`` as a ``TransportRequest`` (method, URL, a header list,
body bytes); a request to an OCI host is signed there, in place.
"""

from urllib.parse import urlsplit

from . import route_signing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import ModuleType
    from typing import Any


def _refuse_if_proxied(route: str, transport: "Any", request: "Any") -> None:
    parts = urlsplit(request.url)
    if parts.scheme.lower() != "http":
        return
    from ...trust.proxies import environment_proxy

    proxy = getattr(transport, "_proxy", None)
    if proxy or (getattr(transport, "_trust_env", True) and environment_proxy(parts.hostname or "", parts.port)):
        raise route_signing.proxied(route, request.method, request.url)


def _needs_signing(request: "Any") -> bool:
    return route_signing.url_bound_for_oci(request.url) and not route_signing.already_signed(request.headers)


def _write_back(request: "Any", signed: "route_signing.Signed") -> None:
    request.url = signed.url
    request.headers = list(signed.headers)
    request.body = signed.body


def stream(module: "ModuleType", route: str) -> "Callable[..., Any]":
    """The wrapper of ``StdlibTransport.stream``."""

    def around(wrapped: "Any", instance: "Any", args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> "Any":
        request = args[0] if args else kwargs.get("request")
        if request is not None and _needs_signing(request):
            _refuse_if_proxied(route, instance, request)
            _write_back(
                request, route_signing.sign(route, request.method, request.url, list(request.headers), request.body)
            )
        return wrapped(*args, **kwargs)

    return around


def do_stream(module: "ModuleType", route: str) -> "Callable[..., Awaitable[Any]]":
    """The wrapper of ``StdlibAsyncTransport._do_stream`` (``stream`` returns a context
    manager that awaits it)."""

    async def around(wrapped: "Any", instance: "Any", args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> "Any":
        request = args[0] if args else kwargs.get("request")
        if request is not None and _needs_signing(request):
            _refuse_if_proxied(route, instance, request)
            signed = await route_signing.sign_async(
                route, request.method, request.url, list(request.headers), request.body
            )
            _write_back(request, signed)
        return await wrapped(*args, **kwargs)

    return around
