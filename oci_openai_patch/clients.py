"""``OciOpenAI`` and ``AsyncOciOpenAI``: the openai clients, signing with OCI IAM.

They are plain subclasses of ``openai.OpenAI`` / ``openai.AsyncOpenAI``: every openai
keyword argument works, and so does everything built on an openai client. The signing
auth is attached to the client's own http client (whichever library openai uses: httpx2
on openai 3, httpx before), so it also covers ``copy()`` and ``with_options()``, which
reuse that http client.
"""

from __future__ import annotations

import contextvars
from typing import Any

import openai

from .attach import attach_auth
from .auth import OciAuth
from .errors import ConfigurationError
from .hosts import region_base_url
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


#: Set while ``copy()`` / ``with_options()`` builds a client: a base URL given there is not
#: trusted, so ``with_options(base_url=<other host>)`` can never make a client sign it.
_COPYING: contextvars.ContextVar[bool] = contextvars.ContextVar("oci_openai_copying", default=False)


def _bind(client: Any, auth: OciAuth | None, base_url: str) -> None:
    attach_auth(client._client, auth, trusted_urls=[] if _COPYING.get() else [base_url])


def _copy(method: Any, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    token = _COPYING.set(True)
    try:
        return method(client, *args, **kwargs)
    finally:
        _COPYING.reset(token)


class OciOpenAI(openai.OpenAI):
    """An ``openai.OpenAI`` whose requests to OCI are signed by ``auth``.

    Give ``base_url`` (a Generative AI or model-deployment endpoint, or a private
    endpoint: the host of an explicit ``base_url`` is trusted by this client's auth) or
    ``region`` (its Generative AI endpoint; ``api="actions"`` for the
    ``/20231130/actions/v1`` flavour). ``compartment_id`` is required by Generative AI.
    """

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

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """``openai.OpenAI.copy``; the copy keeps this client's auth and trusted hosts."""
        return _copy(openai.OpenAI.copy, self, args, kwargs)

    with_options = copy


class AsyncOciOpenAI(openai.AsyncOpenAI):
    """An ``openai.AsyncOpenAI`` whose requests to OCI are signed by ``auth``; see :class:`OciOpenAI`."""

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

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """``openai.AsyncOpenAI.copy``; the copy keeps this client's auth and trusted hosts."""
        return _copy(openai.AsyncOpenAI.copy, self, args, kwargs)

    with_options = copy


__all__ = ["AsyncOciOpenAI", "OciOpenAI", "oci_headers"]
