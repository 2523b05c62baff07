"""The httpx / httpx2 auth that signs OCI requests.

One object works in ``httpx.Client``, ``httpx.AsyncClient``, ``httpx2.Client`` and
``httpx2.AsyncClient``: its class derives from the ``Auth`` base of each library that is
installed, so both libraries' ``isinstance`` checks accept it (an httpx2 client refuses a
plain ``httpx.Auth``). Per request it: checks the host (a foreign host gets the request
untouched, or the auth it already had, minus the OCI-only headers), drops the caller's
``Authorization`` and ``X-Api-Key``, refuses a plain-http request that a proxy would carry,
signs the request as it will go on the wire, and on a 401 from the host it signed for
reloads the credentials once, re-signs with a fresh date and retries once.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
import types
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Mapping
from typing import Any

from ..credentials import (
    OBO_HEADER,
    ApiKeyCredentials,
    DelegationToken,
    KeySource,
    SessionCredentials,
    SigningKey,
    check_refresh_interval,
    instance_principal,
    redact_key_id,
    resource_principal,
    workload_identity,
)
from ..errors import ConfigurationError, OciOpenAIError
from ..logs import configure_logging
from ..oci_config import DEFAULT_CONFIG_FILE, DEFAULT_PROFILE
from ..signature.async_signing import async_rsa_sign
from ..signature.signing import (
    BASIC_HEADERS,
    BODY_HEADERS,
    STRIPPED_HEADERS,
    HeaderNames,
    PendingSignature,
    prepare_signature,
    rsa_sign,
    signed_header_policy,
)
from ..trust.hosts import HostPattern, HostPolicy
from ..trust.proxies import proxy_for
from . import inherited_connections
from .http_auth_base import HttpxAuthBase
from .model_deployments import Routed, parse_routing, route, routing_from_env
from .redirects import install as guard_redirects
from .request_errors import for_openai
from .request_headers import OCI_ONLY_HEADERS, PLACEHOLDER_API_KEY

logger = logging.getLogger("oci_openai_patch")
guard_redirects()
_PLACEHOLDER_AUTHORIZATION = f"Bearer {PLACEHOLDER_API_KEY}"

_KEPT_HEADERS = ("date", "content-type", "content-length", "x-content-sha256")


def _rewrite_model(request: Any, model_map: Mapping[str, str]) -> Any:
    """The request with its JSON ``model`` mapped (``OCI_OPENAI_MODEL_MAP``), or itself.

    An OCID as the model (a dedicated AI cluster endpoint) names one resource: it is never mapped.
    """
    if not model_map or "json" not in request.headers.get("content-type", ""):
        return request
    try:
        body = json.loads(request.content)
    except ValueError:
        return request
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, str) or model not in model_map or model.startswith("ocid1."):
        return request
    body["model"] = model_map[model]
    headers = request.headers.copy()
    headers.pop("content-length", None)
    content = json.dumps(body, separators=(",", ":")).encode()
    return type(request)(request.method, request.url, headers=headers, content=content, extensions=request.extensions)


#: The model-deployment changes already logged in this process (each is logged once).
_LOGGED_ROUTING: set[str] = set()


def _with_target(url: Any, target: bytes) -> Any:
    """``url`` with another raw path, same query. httpx's ``copy_with`` parses the whole URL
    again (21 us, four times the rest of the routing); both libraries keep the parsed URL as
    a named tuple whose path can be replaced as it is. Otherwise, ``copy_with``."""
    path, _, _query = target.partition(b"?")
    reference = getattr(url, "_uri_reference", None)
    if reference is not None and hasattr(reference, "_replace") and isinstance(getattr(reference, "path", None), str):
        copy = object.__new__(type(url))
        copy._uri_reference = reference._replace(path=path.decode("ascii"))
        if copy.raw_path == target:
            return copy
    return url.copy_with(raw_path=target)


def _route_deployment(request: Any, mode: str) -> None:
    """Send a model-deployment request to the endpoint ``mode`` names (:mod:`.model_deployments`),
    before it is signed: the path is part of the signature."""
    routed: Routed | None = route(request.url.raw_path, request.content, request.headers, mode)
    if routed is None:
        return
    request.url = _with_target(request.url, routed.target)
    for name, value in routed.headers:
        request.headers[name] = value
    if routed.change not in _LOGGED_ROUTING:
        _LOGGED_ROUTING.add(routed.change)
        how = (
            "streamed requests go to /<OCID>/predictWithResponseStream"
            if routed.change == "streaming endpoint"
            else "requests go to /<OCID>/predict or /predictWithResponseStream with route and enable-streaming headers"
        )
        logger.info(
            "model deployment: %s (deployment_routing=%s; OCI_OPENAI_DEPLOYMENT_ROUTING=off sends them as they are)",
            how,
            mode,
        )


_WATCHED_HEADERS = frozenset((*_KEPT_HEADERS, *STRIPPED_HEADERS, "host"))


@functools.lru_cache(maxsize=8)
def _watched_with(header_names: HeaderNames) -> frozenset[str]:
    """The headers to read off a request signed with other names than OCI's (computed once)."""
    return _WATCHED_HEADERS.union(*header_names)


def _strip_oci_headers(request: Any) -> None:
    """Remove what only an OCI host may see from a request bound elsewhere: the
    compartment and conversation-store headers, and the placeholder API key."""
    headers = request.headers
    for name in OCI_ONLY_HEADERS:
        if name in headers:
            del headers[name]
    if headers.get("authorization") == _PLACEHOLDER_AUTHORIZATION:
        del headers["authorization"]


def _origin(url: Any) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _prepare(
    request: Any, key: SigningKey, *, fresh_date: bool, header_names: HeaderNames | None = None
) -> PendingSignature:
    """Strip what must not travel with a signature and make the signing string."""
    headers = request.headers
    watched = _WATCHED_HEADERS if header_names is None else _watched_with(header_names)
    # One pass over the headers (each lookup in an httpx Headers is a scan of them all).
    present = {name: value for name, value in headers.items() if name in watched}
    for name in STRIPPED_HEADERS:
        if name in present:
            del headers[name]
            del present[name]
    if fresh_date and "date" in present:
        del headers["date"]
        del present["date"]
    host = present.pop("host", None) or request.url.netloc.decode("ascii")
    return prepare_signature(
        method=request.method,
        target=request.url.raw_path.decode("ascii"),
        host=host,
        headers=present,
        body=request.content,
        key_id=key.key_id,
        private_key=key.private_key,
        header_names=header_names,
    )


def _apply(request: Any, pending: PendingSignature, signature: bytes) -> None:
    headers = request.headers
    for name, value in pending.finish(signature).items():
        headers[name] = value
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "signed %s %s%s as %s",
            request.method,
            request.url.netloc.decode("ascii"),
            request.url.path,
            redact_key_id(pending.key_id),
        )


def _sign(request: Any, key: SigningKey, *, fresh_date: bool, header_names: HeaderNames | None = None) -> None:
    pending = _prepare(request, key, fresh_date=fresh_date, header_names=header_names)
    _apply(request, pending, rsa_sign(pending.private_key, pending.data))


async def _sign_async(
    request: Any, key: SigningKey, *, fresh_date: bool, header_names: HeaderNames | None = None
) -> None:
    """:func:`_sign`, with the RSA operation beside the event loop when that pays
    (:mod:`.async_signing`)."""
    pending = _prepare(request, key, fresh_date=fresh_date, header_names=header_names)
    _apply(request, pending, await async_rsa_sign(pending))


class OciAuth(HttpxAuthBase):  # type: ignore[misc]
    """Signs requests to OCI hosts with the keys of a :class:`CredentialsProvider`.

    ``hosts`` adds hosts to sign besides OCI's own service hosts (``host``,
    ``host:port`` or ``*.suffix``); ``delegate`` is an auth to apply to every other
    request (the caller's own, kept when the shim attaches itself to their client);
    ``deployment_routing`` (``path``, ``header`` or ``off``; else
    ``OCI_OPENAI_DEPLOYMENT_ROUTING``, else ``path``) says where model-deployment
    requests go (:mod:`.model_deployments`).
    """

    requires_request_body = True
    #: The header names signed, when not OCI's defaults (``generic_headers`` /
    #: ``body_headers`` of :class:`OciSessionAuth`).
    header_names: HeaderNames | None = None

    def __init__(
        self,
        credentials: KeySource,
        *,
        hosts: Iterable[str | HostPattern] = (),
        policy: HostPolicy | None = None,
        delegate: Any = None,
        retry_on_401: bool = True,
        model_map: Mapping[str, str] | None = None,
        deployment_routing: str | None = None,
    ) -> None:
        configure_logging()
        self.deployment_routing = (
            routing_from_env(os.environ)
            if deployment_routing is None
            else parse_routing(deployment_routing, source="deployment_routing")
        )
        self.credentials = credentials
        self.policy = (policy or HostPolicy()).with_hosts(hosts)
        self._verdicts: dict[tuple[str, str, int | None], bool] = {}
        self.delegate = delegate
        self.retry_on_401 = retry_on_401
        self.model_map = dict(model_map or {})
        #: The http client this view signs for, when known (a weak reference): its proxy
        #: configuration decides whether a plain-http request may be signed.
        self._http_client: Callable[[], Any] | None = None
        #: The caller's own client this auth last tracked for fork safety (a weak
        #: reference), so the same client is not added again on every request.
        self._tracked_client: Callable[[], Any] | None = None

    def trusting(self, hosts: Iterable[str | HostPattern]) -> OciAuth:
        """A view of this auth that also signs ``hosts``, sharing its credentials."""
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view.policy = self.policy.with_hosts(hosts)
        view._verdicts = {}
        return view

    def routing_deployments(self, mode: str) -> OciAuth:
        """A view of this auth that sends model-deployment requests as ``mode`` says."""
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view.deployment_routing = parse_routing(mode, source="deployment_routing")
        return view

    def for_http_client(self, http_client: Any, *, delegate: Any = None) -> OciAuth:
        """A view of this auth for one http client: ``delegate`` (that client's own auth)
        handles its foreign requests, and its proxies are consulted for plain http."""
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view._verdicts = {}
        view.delegate = delegate
        view._http_client = weakref.ref(http_client)
        inherited_connections.track(http_client)
        return view

    def _refuse_if_proxied(self, request: Any) -> None:
        """A plain-http request is signed only if it goes straight to its (loopback) host:
        a proxy would receive the signature, a reusable credential, in clear text."""
        if request.url.scheme != "http":
            return
        client = (self._http_client() if self._http_client is not None else None) or _sending_client()
        proxy = proxy_for(request.url, client)
        if proxy is not None:
            message = (
                f"refusing to sign http://{request.url.netloc.decode('ascii')}: the request would go through "
                f"{proxy} in clear text; add the host to NO_PROXY, or use https"
            )
            logger.info("%s", message)
            raise ConfigurationError(message)

    def signs(self, url: Any) -> bool:
        """Whether a request to ``url`` (an httpx/httpx2 URL) would be signed.

        Verdicts are remembered per (scheme, host, port): a client talks to few hosts,
        and the check is a tenth of the per-request overhead besides the signature.
        """
        origin = (url.scheme, url.host, url.port)
        verdict = self._verdicts.get(origin)
        if verdict is None:
            verdict = self.policy.allows(*origin)
            if len(self._verdicts) >= 256:
                self._verdicts.clear()
            self._verdicts[origin] = verdict
        return verdict

    def _foreign_auth(self, request: Any) -> Any:
        """The auth a foreign request gets: the caller's own, else what the client would
        have used with no auth set (``user:pass@`` in the URL means basic auth)."""
        if self.delegate is not None:
            return self.delegate
        url = request.url
        if url.username or url.password:
            library = sys.modules[type(request).__module__.partition(".")[0]]
            return library.BasicAuth(url.username, url.password)
        return None

    def sync_auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        if not self.signs(request.url):
            _strip_oci_headers(request)
            delegate = self._foreign_auth(request)
            if delegate is not None:
                yield from delegate.sync_auth_flow(request)
            else:
                yield request
            return
        try:
            yield from self._signed_sync_flow(request)
        except OciOpenAIError as error:
            raise for_openai(error) from error.__cause__

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        """The sync flow, for code that drives ``auth_flow`` itself (the older packages
        signed there); httpx and httpx2 call :meth:`sync_auth_flow` / :meth:`async_auth_flow`."""
        yield from self.sync_auth_flow(request)

    def _signed_sync_flow(self, request: Any) -> Generator[Any, Any, None]:
        self._track_sending_client()
        self._refuse_if_proxied(request)
        request.read()
        request = _rewrite_model(request, self.model_map)
        _route_deployment(request, self.deployment_routing)
        self._add_signed_headers(request)
        key = self.credentials.get()
        _sign(request, key, fresh_date=False, header_names=self.header_names)
        response = yield request
        if self._refused_by_signed_host(request, response):
            key = self.credentials.refresh(key, time.monotonic())
            _sign(request, key, fresh_date=True, header_names=self.header_names)
            yield request

    def _track_sending_client(self) -> None:
        """An auth set on the caller's own http client is never told which client it
        serves: found on the call stack, that client's pooled connections are
        dropped in a forked child (:mod:`.inherited_connections`). A view made for one
        client tracked it when it was made."""
        if self._http_client is None:
            client = _client_driving_the_flow()
            tracked = self._tracked_client
            if client is not None and (tracked is None or tracked() is not client):
                inherited_connections.track(client)
                self._tracked_client = weakref.ref(client)

    def _add_signed_headers(self, request: Any, *, on_loop: bool = False) -> None:
        """Set headers this principal adds to what it signs (none; the delegation token's
        ``opc-obo-token`` in :class:`OciDelegationTokenAuth`). ``on_loop``: the request is
        on an event loop, where no file may be read."""

    def _refused_by_signed_host(self, request: Any, response: Any) -> bool:
        """A 401 counts only from the origin that was signed for, not from a host a
        redirect led to (which must not be able to force a credential reload)."""
        if response.status_code != 401 or not self.retry_on_401:
            return False
        return _origin(response.request.url) == _origin(request.url)

    async def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]:
        if not self.signs(request.url):
            _strip_oci_headers(request)
            delegate = self._foreign_auth(request)
            if delegate is None:
                yield request
                return
            flow = delegate.async_auth_flow(request)
        else:
            flow = self._signed_async_flow(request)
        # An async generator cannot ``yield from``: relay the chosen flow by hand.
        try:
            next_request = await flow.__anext__()
            while True:
                response = yield next_request
                next_request = await flow.asend(response)
        except StopAsyncIteration:
            return
        except OciOpenAIError as error:
            raise for_openai(error) from error.__cause__
        finally:
            await flow.aclose()

    async def _signed_async_flow(self, request: Any) -> AsyncGenerator[Any, Any]:
        self._track_sending_client()
        self._refuse_if_proxied(request)
        await request.aread()
        request = _rewrite_model(request, self.model_map)
        _route_deployment(request, self.deployment_routing)
        self._add_signed_headers(request, on_loop=True)
        # One read decides: a fresh key is used as is, anything else (missing, due, or
        # a reload under way) is waited for in a worker thread, never on the loop.
        key = self.credentials.current()
        if key is None:
            key = await _in_thread(self.credentials.get)
        await _sign_async(request, key, fresh_date=False, header_names=self.header_names)
        response = yield request
        if self._refused_by_signed_host(request, response):
            key = await _in_thread(self.credentials.refresh, key, time.monotonic())
            await _sign_async(request, key, fresh_date=True, header_names=self.header_names)
            yield request


def _sending_client() -> Any:
    """The httpx / httpx2 client running this auth flow, found on the call stack.

    An auth set on a client (``httpx.Client(auth=...)``) is never told which client it
    serves, and that client's ``proxy=`` decides where a plain-http request goes. httpx
    and httpx2 drive the flow from their ``_send_handling_auth``, whose ``self`` is the
    client. Asked only for plain-http requests about to be signed (loopback test set-ups),
    so the walk costs nothing on the https path; if no client is found, the environment
    decides alone.
    """
    frame: types.FrameType | None = sys._getframe(1)
    for _ in range(16):  # wrappers (mutmut's, a tracer's) add frames between the flow and the client
        if frame is None:
            break
        client = _client_in(frame)
        if client is not None:
            return client
        frame = frame.f_back
    return None


def _client_in(frame: types.FrameType) -> Any:
    """The httpx / httpx2 client whose ``_send_handling_auth`` this frame runs, else None."""
    if frame.f_code.co_name != "_send_handling_auth":
        return None
    candidate = frame.f_locals.get("self")
    return candidate if hasattr(candidate, "_transport_for_url") else None


def _client_driving_the_flow() -> Any:
    """:func:`_sending_client` for :meth:`OciAuth._track_sending_client`, on every signed
    request: only the frame where httpx and httpx2 drive the flow from is looked at
    (``_send_handling_auth`` <- the auth flow <- the signed flow <- the tracking call), a
    tenth of a microsecond where the full walk costs 0.7."""
    try:
        return _client_in(sys._getframe(4))
    except ValueError:  # a flow driven by hand: no client
        return None


async def _in_thread(function: Any, *args: Any) -> Any:
    """Run blocking credential work (files, federation, key generation) off the event loop."""
    import anyio.to_thread

    return await anyio.to_thread.run_sync(function, *args)


def _env_hosts(hosts: Iterable[str] | None) -> tuple[HostPattern, ...]:
    from ..settings import extra_hosts_from_env

    return extra_hosts_from_env() + HostPolicy.from_hosts(hosts or ()).extra


def _config_file(config_file: str, profile_name: str) -> str:
    """``config_file``, refused early when it is evidently a profile name: oci-openai's
    order is ``(config_file, profile_name)``, and ours follows it."""
    path = os.path.expanduser(config_file)
    if not os.path.exists(path) and os.sep not in config_file and config_file.strip().isupper():
        raise ConfigurationError(
            f"config_file={config_file!r} looks like a profile name, not a file; the first argument is the "
            f"config file (as in oci-openai): pass profile_name={config_file!r}"
        )
    return config_file


class OciUserPrincipalAuth(OciAuth):
    """Signs with a user's API key from an OCI config profile (``~/.oci/config``).

    Arguments as in oci-openai: ``(config_file, profile_name, refresh_interval)``. An API
    key does not expire, so ``refresh_interval`` changes nothing; a 401 reloads the profile.
    """

    def __init__(
        self,
        config_file: str = DEFAULT_CONFIG_FILE,
        profile_name: str = DEFAULT_PROFILE,
        refresh_interval: float | None = None,
        *,
        hosts: Iterable[str] | None = None,
        deployment_routing: str | None = None,
    ) -> None:
        check_refresh_interval(refresh_interval)
        credentials = ApiKeyCredentials(profile_name, _config_file(config_file, profile_name))
        super().__init__(credentials, hosts=_env_hosts(hosts), deployment_routing=deployment_routing)


class OciSessionAuth(OciAuth):
    """Signs with a session token from ``oci session authenticate``.

    Arguments as in oci-openai: ``(config_file, profile_name, refresh_interval)``, and
    ``generic_headers`` / ``body_headers``, the header names signed on every request and
    added on requests with a body (the SDK signer's parameters of those names).
    """

    def __init__(
        self,
        config_file: str = DEFAULT_CONFIG_FILE,
        profile_name: str = DEFAULT_PROFILE,
        refresh_interval: float | None = None,
        *,
        hosts: Iterable[str] | None = None,
        deployment_routing: str | None = None,
        generic_headers: Iterable[str] | None = None,
        body_headers: Iterable[str] | None = None,
    ) -> None:
        max_age = check_refresh_interval(refresh_interval)
        header_names = signed_header_policy(generic_headers, body_headers)
        credentials = SessionCredentials(profile_name, _config_file(config_file, profile_name))
        credentials.max_age = max_age
        super().__init__(credentials, hosts=_env_hosts(hosts), deployment_routing=deployment_routing)
        self.header_names = header_names


class _TokenPrincipalAuth(OciAuth):
    """A security-token principal built by ``_principal`` from the SDK keyword arguments."""

    _principal: Callable[..., Any]

    def __init__(
        self,
        refresh_interval: float | None = None,
        *,
        hosts: Iterable[str] | None = None,
        deployment_routing: str | None = None,
        **kwargs: Any,
    ) -> None:
        max_age = check_refresh_interval(refresh_interval)
        credentials = type(self)._principal(**kwargs)
        credentials.max_age = max_age
        super().__init__(credentials, hosts=_env_hosts(hosts), deployment_routing=deployment_routing)


class OciInstancePrincipalAuth(_TokenPrincipalAuth):
    """Signs as the compute instance (instance principal); keyword arguments go to the SDK signer."""

    _principal = staticmethod(instance_principal)


class OciResourcePrincipalAuth(_TokenPrincipalAuth):
    """Signs as the resource (Functions, Data Science jobs and notebooks, ...)."""

    _principal = staticmethod(resource_principal)


class OciWorkloadIdentityAuth(_TokenPrincipalAuth):
    """Signs as an OKE workload (its Kubernetes service account)."""

    _principal = staticmethod(workload_identity)


class OciDelegationTokenAuth(OciAuth):
    """Signs as the instance on behalf of a user: OCI Cloud Shell's principal.

    The instance principal's federation, plus the user's delegation token in the signed
    ``opc-obo-token`` header, as the SDK's ``InstancePrincipalsDelegationTokenSigner`` does.
    The token comes from ``delegation_token``, else ``delegation_token_file``, else the
    profile's ``delegation_token_file`` (Cloud Shell writes one); a file is read again
    when it changes. Other keyword arguments go to the SDK signer.
    """

    def __init__(
        self,
        refresh_interval: float | None = None,
        *,
        profile_name: str | None = None,
        config_file: str | None = None,
        delegation_token: str | None = None,
        delegation_token_file: str | None = None,
        hosts: Iterable[str] | None = None,
        deployment_routing: str | None = None,
        **kwargs: Any,
    ) -> None:
        max_age = check_refresh_interval(refresh_interval)
        token = DelegationToken.find(delegation_token, delegation_token_file, profile_name, config_file)
        credentials = instance_principal(delegation_token=token, **kwargs)
        credentials.max_age = max_age
        super().__init__(credentials, hosts=_env_hosts(hosts), deployment_routing=deployment_routing)
        self.header_names = ((*BASIC_HEADERS, OBO_HEADER), BODY_HEADERS)
        self.delegation_token = token

    def _add_signed_headers(self, request: Any, *, on_loop: bool = False) -> None:
        token = self.delegation_token
        request.headers[OBO_HEADER] = token.on_loop() if on_loop else token.value()


#: oci-openai's name for the base auth class; every auth of this package is one.
HttpxOciAuth = OciAuth
