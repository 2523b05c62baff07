"""The ``aiohttp`` route: every session's requests to an OCI host are signed.

``ClientRequest.send`` runs once per request and per redirect hop, with the headers
final (``Host``, ``Content-Length``, the session's auth) and the body as a payload. A
bytes payload (``data=bytes``, ``json=``) is signed; any other (a file, a stream, a
multipart writer) is refused, as is plain http through a proxy. The RSA operation and
any credential load run beside the event loop.
"""

from . import route_signing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import ModuleType
    from typing import Any


async def _body_bytes(route: str, request: "Any") -> bytes:
    from aiohttp import payload

    body = request.body
    if body in (b"", None):
        return b""
    if isinstance(body, payload.BytesPayload):
        as_bytes = getattr(body, "as_bytes", None)  # aiohttp 3.12 on; before, the payload's bytes
        data: bytes = await as_bytes() if as_bytes is not None else bytes(body._value)
        return data
    raise route_signing.refuse(
        route,
        request.method,
        str(request.url),
        f"its body is a {type(body).__name__}, which cannot be hashed for the signature without consuming it",
        "pass the body as bytes (data=b'...' or json=...)",
    )


async def sign_request(route: str, request: "Any") -> None:
    """Sign ``request`` (a ``ClientRequest``) in place, if the shim signs for its host."""
    url = request.url
    if not route_signing.bound_for_oci(url.scheme, url.host, url.explicit_port):
        return
    headers = list(request.headers.items())
    if route_signing.already_signed(headers):
        return
    if request.proxy is not None and url.scheme == "http":
        raise route_signing.proxied(route, request.method, str(url))
    body = await _body_bytes(route, request)
    signed = await route_signing.sign_async(route, request.method, str(url), headers, body)
    from multidict import CIMultiDict
    from yarl import URL

    if signed.url != str(url):
        request.url = URL(signed.url, encoded=True)
    request.headers = CIMultiDict(signed.headers)
    if signed.body != body:
        update = getattr(request, "update_body", None)  # aiohttp 3.12 on
        if update is not None:
            await update(signed.body)
        else:
            request.update_body_from_data(signed.body)
        request.headers["Content-Length"] = str(len(signed.body))


def send(module: "ModuleType", route: str) -> "Callable[..., Awaitable[Any]]":
    """The wrapper of ``ClientRequest.send`` (``aiohttp.client_reqrep``)."""

    async def around(wrapped: "Any", instance: "Any", args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> "Any":
        await sign_request(route, instance)
        return await wrapped(*args, **kwargs)

    return around
