"""Zero-code signing: wrap ``openai.OpenAI`` / ``openai.AsyncOpenAI`` construction.

:func:`patch` wraps both ``__init__`` methods with wrapt, which reaches their subclasses
(the module-level client), names bound early with ``from openai import OpenAI``, and the
clients ``copy()`` / ``with_options()`` build. A client whose base URL is an OCI host (or
an extra host the user named) gets the signing auth on its http client, a placeholder
API key if none resolves, and the compartment headers; any other client is left exactly
as it was. Provider subclasses (Azure, our own ``OciOpenAI``) are never touched.

A configuration error surfaces when an OCI client is built, as one clear line; an
internal failure while deciding about a non-OCI client is logged and that client is
built unpatched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigurationError, OciOpenAIError
from .hosts import HostPolicy, parse_host_list
from .request_headers import PLACEHOLDER_API_KEY, client_headers
from .settings import Settings, load_settings

logger = logging.getLogger("oci_openai_patch")

_TARGETS = ("OpenAI", "AsyncOpenAI")


@dataclass
class _PatchState:
    """What the wrappers need: how to get the auth, which headers and hosts apply."""

    auth_factory: Callable[[], Any]
    policy: HostPolicy
    compartment_id: str | None = None
    conversation_store_id: str | None = None
    region_base_url: str | None = None
    model_map: dict[str, str] = field(default_factory=dict)
    error: ConfigurationError | None = None
    _auth: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def auth(self) -> Any:
        """The auth, built on first use (so ``oci`` is imported only for the first OCI client)."""
        if self.error is not None:
            raise self.error
        with self._lock:
            if self._auth is None:
                # A view, so an auth the caller passed to patch() is not changed.
                auth = self.auth_factory().trusting(self.policy.extra)
                if self.model_map:
                    auth.model_map = dict(self.model_map)
                self._auth = auth
            return self._auth


_state: _PatchState | None = None


def auth_from_settings(settings: Settings) -> Any:
    """Build the auth object ``OCI_OPENAI_AUTH`` asks for."""
    from . import auth as auth_module

    kind = settings.auth_kind
    if kind == "user_principal":
        return auth_module.OciUserPrincipalAuth(settings.profile, settings.config_file, hosts=())
    if kind == "session":
        return auth_module.OciSessionAuth(settings.profile, settings.config_file, hosts=())
    # The federation endpoint, service-account token path and token timeout are read
    # from the environment by the credentials themselves (the explicit classes do too).
    if kind == "instance_principal":
        return auth_module.OciInstancePrincipalAuth(hosts=())
    if kind == "resource_principal":
        return auth_module.OciResourcePrincipalAuth(hosts=())
    if kind == "workload_identity":
        return auth_module.OciWorkloadIdentityAuth(hosts=())
    raise ConfigurationError(f"OCI_OPENAI_AUTH={kind!r} is not an auth kind")  # pragma: no cover


def _is_skipped(instance: Any) -> bool:
    import openai

    from .clients import AsyncOciOpenAI, OciOpenAI

    skipped = (OciOpenAI, AsyncOciOpenAI, openai.AzureOpenAI, openai.AsyncAzureOpenAI)
    return isinstance(instance, skipped)


def _resolve_base_url(state: _PatchState, kwargs: dict[str, Any]) -> str | None:
    base_url = kwargs.get("base_url")
    if base_url is not None and not _is_not_given(base_url):
        return str(base_url)
    from_env = os.environ.get("OPENAI_BASE_URL")
    if from_env:
        return from_env
    if state.region_base_url:
        kwargs["base_url"] = state.region_base_url
        return state.region_base_url
    return None


def _is_not_given(value: Any) -> bool:
    return type(value).__name__ in ("NotGiven", "Omit")


def _prepare_kwargs(state: _PatchState, base_url: str, kwargs: dict[str, Any]) -> None:
    if kwargs.get("api_key") is None and not os.environ.get("OPENAI_API_KEY"):
        kwargs["api_key"] = PLACEHOLDER_API_KEY
    headers = client_headers(
        base_url,
        kwargs.get("default_headers"),
        state.compartment_id,
        state.conversation_store_id,
        missing_compartment="OCI_OPENAI_COMPARTMENT_ID is not set; OCI Generative AI needs the compartment OCID "
        "(ocid1.compartment.oc1..): export OCI_OPENAI_COMPARTMENT_ID=<compartment OCID>",
    )
    if headers:
        kwargs["default_headers"] = headers


def _init_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    state = _state
    if state is None or args:
        return wrapped(*args, **kwargs)
    try:
        if _is_skipped(instance) or kwargs.get("provider") is not None:
            return wrapped(*args, **kwargs)
        base_url = _resolve_base_url(state, kwargs)
        if base_url is None or not state.policy.allows_url(base_url):
            return wrapped(*args, **kwargs)
    except OciOpenAIError:
        raise
    except Exception:
        logger.warning("oci_openai_patch: could not inspect an openai client; leaving it unpatched", exc_info=True)
        return wrapped(*args, **kwargs)
    if state.error is not None:
        raise state.error
    _prepare_kwargs(state, base_url, kwargs)
    auth = state.auth()
    result = wrapped(*args, **kwargs)
    from .attach import attach_auth

    attach_auth(instance._client, auth)
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
    hosts: Iterable[str] | None = None,
    region: str | None = None,
    model_map: Mapping[str, str] | None = None,
    _defer_errors: bool = False,
) -> None:
    """Make every ``openai.OpenAI`` / ``AsyncOpenAI`` built for an OCI host sign its requests.

    With no arguments everything comes from the environment (``OCI_OPENAI_AUTH`` and the
    rest of the contract); arguments override it. Calling it again updates the
    configuration without wrapping twice.
    """
    global _state
    import openai
    import wrapt

    try:
        _state = _build_state(auth, compartment_id, conversation_store_id, hosts, region, model_map)
    except ConfigurationError as error:
        if not _defer_errors:
            raise
        _state = _PatchState(auth_factory=lambda: None, policy=_policy_despite(error), error=error)
    for name in _TARGETS:
        cls = getattr(openai, name)
        if not _is_patched(cls):
            wrapper = wrapt.FunctionWrapper(cls.__dict__["__init__"], _init_wrapper)
            wrapper._self_oci_openai_patch = True  # type: ignore[attr-defined]
            cls.__init__ = wrapper
    _module_client_api_key()


def _policy_despite(error: ConfigurationError) -> HostPolicy:
    """The hosts to treat as OCI when the configuration is broken, so the error is raised
    for exactly the clients it concerns."""
    from .settings import extra_hosts_from_env

    try:
        return HostPolicy(extra=extra_hosts_from_env())
    except ConfigurationError:
        return HostPolicy()


def _build_state(
    auth: Any,
    compartment_id: str | None,
    conversation_store_id: str | None,
    hosts: Iterable[str] | None,
    region: str | None,
    model_map: Mapping[str, str] | None,
) -> _PatchState:
    settings = load_settings() if auth is None else None
    policy = HostPolicy(extra=settings.hosts if settings else ())
    if hosts is not None:
        policy = policy.with_hosts(parse_host_list(",".join(hosts), source="hosts"))

    def factory() -> Any:
        return auth if auth is not None else auth_from_settings(settings)  # type: ignore[arg-type]

    from .hosts import region_base_url
    from .settings import parse_compartment

    chosen_region = region or (settings.region if settings else None)
    compartment = compartment_id or (settings.compartment_id if settings else None)
    return _PatchState(
        auth_factory=factory,
        policy=policy,
        compartment_id=parse_compartment(compartment, source="compartment_id") if compartment else None,
        conversation_store_id=conversation_store_id or (settings.conversation_store_id if settings else None),
        region_base_url=region_base_url(chosen_region) if chosen_region else None,
        model_map=dict(model_map) if model_map is not None else (settings.model_map if settings else {}),
    )


def unpatch() -> None:
    """Restore the original constructors; clients already built keep signing."""
    global _state
    _state = None
    import sys

    openai = sys.modules.get("openai")
    if openai is None:
        return
    for name in _TARGETS:
        cls = getattr(openai, name)
        if _is_patched(cls):
            cls.__init__ = cls.__dict__["__init__"].__wrapped__
    if getattr(openai, "api_key", None) == PLACEHOLDER_API_KEY:
        setattr(openai, "api_key", None)  # noqa: B010 - a module attribute mypy does not see


def is_patched() -> bool:
    import sys

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
