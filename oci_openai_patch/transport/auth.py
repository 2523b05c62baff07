"""The httpx / httpx2 auth that signs OCI requests: route, sign, retry once on a 401.

One object works in ``httpx.Client``, ``httpx.AsyncClient``, ``httpx2.Client`` and
``httpx2.AsyncClient``: its class derives from the ``Auth`` base of each library that is
installed, so both libraries' ``isinstance`` checks accept it (an httpx2 client refuses a
plain ``httpx.Auth``). Per request it routes (a foreign host gets the request untouched,
or the auth it already had, minus the OCI-only headers), signs the request as it will go
on the wire, and on a 401 from the host it signed for reloads the credentials once,
re-signs with a fresh date and retries once.

Sync and async share one flow, :meth:`OciAuth._signed_flow`, as httpx's own auths share
``auth_flow``: where the two differ (reading the body, loading credentials, the RSA
operation) the flow yields a step, which the sync driver runs inline and the async one
runs beside the event loop. The principal classes are in :mod:`.principals`; the header
rules in :mod:`.request_headers`; the changes made before signing in :mod:`.request_rewrite`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import types
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Mapping
from typing import Any

from ..credentials import KeySource
from ..errors import ConfigurationError, OciOpenAIError
from ..logs import configure_logging
from ..settings import parse_routing, routing_from_env
from ..signature.async_signing import async_rsa_sign
from ..signature.signing import HeaderNames, PendingSignature, rsa_sign
from ..trust.hosts import HostPattern, HostPolicy
from ..trust.proxies import proxy_for
from . import inherited_connections
from .http_auth_base import HttpxAuthBase
from .redirects import install as guard_redirects
from .request_errors import for_openai
from .request_headers import send_read_body_with_its_length, strip_oci_headers
from .request_rewrite import rewrite_model, route_deployment
from .signed_request import apply, prepare

logger = logging.getLogger("oci_openai_patch")
guard_redirects()


class _ReadBody:
    """A step of the signed flow: read the request body (``read()`` / ``aread()``)."""

    __slots__ = ("request",)

    def __init__(self, request: Any) -> None:
        self.request = request


class _Blocking:
    """A step of the signed flow: blocking credential work (files, federation, key
    generation), run inline by the sync driver and in a worker thread by the async one."""

    __slots__ = ("args", "function")

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        self.function = function
        self.args = args


#: What the signed flow yields besides requests: a step whose result is sent back.
_Step = (_ReadBody, _Blocking, PendingSignature)


def _origin(url: Any) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


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
    #: The HTTP stack whose requests this auth signs, for the log: ``openai`` (its clients,
    #: and any httpx client given this auth), else a zero-code route (:mod:`..shim.routes`).
    route = "openai"
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

    def for_route(self, route: str) -> OciAuth:
        """A view of this auth that names ``route`` in the log of what it signs."""
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view.route = route
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
            strip_oci_headers(request.headers)
            delegate = self._foreign_auth(request)
            if delegate is not None:
                yield from delegate.sync_auth_flow(request)
            else:
                yield request
            return
        flow = self._signed_flow(request, on_loop=False)
        try:
            step = next(flow)
            while True:
                if isinstance(step, _ReadBody):
                    result: Any = step.request.read()
                elif isinstance(step, _Blocking):
                    result = step.function(*step.args)
                elif isinstance(step, PendingSignature):
                    result = rsa_sign(step.private_key, step.data)
                else:
                    result = yield step
                step = flow.send(result)
        except StopIteration:
            return
        except OciOpenAIError as error:
            raise for_openai(error) from error.__cause__
        finally:
            flow.close()

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        """The sync flow, for code that drives ``auth_flow`` itself (the older packages
        signed there); httpx and httpx2 call :meth:`sync_auth_flow` / :meth:`async_auth_flow`."""
        yield from self.sync_auth_flow(request)

    def _signed_flow(self, request: Any, *, on_loop: bool) -> Generator[Any, Any, None]:
        """The one flow of a signed request, sync and async alike: it yields the request
        to send, or a step (:data:`_Step`) for its driver to run and answer."""
        self._track_sending_client()
        self._refuse_if_proxied(request)
        yield _ReadBody(request)
        send_read_body_with_its_length(request.headers)
        request = rewrite_model(request, self.model_map)
        route_deployment(request, self.deployment_routing)
        self._add_signed_headers(request, on_loop=on_loop)
        # One read decides: a fresh key is used as is, anything else (missing, due, or a
        # reload under way) is blocking work, which an async driver runs off the loop.
        key = self.credentials.current()
        if key is None:
            key = yield _Blocking(self.credentials.get)
        pending = prepare(request, key, fresh_date=False, header_names=self.header_names)
        apply(request, pending, (yield pending), route=self.route)
        response = yield request
        if self._refused_by_signed_host(request, response):
            key = yield _Blocking(self.credentials.refresh, key, time.monotonic())
            pending = prepare(request, key, fresh_date=True, header_names=self.header_names)
            apply(request, pending, (yield pending), route=self.route)
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
            strip_oci_headers(request.headers)
            delegate = self._foreign_auth(request)
            if delegate is None:
                yield request
                return
            # An async generator cannot ``yield from``: relay the delegate's flow by hand.
            relayed = delegate.async_auth_flow(request)
            try:
                next_request = await relayed.__anext__()
                while True:
                    response = yield next_request
                    next_request = await relayed.asend(response)
            except StopAsyncIteration:
                return
            finally:
                await relayed.aclose()
        flow = self._signed_flow(request, on_loop=True)
        try:
            step = next(flow)
            while True:
                if isinstance(step, _ReadBody):
                    result: Any = await step.request.aread()
                elif isinstance(step, _Blocking):
                    result = await _in_thread(step.function, *step.args)
                elif isinstance(step, PendingSignature):
                    result = await async_rsa_sign(step)
                else:
                    result = yield step
                step = flow.send(result)
        except StopIteration:
            return
        except OciOpenAIError as error:
            raise for_openai(error) from error.__cause__
        finally:
            flow.close()


def _sending_client() -> Any:  # pragma: no mutate block
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


def _client_driving_the_flow() -> Any:  # pragma: no mutate block
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


#: oci-openai's name for the base auth class; every auth of this package is one.
HttpxOciAuth = OciAuth
