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

The answer is given by one mixin, :class:`SignedClient`, for both faces: ``OciOpenAI``
derives from it, and the shim moves each client it signs into a subclass made of it and
the client's own class (:func:`attach`). openai's classes are never changed, so
``unpatch()`` leaves them exactly as they were, while clients already built keep signing.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError

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
    signing = vars(client).get(ATTRIBUTE)
    return signing if isinstance(signing, ClientSigning) else None


def _attached_auth(client: Any) -> Any:
    signing = vars(client).get(ATTRIBUTE)
    # Only while openai's own constructor runs is there no signing yet; it sends nothing.
    return signing.auth_for(client._client) if isinstance(signing, ClientSigning) else None


#: Marks, in a class's own ``__dict__``, the classes that hold the signing answer: the
#: fall-back to openai's own answer looks past them.
_SIGNING_CLASS = "_oci_openai_signing_class"


def _own_answer(client: Any, name: str) -> Any:
    """``name`` as the client's class would have it without the signing classes: openai's
    own, or a subclass's override of it."""
    for klass in type(client).__mro__:
        if name in klass.__dict__ and not klass.__dict__.get(_SIGNING_CLASS):
            return klass.__dict__[name].__get__(client, type(client))
    return None


def _custom_auth(self: Any) -> Any:
    auth = _attached_auth(self)
    return auth if auth is not None else _own_answer(self, "custom_auth")


def _custom_auth_method(self: Any, security: Any) -> Any:
    auth = _attached_auth(self)
    if auth is not None:
        return auth
    own = _own_answer(self, "_custom_auth")
    return own(security) if own is not None else None


#: The per-request answer of a signing openai client: the attached signing's auth, else
#: openai's own. openai asks its ``custom_auth`` property (1.x, and every async client) or
#: its ``_custom_auth(security)`` method (the sync client of 2.x and 3.x).
_ANSWERS: dict[str, Any] = {
    "custom_auth": property(_custom_auth, doc="The attached signing's auth, else openai's own."),
    "_custom_auth": _custom_auth_method,
    _SIGNING_CLASS: True,
}


class SignedClient:
    """A base for the clients that sign by themselves (``OciOpenAI``, ``AsyncOciOpenAI``):
    the same answers as every signing subclass the shim makes."""

    custom_auth = _ANSWERS["custom_auth"]
    _custom_auth = _custom_auth_method
    _oci_openai_signing_class = True


#: The signing subclass of each openai client class, made once (weakly: a class
#: defined in a test or a closure can go).
_SIGNED_CLASSES: weakref.WeakKeyDictionary[type, type] = weakref.WeakKeyDictionary()


def signed_class(cls: type) -> type:
    """``cls`` if it answers with the attached signing, else its signing subclass: the
    answers in its own namespace (a mixin base would give it another layout, which
    ``__class__`` assignment refuses), same name and module, so reprs, logs and
    ``isinstance`` checks see the class they know."""
    if any(klass.__dict__.get(_SIGNING_CLASS) for klass in cls.__mro__):
        return cls
    made = _SIGNED_CLASSES.get(cls)
    if made is None:
        namespace = {**_ANSWERS, "__module__": cls.__module__, "__qualname__": cls.__qualname__}
        made = type(cls.__name__, (cls,), namespace)
        _SIGNED_CLASSES[cls] = made
    return made


def attach(client: Any, auth: Any, *, as_is: bool = False, deployment_routing: str | None = None) -> ClientSigning:
    """Make ``client`` (an openai client) sign its OCI requests with ``auth`` (``as_is``:
    a foreign httpx auth, applied to every request; ``deployment_routing``: the client's
    own choice, also over an auth set on its http client)."""
    signing = ClientSigning(auth, as_is=as_is, deployment_routing=deployment_routing)
    vars(client)[ATTRIBUTE] = signing
    cls = type(client)
    if signed_class(cls) is not cls:
        try:
            client.__class__ = signed_class(cls)
        except TypeError as error:  # a subclass whose layout forbids it (``__slots__`` of its own)
            raise ConfigurationError(
                f"cannot sign {cls.__qualname__} clients: its layout does not allow the signing subclass ({error}); "
                "build an OciOpenAI / AsyncOciOpenAI instead"
            ) from None
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
