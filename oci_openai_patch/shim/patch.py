"""Zero-code signing: wrap ``openai.OpenAI`` / ``openai.AsyncOpenAI`` construction.

:func:`patch` wraps both ``__init__`` methods with wrapt, which reaches their subclasses
(the module-level client), names bound early with ``from openai import OpenAI``, and the
clients ``copy()`` / ``with_options()`` build. A client whose base URL is an OCI host (or
an extra host the user named) gets a placeholder API key if none resolves and the
compartment headers. Azure clients, openai providers and our own ``OciOpenAI`` are
never touched.

Signing is attached to the openai client (see :mod:`.client_signing`), so it survives a
replaced http client and never changes the caller's. Every client the shim sees gets
it: a client built for another host still has its requests to an OCI host signed (fail
closed), and only those; its other requests keep their own key and auth.

A configuration error is raised, as one clear line naming the variable, by every openai
client built while it stands: never an unsigned client instead. openai's own
constructor runs exactly once, and its exceptions pass through unchanged.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigurationError
from ..logs import configure_logging
from ..openai_clients.client_signing import ATTRIBUTE, attach
from ..process_locks import ProcessLock
from ..settings import Settings, load_settings
from ..transport.request_headers import PLACEHOLDER_API_KEY, client_headers, is_not_given
from ..trust.hosts import HostPolicy, configured_hosts
from ..trust.proxies import refuse_proxied_base_url

logger = logging.getLogger("oci_openai_patch")

_TARGETS = ("OpenAI", "AsyncOpenAI")
_COPY_METHODS = ("copy", "with_options")


@dataclass
class _PatchState:
    """What the wrappers need: how to get the auth, which headers and hosts apply."""

    auth_factory: Callable[[], Any]
    policy: HostPolicy
    compartment_id: str | None = None
    conversation_store_id: str | None = None
    project_id: str | None = None
    region_base_url: str | None = None
    model_map: dict[str, str] = field(default_factory=dict)
    #: ``patch(deployment_routing=)``; None: each auth's own (``OCI_OPENAI_DEPLOYMENT_ROUTING``).
    deployment_routing: str | None = None
    error: ConfigurationError | None = None
    _auth: Any = None
    _guard: Any = None
    _principal_base_url: str | None = None
    _lock: ProcessLock = field(default_factory=lambda: ProcessLock("zero-code auth"))
    #: The routes past the openai client (:mod:`.routes`): their host verdicts, their auths.
    route_verdicts: dict[tuple[str, str, int | None], bool] = field(default_factory=dict)
    _route_auths: dict[str, Any] = field(default_factory=dict)
    #: Built from the environment for a route, before any ``patch()``: ``patch()`` with no
    #: arguments takes it over rather than building a second one.
    from_environment: bool = False
    #: ``OCI_OPENAI_DISABLED_ROUTES``: the routes past the openai client left alone.
    disabled_routes: frozenset[str] = frozenset()

    def route_auth(self, route: str) -> Any:
        """The auth that signs ``route``'s requests (the guard's, naming the route)."""
        auth = self._route_auths.get(route)
        if auth is None:
            auth = self._route_auths[route] = self.guard_auth().for_route(route)
        return auth

    def principal_base_url(self) -> str | None:
        """The Generative AI endpoint of the region the principal knows (its profile's
        ``region``, the platform's variable, instance metadata), for a client given no
        endpoint at all; found once (loading the credentials, each fetch bounded by
        ``OCI_OPENAI_AUTH_TIMEOUT``)."""
        if self._principal_base_url is None:
            from ..credentials import principal_region
            from ..trust.hosts import region_base_url

            found = principal_region(self.auth().credentials)
            url = region_base_url(found[0]) if found else ""
            if found:
                logger.info("oci_openai_patch: no base URL given; region %s from %s: %s", found[0], found[1], url)
            self._principal_base_url = url
        return self._principal_base_url or None

    def auth(self) -> Any:
        """The auth, built on first use (so ``oci`` is imported only for the first OCI client)."""
        if self.error is not None:
            raise self.error
        with self._lock:
            if self._auth is None:
                # A view, so an auth the caller passed to patch() is not changed.
                auth = self.auth_factory().trusting(self.policy.extra)
                if self.deployment_routing is not None:
                    auth = auth.routing_deployments(self.deployment_routing)
                if self.model_map:
                    auth.model_map = dict(self.model_map)
                self._auth = auth
            return self._auth

    def guard_auth(self) -> Any:
        """The auth of a client whose base URL is not OCI: it signs only a request that
        goes to an OCI host after all, and loads credentials only then."""
        if self._guard is None:
            from ..transport.auth import OciAuth

            self._guard = OciAuth(
                _DeferredCredentials(self),
                policy=self.policy,
                model_map=self.model_map,
                deployment_routing=self.deployment_routing,
            )
        return self._guard


class _DeferredCredentials:
    """The shim's credentials as seen by a non-OCI client: built on its first OCI request."""

    kind = "deferred"

    def __init__(self, state: _PatchState) -> None:
        self._state = state

    def _real(self) -> Any:
        return self._state.auth().credentials

    def get(self) -> Any:
        return self._real().get()

    def current(self) -> Any:
        # Building the credentials may read files or federate: leave that to get(),
        # which an async client calls in a worker thread.
        auth = self._state._auth
        return auth.credentials.current() if auth is not None else None

    def refresh(self, seen: Any, refused_at: float | None = None) -> Any:
        return self._real().refresh(seen, refused_at)


_state: _PatchState | None = None
_state_lock = ProcessLock("zero-code state")


def active_state() -> _PatchState | None:
    """The shim's state, for the routes past the openai client: ``patch()``'s, else, when
    the shim was switched on at start-up and openai is not (yet) imported, one built from
    the environment (a configuration error is kept in it, and refuses every OCI request)."""
    global _state
    state = _state
    if state is not None:
        return state
    from . import bootstrap

    if not bootstrap.routes_from_environment:
        return None
    with _state_lock:
        if _state is None and bootstrap.routes_from_environment:
            _state = _state_or_error(None, None, None, None, None, None, None, None, None, defer=True)
            _state.from_environment = True
        return _state


def _skip_reason(instance: Any, kwargs: Mapping[str, Any]) -> str | None:
    """Why a client is none of the shim's business, or None if it is."""
    import openai

    if getattr(type(instance), "_oci_openai_explicit", False):
        return "an OciOpenAI client signs by itself"
    if isinstance(instance, (openai.AzureOpenAI, openai.AsyncAzureOpenAI)):
        return "Azure"
    for argument in _CALLERS_OWN_ENDPOINT:
        if kwargs.get(argument) is not None:
            return f"the caller chose its endpoint and credentials with {argument}="
    return None


#: openai's own ways for a caller to choose where a client goes and how it authenticates
#: (openai 3): a client given one is left alone, as an Azure client is.
_CALLERS_OWN_ENDPOINT = ("provider", "workload_identity", "data_residency")

#: Where the shim keeps, in a client's ``__dict__``, the base URL it chose for it (the
#: caller gave none): a copy of that client does not inherit it as the caller's choice.
INJECTED_BASE_URL = "_oci_openai_injected_base_url"

#: The client being copied and whether the caller gave ``base_url=`` to the copy, while
#: ``copy()`` / ``with_options()`` builds the copy.
_COPYING: contextvars.ContextVar[tuple[Any, bool] | None] = contextvars.ContextVar(
    "oci_openai_patch_copying", default=None
)


def _copy_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    token = _COPYING.set((instance, kwargs.get("base_url") is not None))
    try:
        return wrapped(*args, **kwargs)
    finally:
        _COPYING.reset(token)


def _forget_inherited_injection(kwargs: dict[str, Any]) -> None:
    """In a copy, a base URL that openai carries over from the original is the caller's
    choice only if the caller gave it. One the shim injected is dropped, so the copy is
    decided as a new client: onto a workload identity, a provider or a data residency it
    goes where openai sends those; onto another key it is injected again."""
    copying = _COPYING.get()
    if copying is None:
        return
    source, caller_gave_base_url = copying
    injected = vars(source).get(INJECTED_BASE_URL)
    if injected and not caller_gave_base_url and str(kwargs.get("base_url") or "") == injected:
        del kwargs["base_url"]


def _resolve_base_url(state: _PatchState, kwargs: dict[str, Any]) -> tuple[str | None, bool]:
    """The client's base URL, and whether the shim chose it: the caller's (``base_url=``,
    ``OPENAI_BASE_URL``), else the one the shim injects into ``kwargs`` (the configured
    region's, the principal's)."""
    base_url = kwargs.get("base_url")
    if base_url is not None and not is_not_given(base_url):
        return str(base_url), False
    from_env = os.environ.get("OPENAI_BASE_URL")
    if from_env:
        return from_env, False
    injected = state.region_base_url or state.principal_base_url()
    if injected:
        kwargs["base_url"] = injected
    return injected, bool(injected)


def _project_for(state: _PatchState, base_url: str, plane: str | None, kwargs: dict[str, Any]) -> str | None:
    """The project an OCI-bound client sends (:func:`.settings.resolve_project`). A private
    or local endpoint trusted through ``OCI_OPENAI_HOSTS`` gets the configured project like
    the data plane, unless the caller chose one; a model deployment's own host gets none."""
    from ..settings import resolve_project
    from ..trust.hosts import is_oci_service_host

    given = kwargs.get("project")
    if plane is not None:
        project, source = resolve_project(given, state.project_id)
        if source != "project=" and given is not None and not is_not_given(given):
            logger.info("project= is not a Generative AI Project OCID; %s is sent to OCI instead", source)
        return project
    if (given is not None and not is_not_given(given)) or is_oci_service_host(urlsplit(base_url).hostname or ""):
        return None
    return state.project_id


#: The older settings already logged as such in this process (each is logged once).
_LOGGED_OLDER_FORMS: set[str] = set()


def _prepare_kwargs(state: _PatchState, base_url: str, kwargs: dict[str, Any]) -> None:
    from ..trust.hosts import genai_plane

    if kwargs.get("api_key") is None and not os.environ.get("OPENAI_API_KEY"):
        kwargs["api_key"] = PLACEHOLDER_API_KEY
    plane = genai_plane(base_url)
    project = _project_for(state, base_url, plane, kwargs)
    if project is not None:
        kwargs["project"] = project
    # With a project, the data plane is scoped by it: the compartment is the control plane's.
    compartment = None if plane == "data" and project is not None else state.compartment_id
    headers = client_headers(
        base_url,
        kwargs.get("default_headers"),
        compartment,
        state.conversation_store_id,
        project=project,
        missing_scope="OCI_OPENAI_PROJECT_ID is not set; the OCI Generative AI data plane needs a Generative AI "
        "Project OCID: export OCI_OPENAI_PROJECT_ID=ocid1.generativeaiproject.oc1.<region>.<id> "
        "(the older form: OCI_OPENAI_COMPARTMENT_ID)",
        missing_compartment="OCI_OPENAI_COMPARTMENT_ID is not set; the /20231130/actions/v1 API needs the compartment "
        "OCID (ocid1.compartment.oc1..): export OCI_OPENAI_COMPARTMENT_ID=<compartment OCID>",
    )
    if plane == "data":
        for name, value in (("compartment", compartment), ("conversation store", state.conversation_store_id)):
            if value is not None and name not in _LOGGED_OLDER_FORMS:
                _LOGGED_OLDER_FORMS.add(name)
                logger.info(
                    "oci_openai_patch: the %s scopes the Generative AI data plane in the older form; "
                    "set OCI_OPENAI_PROJECT_ID to a Generative AI Project OCID",
                    name,
                )
    if headers:
        kwargs["default_headers"] = headers


def _host(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2] or url


def _init_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Runs openai's constructor exactly once; decides before it, attaches after it."""
    state = _state
    if state is None or args:
        return wrapped(*args, **kwargs)
    if state.error is not None:
        # A broken OCI_OPENAI_* variable must never yield a quietly unsigned client.
        raise state.error
    name = type(instance).__name__
    _forget_inherited_injection(kwargs)
    reason = _skip_reason(instance, kwargs)
    if reason is not None:
        vars(instance).setdefault(ATTRIBUTE, False)  # decided: a later patch() does not adopt it
        logger.debug("%s left alone: %s", name, reason)
        return wrapped(*args, **kwargs)
    base_url, injected = _resolve_base_url(state, kwargs)
    oci_bound = base_url is not None and state.policy.allows_url(base_url)
    own = getattr(kwargs.get("http_client"), "auth", None)
    if own is not None:
        from ..transport.auth import OciAuth

        own = own if isinstance(own, OciAuth) else None
    if oci_bound:
        _prepare_kwargs(state, base_url, kwargs)  # type: ignore[arg-type]
        auth = state.auth()
    else:
        auth = state.guard_auth()
    result = wrapped(*args, **kwargs)
    attach(instance, auth)
    if injected:
        vars(instance)[INJECTED_BASE_URL] = str(instance.base_url)
    if oci_bound:
        refuse_proxied_base_url(instance, base_url)  # type: ignore[arg-type]
        if own is not None:
            logger.info("%s for %s: signed by the caller's own %s", name, _host(base_url), type(own).__name__)  # type: ignore[arg-type]
        else:
            logger.info("%s for %s: signed with %s", name, _host(base_url), type(auth).__name__)  # type: ignore[arg-type]
    else:
        logger.debug(
            "%s for %s: not an OCI host; requests are signed only if they go to one",
            name,
            _host(base_url) if base_url else "the default OpenAI endpoint",
        )
    return result


def _module_client_api_key() -> None:
    # ``openai.chat...`` builds a module-level client from module globals; it needs a key.
    import openai

    if openai.api_key is None and not os.environ.get("OPENAI_API_KEY"):
        openai.api_key = PLACEHOLDER_API_KEY


def _is_patched(cls: Any) -> bool:
    # wrapt keeps ``_self_*`` attributes on the wrapper itself, not on the wrapped function.
    return bool(getattr(cls.__dict__.get("__init__"), "_self_oci_openai_patch", False))


def patch(
    auth: Any = None,
    compartment_id: str | None = None,
    *,
    conversation_store_id: str | None = None,
    project_id: str | None = None,
    hosts: Iterable[str] | None = None,
    region: str | None = None,
    model_map: Mapping[str, str] | None = None,
    model_deployment_id: str | None = None,
    deployment_routing: str | None = None,
    _defer_errors: bool = False,
    _adopt_existing: bool = True,
) -> None:
    """Make every ``openai.OpenAI`` / ``AsyncOpenAI`` built for an OCI host sign its requests.

    With no arguments everything comes from the environment (``OCI_OPENAI_AUTH`` and the
    rest of the contract); arguments override it (``model_deployment_id`` and
    ``deployment_routing`` stand for ``OCI_OPENAI_MODEL_DEPLOYMENT_ID`` and
    ``OCI_OPENAI_DEPLOYMENT_ROUTING``). Calling it again updates the configuration
    without wrapping twice.
    """
    global _state
    import openai
    import wrapt

    arguments = (
        auth,
        compartment_id,
        conversation_store_id,
        project_id,
        hosts,
        region,
        model_map,
        model_deployment_id,
        deployment_routing,
    )
    with _state_lock:
        previous = _state
        if previous is not None and previous.from_environment and all(a is None for a in arguments):
            previous.from_environment = False  # the routes' state, taken over as it is
            state = previous
        else:
            state = _state = _state_or_error(*arguments, defer=_defer_errors)
    from . import routes

    routes.install(state.disabled_routes)
    from ..transport import websocket_guard

    websocket_guard.install(state.policy)
    for name in _TARGETS:
        cls = getattr(openai, name)
        if not _is_patched(cls):
            wrapper = wrapt.FunctionWrapper(cls.__dict__["__init__"], _init_wrapper)
            wrapper._self_oci_openai_patch = True  # type: ignore[attr-defined]
            cls.__init__ = wrapper
            for method in _COPY_METHODS:  # ``with_options = copy``: two names, both wrapped
                if method in cls.__dict__:
                    setattr(cls, method, wrapt.FunctionWrapper(cls.__dict__[method], _copy_wrapper))
    if _adopt_existing:
        _adopt_existing_clients(openai)
    _module_client_api_key()


def _adopt_existing_clients(openai: Any) -> None:
    """Give the guard to the openai clients built before :func:`patch` (openai imported
    and used before the shim was switched on): their requests to an OCI host are then
    signed too (fail closed), and only those. A client the shim already decided on (one
    it signs, one it left alone) keeps that decision. One walk of the heap, made only
    when ``patch()`` is called with openai already in use."""
    import gc

    state = _state
    if state is None or state.error is not None:
        return
    classes = (openai.OpenAI, openai.AsyncOpenAI)
    for thing in gc.get_objects():
        if isinstance(thing, classes) and ATTRIBUTE not in vars(thing) and _skip_reason(thing, {}) is None:
            attach(thing, state.guard_auth())


def _state_or_error(*arguments: Any, defer: bool) -> _PatchState:
    """The state for these ``patch()`` arguments; with ``defer``, a configuration error
    is logged and kept in the state (raised by every OCI-bound client and request)."""
    try:
        configure_logging()
        return _build_state(*arguments)
    except ConfigurationError as error:
        if not defer:
            raise
        logger.error("oci_openai_patch: %s", error)
        return _PatchState(auth_factory=lambda: None, policy=HostPolicy(extra=_readable_hosts()), error=error)


def _readable_hosts() -> tuple[Any, ...]:
    """The entries of ``OCI_OPENAI_HOSTS`` that parse, for a state that holds an error: the
    routes refuse requests to them (and to OCI's hosts) and leave every other host alone."""
    from ..trust.hosts import OCI_OPENAI_HOSTS, HostPattern

    readable = []
    for item in os.environ.get(OCI_OPENAI_HOSTS, "").split(","):
        if not item.strip():
            continue
        try:
            readable.append(HostPattern.parse(item, source=OCI_OPENAI_HOSTS))
        except ConfigurationError:
            continue
    return tuple(readable)


def _log_switched_on(auth: Any, settings: Settings | None) -> None:
    if settings is None:
        logger.info("oci_openai_patch: on (auth %s, given to patch())", type(auth).__name__)
        return
    profile = f", profile {settings.profile}" if settings.auth_kind in ("user_principal", "session") else ""
    logger.info("oci_openai_patch: on (auth %s%s)", settings.auth_kind, profile)


def _build_state(
    auth: Any,
    compartment_id: str | None,
    conversation_store_id: str | None,
    project_id: str | None,
    hosts: Iterable[str] | None,
    region: str | None,
    model_map: Mapping[str, str] | None,
    model_deployment_id: str | None = None,
    deployment_routing: str | None = None,
) -> _PatchState:
    settings = load_settings() if auth is None else None
    # hosts= replaces OCI_OPENAI_HOSTS (hosts=(): no extra host), as every argument here
    # overrides its variable; the principal built from the settings trusts none of its own.
    policy = HostPolicy(extra=configured_hosts(hosts))

    def factory() -> Any:
        if auth is not None:
            return auth
        from ..transport.principals import auth_from_settings

        return auth_from_settings(settings, hosts=())  # type: ignore[arg-type]

    from ..settings import parse_compartment, parse_project, parse_routing
    from ..trust.deployments import deployment_url, parse_deployment_ocid
    from ..trust.hosts import region_base_url

    chosen_region = region or (settings.region if settings else None)
    deployment = (
        parse_deployment_ocid(model_deployment_id, source="model_deployment_id")
        if model_deployment_id
        else (settings.model_deployment_id if settings else None)
    )
    if deployment is not None:
        default_base_url: str | None = deployment_url(
            deployment,
            chosen_region,
            source="model_deployment_id" if model_deployment_id else "OCI_OPENAI_MODEL_DEPLOYMENT_ID",
            region_source="region" if region else "OCI_OPENAI_REGION",
        )
    else:
        default_base_url = region_base_url(chosen_region) if chosen_region else None
    compartment = compartment_id or (settings.compartment_id if settings else None)
    from ..settings import disabled_routes_from_env

    state = _PatchState(
        disabled_routes=settings.disabled_routes if settings else disabled_routes_from_env(),
        auth_factory=factory,
        policy=policy,
        compartment_id=parse_compartment(compartment, source="compartment_id") if compartment else None,
        conversation_store_id=conversation_store_id or (settings.conversation_store_id if settings else None),
        project_id=parse_project(project_id, source="project_id")
        if project_id
        else (settings.project_id if settings else None),
        region_base_url=default_base_url,
        model_map=dict(model_map) if model_map is not None else (settings.model_map if settings else {}),
        deployment_routing=parse_routing(deployment_routing, source="deployment_routing")
        if deployment_routing is not None
        else None,
    )
    _log_switched_on(auth, settings)  # the settings just read: the environment is parsed once
    return state


def unpatch() -> None:
    """Undo :func:`patch` on openai: its constructors and ``copy()`` / ``with_options()``
    are its own again, and clients built from now on are openai's alone. Clients already
    built keep signing (each is an instance of its signing subclass, :mod:`.client_signing`),
    so the guards that protect them (redirects, websockets) stay."""
    global _state
    _state = None
    from . import bootstrap

    bootstrap.routes_from_environment = False
    openai = sys.modules.get("openai")
    if openai is None:
        return
    import wrapt

    for name in _TARGETS:
        cls = getattr(openai, name)
        if _is_patched(cls):
            cls.__init__ = cls.__dict__["__init__"].__wrapped__
            for method in _COPY_METHODS:
                if isinstance(cls.__dict__.get(method), wrapt.FunctionWrapper):
                    setattr(cls, method, cls.__dict__[method].__wrapped__)
    if getattr(openai, "api_key", None) == PLACEHOLDER_API_KEY:
        setattr(openai, "api_key", None)  # noqa: B010 - a module attribute mypy does not see


def is_patched() -> bool:
    openai = sys.modules.get("openai")
    return openai is not None and _state is not None and all(_is_patched(getattr(openai, n)) for n in _TARGETS)


@contextlib.contextmanager
def patched(*args: Any, **kwargs: Any) -> Iterator[None]:
    """``patch(...)`` for the duration of a ``with`` block (for tests)."""
    global _state
    previous = _state
    was_patched = is_patched()
    patch(*args, **kwargs)
    try:
        yield
    finally:
        if was_patched:
            _state = previous
        else:
            unpatch()
