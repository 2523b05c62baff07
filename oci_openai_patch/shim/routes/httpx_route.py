"""The ``httpx`` / ``httpx2`` route: any client's requests to an OCI host are signed.

``Client.send`` / ``AsyncClient.send`` are where every request of a client passes, with
the auth it is to be sent with (``httpx.post`` builds a client and sends through it too).
A request the shim signs for gets the shim's auth in place of whatever auth it had, which
stays the auth of the foreign hops of its redirects. Left as it is: a request whose auth
is one of this package's already (an openai client the shim or ``OciOpenAI`` signs, an
auth the caller chose), and one that carries an OCI signature.
"""

from . import route_signing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import ModuleType
    from typing import Any


def _own_auth(client: "Any", request: "Any", kwargs: "dict[str, Any]") -> "Any":
    """The auth the client would send ``request`` with (its own, the call's, or the URL's)."""
    if "auth" in kwargs:
        return client._build_request_auth(request, kwargs["auth"])
    return client._build_request_auth(request)


def _signing_auth(route: str, client: "Any", request: "Any", kwargs: "dict[str, Any]") -> "Any":
    """The auth to send ``request`` with, or None to send it as the caller asked."""
    url = request.url
    if not route_signing.bound_for_oci(url.scheme, url.host, url.port):
        return None
    from ...transport.auth import OciAuth

    own = _own_auth(client, request, kwargs)
    if isinstance(own, OciAuth) or route_signing.already_signed(request.headers.items()):
        return None
    state = route_signing.active_state_or_refuse(route)
    for name, value in route_signing.scope_headers(state, str(url), list(request.headers.items())):
        request.headers[name] = value
    return state.route_auth(route).for_http_client(client, delegate=own)


def _sign_arguments(route: str, instance: "Any", args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> None:
    request = args[0] if args else kwargs.get("request")
    auth = _signing_auth(route, instance, request, kwargs) if request is not None else None
    if auth is not None:
        kwargs["auth"] = auth


def send(module: "ModuleType", route: str) -> "Callable[..., Any]":
    """The wrapper of ``Client.send``."""

    def around(wrapped: "Any", instance: "Any", args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> "Any":
        _sign_arguments(route, instance, args, kwargs)
        return wrapped(*args, **kwargs)

    return around


def send_async(module: "ModuleType", route: str) -> "Callable[..., Awaitable[Any]]":
    """The wrapper of ``AsyncClient.send``."""

    async def around(wrapped: "Any", instance: "Any", args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> "Any":
        _sign_arguments(route, instance, args, kwargs)
        return await wrapped(*args, **kwargs)

    return around
