"""The ``requests`` route: every session's requests to an OCI host are signed.

``HTTPAdapter.send`` receives each ``PreparedRequest`` as it will go on the wire (after
the session's auth, cookies and redirects), with the proxies that apply to it. A request
the shim signs for is replaced by its signed copy; a body that cannot be hashed without
consuming it (a generator, a file) is refused.
"""

from . import route_signing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any


def _body_bytes(route: str, request: "Any") -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise route_signing.refuse(
        route,
        request.method,
        request.url,
        f"its body is a {type(body).__name__}, which cannot be hashed for the signature without consuming it",
        "pass the body as bytes (data=b'...' or json=...)",
    )


def _refuse_if_proxied(route: str, request: "Any", proxies: "Any") -> None:
    """A plain-http request through a proxy would show the signature in clear text."""
    if not request.url.lower().startswith("http://") or not proxies:
        return
    from requests.utils import select_proxy

    proxy = select_proxy(request.url, proxies)
    if proxy:
        from ...redact import url_without_userinfo

        raise route_signing.proxied(route, request.method, request.url, url_without_userinfo(proxy))


def sign_prepared(route: str, request: "Any", proxies: "Any") -> None:
    """Sign ``request`` (a ``PreparedRequest``) in place, if the shim signs for its host."""
    if not route_signing.url_bound_for_oci(request.url):
        return
    headers = list(request.headers.items())
    if route_signing.already_signed(headers):
        return
    _refuse_if_proxied(route, request, proxies)
    body = _body_bytes(route, request)
    signed = route_signing.sign(route, request.method, request.url, headers, body)
    from requests.structures import CaseInsensitiveDict

    request.url = signed.url
    request.headers = CaseInsensitiveDict(signed.headers)
    request.body = signed.body if (signed.body or request.body is not None) else None


def send(module: "ModuleType", route: str) -> "Callable[..., Any]":
    """The wrapper of ``HTTPAdapter.send`` (``requests.adapters``)."""

    def around(wrapped: "Any", instance: "Any", args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> "Any":
        request = args[0] if args else kwargs.get("request")
        if request is not None:
            proxies = kwargs.get("proxies", args[5] if len(args) > 5 else None)
            sign_prepared(route, request, proxies)
        return wrapped(*args, **kwargs)

    return around
