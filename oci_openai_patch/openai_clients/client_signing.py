"""Signing attached to the openai client, not to the http client it happens to hold.

Before every request openai asks its client for a custom auth and passes it to the http
client's ``send`` (the ``custom_auth`` property on 1.x and on every async client, the
``_custom_auth(security)`` method on the sync client of 2.x and 3.x); an auth given to
``send`` replaces the http client's own for that request. Answering there means:

- signing follows the openai client whatever http client it holds now: pydantic-ai's new
  client per event loop, a library assigning ``client._client``, ``with_options(http_client=)``;
- the caller's http client is never changed, so clients that share one each keep their own
  trusted hosts;
- the http client's own auth still handles every foreign request (as the delegate), and
  if it is one of this package's auths, it is the one that signs: the user's choice wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Imported where used: the patch imports this module when openai is imported, and
    # the auth module brings httpx and httpx2 (some 60 ms) that a program may never need.
    from ..transport.auth import OciAuth

#: Where an openai client keeps its :class:`ClientSigning` (in its ``__dict__``).
ATTRIBUTE = "_oci_openai_signing"


class ClientSigning:
    """The signing of one openai client: its auth, adapted to its current http client."""

    __slots__ = ("_cache", "as_is", "auth", "deployment_routing")

    def __init__(self, auth: Any, *, as_is: bool = False, deployment_routing: str | None = None) -> None:
        self.auth = auth
        #: A foreign httpx auth given to ``OciOpenAI(auth=)``: handed to every request unchanged.
        self.as_is = as_is
        #: The client's own ``deployment_routing=``: it holds with an auth set on its http client too.
        self.deployment_routing = deployment_routing
        self._cache: tuple[Any, Any, OciAuth] | None = None

    def auth_for(self, http_client: Any) -> Any:
        """The auth for a request sent through ``http_client`` (remembered until the
        client, or the auth set on it, changes)."""
        if self.as_is:
            return self.auth
        own = getattr(http_client, "auth", None)
        cached = self._cache
        if cached is not None and cached[0] is http_client and cached[1] is own:
            return cached[2]
        from ..transport.auth import OciAuth

        if isinstance(own, OciAuth):
            view = own.for_http_client(http_client, delegate=own.delegate)
            if self.deployment_routing is not None:
                view = view.routing_deployments(self.deployment_routing)
        else:
            view = self.auth.for_http_client(http_client, delegate=own)
        self._cache = (http_client, own, view)
        return view


def signing_of(client: Any) -> ClientSigning | None:
    """The signing attached to an openai client, if any."""
    signing: ClientSigning | None = vars(client).get(ATTRIBUTE)
    return signing


def attach(client: Any, auth: Any, *, as_is: bool = False, deployment_routing: str | None = None) -> ClientSigning:
    """Make ``client`` (an openai client) sign its OCI requests with ``auth`` (``as_is``:
    a foreign httpx auth, applied to every request; ``deployment_routing``: the client's
    own choice, also over an auth set on its http client)."""
    signing = ClientSigning(auth, as_is=as_is, deployment_routing=deployment_routing)
    vars(client)[ATTRIBUTE] = signing
    return signing


def signing_auth(client: Any) -> Any:
    """The auth that signs ``client``'s next OCI request, or None if nothing signs it
    (for checks and ``doctor``; the request path asks :meth:`ClientSigning.auth_for`)."""
    signing = signing_of(client)
    if signing is not None:
        return signing.auth_for(client._client)
    from ..transport.auth import OciAuth

    own = getattr(client._client, "auth", None)
    return own if isinstance(own, OciAuth) else None
