"""``OciOpenAI`` and ``AsyncOciOpenAI``: the openai clients, signing with OCI IAM.

They are plain subclasses of ``openai.OpenAI`` / ``openai.AsyncOpenAI``: every openai
keyword argument works, and so does everything built on an openai client. The signing
auth is attached to the openai client itself (see :mod:`.client_signing`), not to its
http client: it covers ``copy()`` / ``with_options()`` (also with a new ``http_client``),
an http client replaced later, and an http client shared with other clients.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import warnings
from typing import Any

import openai

from ..credentials import principal_region
from ..errors import ConfigurationError
from ..settings import parse_ocid, resolve_project
from ..transport import websocket_guard
from ..transport.auth import OciAuth
from ..transport.request_headers import PLACEHOLDER_API_KEY, client_headers, oci_headers
from ..trust.hosts import API_PATHS, genai_plane, region_base_url, url_host_pattern
from ..trust.proxies import refuse_proxied_base_url
from .client_signing import ClientSigning, SignedClient, attach, signing_of

logger = logging.getLogger("oci_openai_patch")


def _environment_names_a_principal() -> bool:
    """``OCI_OPENAI_AUTH`` or ``OCI_CLI_AUTH`` is set: ``auth=None`` takes the principal it names."""
    from ..settings import requested_auth

    return requested_auth(os.environ) is not None


def _http_library_of(thing: Any) -> Any:
    """The module (httpx or httpx2) an http client or auth derives from (openai wraps its
    http client in a subclass of its own)."""
    for klass in type(thing).__mro__:
        top = klass.__module__.partition(".")[0]
        if top in ("httpx", "httpx2"):
            return sys.modules[top]
    return None


#: The older (pre-GA) arguments already warned about in this process: each warns once.
_WARNED: set[str] = set()


def _deprecated(argument: str) -> None:
    """One ``DeprecationWarning`` per process for an older data-plane argument, pointing at
    the line that built the client (``OciOpenAI.__init__`` -> ``_construct`` -> ``_resolve`` -> here)."""
    if argument in _WARNED:
        return
    _WARNED.add(argument)
    warnings.warn(
        f"{argument}= is the older form on the OCI Generative AI data plane; pass project= "
        "(a Generative AI Project OCID) instead",
        DeprecationWarning,
        stacklevel=5,
    )


def _deployment_base_url(model_deployment_id: str, region: str | None, auth: Any, api: str) -> str:
    """The base URL of a model deployment named by its OCID: in ``region``, else the region
    the OCID names, else the principal's."""
    from ..trust.deployments import deployment_url, ocid_region, parse_deployment_ocid

    source = "model_deployment_id="
    ocid = parse_deployment_ocid(model_deployment_id, source=source)
    if api != "openai":
        raise ConfigurationError(f"api={api!r} is a Generative AI API; a model deployment takes no api=")
    if region is None and ocid_region(ocid) is None and isinstance(auth, OciAuth):
        known = principal_region(auth.credentials)
        region = known[0] if known is not None else None
    return deployment_url(ocid, region, source=source, region_source="region=")


def _resolve(
    auth: Any,
    base_url: str | None,
    service_endpoint: str | None,
    region: str | None,
    api: str,
    compartment_id: str | None,
    conversation_store_id: str | None,
    kwargs: dict[str, Any],
    *,
    model_deployment_id: str | None = None,
    deployment_routing: str | None = None,
) -> tuple[Any, str, dict[str, Any]]:
    """The auth (``"auto"`` resolved), the base URL and openai's keyword arguments."""
    if deployment_routing is not None:
        from ..settings import parse_routing

        parse_routing(deployment_routing, source="deployment_routing")
    if model_deployment_id is not None and (base_url or service_endpoint):
        raise ConfigurationError(
            f"model_deployment_id= and {'base_url' if base_url else 'service_endpoint'}= both name the endpoint; "
            "pass one of them"
        )
    if auth == "auto":
        from ..transport.auto_auth import auth_from_environment

        auth = auth_from_environment()
    library = _http_library_of(auth)
    if auth is not None and not isinstance(auth, OciAuth) and not (library and isinstance(auth, library.Auth)):
        raise ConfigurationError(
            f"auth= must be an httpx or httpx2 Auth, such as OciSessionAuth(), not {type(auth).__name__}"
        )
    # As in oci-openai: base_url, else service_endpoint (+ the API path), else region.
    if base_url or service_endpoint:
        if region:
            logger.debug(
                "region=%r not used: %s= gives the endpoint", region, "base_url" if base_url else "service_endpoint"
            )
        if not base_url:
            assert service_endpoint is not None
            base_url = service_endpoint.rstrip(" /") + API_PATHS.get(api, API_PATHS["openai"])
    elif model_deployment_id is not None:
        base_url = _deployment_base_url(model_deployment_id, region, auth, api)
    elif region:
        base_url = region_base_url(region, api)
    elif isinstance(auth, OciAuth) and (known := principal_region(auth.credentials)) is not None:
        base_url = region_base_url(known[0], api)
        logger.info("endpoint %s: region %s from %s", base_url, known[0], known[1])
    else:
        raise ConfigurationError(
            "pass base_url= (the OCI endpoint), service_endpoint= (the service's URL without /openai/v1) "
            "or region= (such as us-chicago-1); the principal knows no region"
        )
    base_url = str(base_url)
    plane = genai_plane(base_url)
    if compartment_id is not None:
        compartment_id = parse_ocid(compartment_id, source="compartment_id=", what="the compartment OCID")
    if conversation_store_id is not None:
        conversation_store_id = parse_ocid(
            conversation_store_id, source="conversation_store_id=", what="the conversation store OCID"
        )
    # On Generative AI the project is checked (``project=``, else ``OPENAI_PROJECT_ID``); other
    # hosts (model deployments, private endpoints) get ``project=`` as the caller gave it.
    project = resolve_project(kwargs.get("project"), None)[0] if plane is not None else None
    if project is not None:
        kwargs["project"] = project
    kwargs["default_headers"] = client_headers(
        base_url,
        kwargs.pop("default_headers", None),
        compartment_id,
        conversation_store_id,
        project=project,
        missing_scope="OCI Generative AI needs a project: pass project= (a Generative AI Project OCID, "
        "ocid1.generativeaiproject.oc1..) or set OPENAI_PROJECT_ID; the older form is compartment_id=",
        missing_compartment="compartment_id= is required for the /20231130/actions/v1 API; "
        "pass the compartment OCID (ocid1.compartment.oc1..)",
    )
    if plane == "data":
        for argument, value in (("compartment_id", compartment_id), ("conversation_store_id", conversation_store_id)):
            if value is not None:
                _deprecated(argument)
    kwargs["base_url"] = base_url
    if kwargs.get("api_key") is None:
        kwargs["api_key"] = PLACEHOLDER_API_KEY
    return auth, base_url, kwargs


#: The signing of the client being copied, while ``copy()`` / ``with_options()`` builds the
#: copy: the copy signs with the same auth and trusts the same hosts, and a base URL given
#: there is not trusted, so ``with_options(base_url=<other host>)`` can never make it sign.
_COPYING: contextvars.ContextVar[ClientSigning | None] = contextvars.ContextVar("oci_openai_copying", default=None)


def _bind(client: Any, auth: Any, base_url: str, deployment_routing: str | None = None) -> None:
    parent = _COPYING.get()
    if auth is None and parent is not None:
        attach(client, parent.auth, as_is=parent.as_is, deployment_routing=parent.deployment_routing)
        return
    if auth is not None and not isinstance(auth, OciAuth):
        if deployment_routing is not None:
            raise ConfigurationError(
                f"deployment_routing= needs one of this package's auths; a {type(auth).__name__} signs as it is"
            )
        # Someone else's httpx auth (oci-openai took any): used as is, for every request.
        # The host guard is this package's auths' job; the README says so.
        library = _http_library_of(client._client)
        if library is not None and not isinstance(auth, library.Auth):
            raise ConfigurationError(
                f"auth= is a {getattr(_http_library_of(auth), '__name__', 'foreign')} auth, but this openai sends with "
                f"{library.__name__}; derive it from {library.__name__}.Auth (this package's auths fit both)"
            )
        attach(client, auth, as_is=True)
        return
    if auth is None:
        auth = getattr(client._client, "auth", None)
        if not isinstance(auth, OciAuth) and _environment_names_a_principal():
            from ..transport.auto_auth import auth_from_environment

            auth = auth_from_environment()
        if not isinstance(auth, OciAuth):
            raise ConfigurationError(
                "auth= is required: pass OciUserPrincipalAuth(), OciSessionAuth(), OciInstancePrincipalAuth(), "
                "OciResourcePrincipalAuth(), OciWorkloadIdentityAuth(), or 'auto' (from the environment)"
            )
    trusted = [] if parent is not None else [pattern for pattern in [url_host_pattern(base_url)] if pattern]
    view = auth.trusting(trusted)
    websocket_guard.install(view.policy)
    if deployment_routing is not None:
        view = view.routing_deployments(deployment_routing)
    attach(client, view, deployment_routing=deployment_routing)
    refuse_proxied_base_url(client, base_url)


def _construct(
    client: Any,
    openai_init: Any,
    auth: Any,
    base_url: str | None,
    service_endpoint: str | None,
    region: str | None,
    api: str,
    compartment_id: str | None,
    conversation_store_id: str | None,
    kwargs: dict[str, Any],
    model_deployment_id: str | None,
    deployment_routing: str | None,
) -> None:
    """The body of both constructors: resolve, run openai's own ``__init__``, attach the signing."""
    auth, base_url, kwargs = _resolve(
        auth,
        base_url,
        service_endpoint,
        region,
        api,
        compartment_id,
        conversation_store_id,
        kwargs,
        model_deployment_id=model_deployment_id,
        deployment_routing=deployment_routing,
    )
    openai_init(**kwargs)
    _bind(client, auth, base_url, deployment_routing)


def _copy(method: Any, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    token = _COPYING.set(signing_of(client))
    try:
        return method(client, *args, **kwargs)
    finally:
        _COPYING.reset(token)


class OciOpenAI(SignedClient, openai.OpenAI):
    """An ``openai.OpenAI`` whose requests to OCI are signed by ``auth``.

    Give ``base_url`` (a Generative AI or model-deployment endpoint, or a private
    endpoint: the host of an explicit ``base_url`` is trusted by this client's auth),
    ``service_endpoint`` (the service URL, to which ``/openai/v1`` is added) or
    ``region`` (its Generative AI data plane; ``api="control"`` for its control plane,
    where vector stores are managed, ``api="actions"`` for the ``/20231130/actions/v1``
    flavour); the first given wins, as in oci-openai. ``model_deployment_id`` (a Data
    Science model deployment OCID) stands for its base URL, in ``region`` or the region
    the OCID names; ``deployment_routing`` (``path``, ``header``, ``off``) says where
    its requests go (:mod:`.model_deployments`). The data plane needs ``project``
    (openai's own argument: a Generative AI Project OCID, else ``OPENAI_PROJECT_ID``) or,
    in the older form, ``compartment_id`` (which then warns once, as does
    ``conversation_store_id``); the control plane sends ``compartment_id`` as
    ``opc-compartment-id``. ``auth`` is one of this package's
    auths, or any httpx / httpx2 auth, which is then used as is on every request, or
    ``"auto"``: the principal the environment names or shows (:mod:`.auto_auth`);
    ``None`` takes the one ``OCI_OPENAI_AUTH`` or ``OCI_CLI_AUTH`` names.
    """

    _oci_openai_explicit = True

    def __init__(
        self,
        *,
        auth: Any = None,
        region: str | None = None,
        service_endpoint: str | None = None,
        base_url: str | None = None,
        api: str = "openai",
        compartment_id: str | None = None,
        conversation_store_id: str | None = None,
        model_deployment_id: str | None = None,
        deployment_routing: str | None = None,
        **kwargs: Any,
    ) -> None:
        _construct(
            self,
            super().__init__,
            auth,
            base_url,
            service_endpoint,
            region,
            api,
            compartment_id,
            conversation_store_id,
            kwargs,
            model_deployment_id,
            deployment_routing,
        )

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """``openai.OpenAI.copy``; the copy keeps this client's auth and trusted hosts."""
        return _copy(openai.OpenAI.copy, self, args, kwargs)

    with_options = copy


class AsyncOciOpenAI(SignedClient, openai.AsyncOpenAI):
    """An ``openai.AsyncOpenAI`` whose requests to OCI are signed by ``auth``; see :class:`OciOpenAI`."""

    _oci_openai_explicit = True

    def __init__(
        self,
        *,
        auth: Any = None,
        region: str | None = None,
        service_endpoint: str | None = None,
        base_url: str | None = None,
        api: str = "openai",
        compartment_id: str | None = None,
        conversation_store_id: str | None = None,
        model_deployment_id: str | None = None,
        deployment_routing: str | None = None,
        **kwargs: Any,
    ) -> None:
        _construct(
            self,
            super().__init__,
            auth,
            base_url,
            service_endpoint,
            region,
            api,
            compartment_id,
            conversation_store_id,
            kwargs,
            model_deployment_id,
            deployment_routing,
        )

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """``openai.AsyncOpenAI.copy``; the copy keeps this client's auth and trusted hosts."""
        return _copy(openai.AsyncOpenAI.copy, self, args, kwargs)

    with_options = copy


__all__ = ["AsyncOciOpenAI", "OciOpenAI", "oci_headers"]
