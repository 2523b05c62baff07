"""``OciOpenAI`` and ``AsyncOciOpenAI``: the openai clients, signing with OCI IAM.

They are plain subclasses of ``openai.OpenAI`` / ``openai.AsyncOpenAI``: every openai
keyword argument works, and so does everything built on an openai client. The signing
auth is attached to the openai client itself (see :mod:`.client_signing`), not to its
http client: it covers ``copy()`` / ``with_options()`` (also with a new ``http_client``),
an http client replaced later, and an http client shared with other clients.
"""

from __future__ import annotations

import contextvars
from typing import Any

import openai

from .auth import OciAuth
from .client_signing import ClientSigning, attach, signing_of
from .errors import ConfigurationError
from .hosts import region_base_url, url_host_pattern
from .proxies import refuse_proxied_base_url
from .request_headers import PLACEHOLDER_API_KEY, client_headers, oci_headers


def _resolve(
    auth: OciAuth | None,
    base_url: str | None,
    region: str | None,
    api: str,
    compartment_id: str | None,
    conversation_store_id: str | None,
    kwargs: dict[str, Any],
) -> tuple[str, dict[str, Any]]:
    if auth is not None and not isinstance(auth, OciAuth):
        raise ConfigurationError(
            f"auth= must be an oci_openai_patch auth such as OciSessionAuth, not {type(auth).__name__}"
        )
    if base_url and region:
        raise ConfigurationError("pass base_url= or region=, not both")
    if not base_url:
        if not region:
            raise ConfigurationError("pass base_url= (the OCI endpoint) or region= (such as us-chicago-1)")
        base_url = region_base_url(region, api)
    base_url = str(base_url)
    kwargs["default_headers"] = client_headers(
        base_url,
        kwargs.pop("default_headers", None),
        compartment_id,
        conversation_store_id,
        missing_compartment="compartment_id= is required for OCI Generative AI endpoints; "
        "pass the compartment OCID (ocid1.compartment.oc1..)",
    )
    kwargs["base_url"] = base_url
    if kwargs.get("api_key") is None:
        kwargs["api_key"] = PLACEHOLDER_API_KEY
    return base_url, kwargs


#: The signing of the client being copied, while ``copy()`` / ``with_options()`` builds the
#: copy: the copy signs with the same auth and trusts the same hosts, and a base URL given
#: there is not trusted, so ``with_options(base_url=<other host>)`` can never make it sign.
_COPYING: contextvars.ContextVar[ClientSigning | None] = contextvars.ContextVar("oci_openai_copying", default=None)


def _bind(client: Any, auth: OciAuth | None, base_url: str) -> None:
    parent = _COPYING.get()
    if auth is None and parent is not None:
        attach(client, parent.auth)
        return
    if auth is None:
        auth = getattr(client._client, "auth", None)
        if not isinstance(auth, OciAuth):
            raise ConfigurationError(
                "auth= is required: pass OciUserPrincipalAuth(), OciSessionAuth(), OciInstancePrincipalAuth(), "
                "OciResourcePrincipalAuth() or OciWorkloadIdentityAuth()"
            )
    trusted = [] if parent is not None else [pattern for pattern in [url_host_pattern(base_url)] if pattern]
    attach(client, auth.trusting(trusted))
    refuse_proxied_base_url(client, base_url)


def _copy(method: Any, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    token = _COPYING.set(signing_of(client))
    try:
        return method(client, *args, **kwargs)
    finally:
        _COPYING.reset(token)


def _signing_auth(client: Any) -> Any:
    signing = signing_of(client)
    # Only while openai's own constructor runs is there no signing yet; it sends nothing.
    return signing.auth_for(client._client) if signing is not None else None


class OciOpenAI(openai.OpenAI):
    """An ``openai.OpenAI`` whose requests to OCI are signed by ``auth``.

    Give ``base_url`` (a Generative AI or model-deployment endpoint, or a private
    endpoint: the host of an explicit ``base_url`` is trusted by this client's auth) or
    ``region`` (its Generative AI endpoint; ``api="actions"`` for the
    ``/20231130/actions/v1`` flavour). ``compartment_id`` is required by Generative AI.
    """

    _oci_openai_explicit = True

    def __init__(
        self,
        *,
        auth: OciAuth | None = None,
        base_url: str | None = None,
        region: str | None = None,
        api: str = "openai",
        compartment_id: str | None = None,
        conversation_store_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        base_url, kwargs = _resolve(auth, base_url, region, api, compartment_id, conversation_store_id, kwargs)
        super().__init__(**kwargs)
        _bind(self, auth, base_url)

    @property
    def custom_auth(self) -> Any:
        """The signing auth, asked for by openai before each request (1.x, and async)."""
        return _signing_auth(self)

    def _custom_auth(self, security: Any) -> Any:
        """The signing auth, asked for by the sync client of openai 2.x and 3.x."""
        return _signing_auth(self)

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """``openai.OpenAI.copy``; the copy keeps this client's auth and trusted hosts."""
        return _copy(openai.OpenAI.copy, self, args, kwargs)

    with_options = copy


class AsyncOciOpenAI(openai.AsyncOpenAI):
    """An ``openai.AsyncOpenAI`` whose requests to OCI are signed by ``auth``; see :class:`OciOpenAI`."""

    _oci_openai_explicit = True

    def __init__(
        self,
        *,
        auth: OciAuth | None = None,
        base_url: str | None = None,
        region: str | None = None,
        api: str = "openai",
        compartment_id: str | None = None,
        conversation_store_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        base_url, kwargs = _resolve(auth, base_url, region, api, compartment_id, conversation_store_id, kwargs)
        super().__init__(**kwargs)
        _bind(self, auth, base_url)

    @property
    def custom_auth(self) -> Any:
        """The signing auth, asked for by openai before each request."""
        return _signing_auth(self)

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """``openai.AsyncOpenAI.copy``; the copy keeps this client's auth and trusted hosts."""
        return _copy(openai.AsyncOpenAI.copy, self, args, kwargs)

    with_options = copy


__all__ = ["AsyncOciOpenAI", "OciOpenAI", "oci_headers"]
