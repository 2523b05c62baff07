"""The principal classes, one per OCI principal kind, and the one factory that builds
the principal ``OCI_OPENAI_AUTH`` names (for the shim, ``auth="auto"`` and ``doctor``).

Each class is an :class:`.auth.OciAuth` over the credentials provider of its kind
(:mod:`..credentials`), with oci-openai's constructor arguments. ``hosts`` adds hosts
to sign; left out, the hosts of ``OCI_OPENAI_HOSTS`` (:func:`..trust.hosts.configured_hosts`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..credentials import (
    ApiKeyCredentials,
    DelegationToken,
    SessionCredentials,
    check_refresh_interval,
    instance_principal,
    resource_principal,
    workload_identity,
)
from ..errors import ConfigurationError
from ..oci_config import DEFAULT_CONFIG_FILE, DEFAULT_PROFILE
from ..signature.signing import BASIC_HEADERS, BODY_HEADERS, signed_header_policy
from ..trust.hosts import HostPattern, configured_hosts
from .auth import OciAuth
from .request_headers import OBO_HEADER

if TYPE_CHECKING:
    from ..settings import Settings


def _config_file(config_file: str) -> str:
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
        hosts: Iterable[str | HostPattern] | None = None,
        deployment_routing: str | None = None,
    ) -> None:
        check_refresh_interval(refresh_interval)
        credentials = ApiKeyCredentials(profile_name, _config_file(config_file))
        super().__init__(credentials, hosts=configured_hosts(hosts), deployment_routing=deployment_routing)


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
        hosts: Iterable[str | HostPattern] | None = None,
        deployment_routing: str | None = None,
        generic_headers: Iterable[str] | None = None,
        body_headers: Iterable[str] | None = None,
    ) -> None:
        max_age = check_refresh_interval(refresh_interval)
        header_names = signed_header_policy(generic_headers, body_headers)
        credentials = SessionCredentials(profile_name, _config_file(config_file))
        credentials.max_age = max_age
        super().__init__(credentials, hosts=configured_hosts(hosts), deployment_routing=deployment_routing)
        self.header_names = header_names


class _TokenPrincipalAuth(OciAuth):
    """A security-token principal built by ``_principal`` from the SDK keyword arguments."""

    _principal: Callable[..., Any]

    def __init__(
        self,
        refresh_interval: float | None = None,
        *,
        hosts: Iterable[str | HostPattern] | None = None,
        deployment_routing: str | None = None,
        **kwargs: Any,
    ) -> None:
        max_age = check_refresh_interval(refresh_interval)
        credentials = type(self)._principal(**kwargs)
        credentials.max_age = max_age
        super().__init__(credentials, hosts=configured_hosts(hosts), deployment_routing=deployment_routing)


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
        hosts: Iterable[str | HostPattern] | None = None,
        deployment_routing: str | None = None,
        **kwargs: Any,
    ) -> None:
        max_age = check_refresh_interval(refresh_interval)
        token = DelegationToken.find(delegation_token, delegation_token_file, profile_name, config_file)
        credentials = instance_principal(delegation_token=token, **kwargs)
        credentials.max_age = max_age
        super().__init__(credentials, hosts=configured_hosts(hosts), deployment_routing=deployment_routing)
        self.header_names = ((*BASIC_HEADERS, OBO_HEADER), BODY_HEADERS)
        self.delegation_token = token

    def _add_signed_headers(self, request: Any, *, on_loop: bool = False) -> None:
        token = self.delegation_token
        request.headers[OBO_HEADER] = token.on_loop() if on_loop else token.value()


def auth_from_settings(settings: Settings, *, hosts: Iterable[str | HostPattern] | None = None) -> OciAuth:
    """The auth of the principal ``OCI_OPENAI_AUTH`` names, trusting ``hosts`` (left out:
    the settings' ``OCI_OPENAI_HOSTS``; the shim passes none and adds its policy's own)."""
    kind = settings.auth_kind
    trusted = settings.hosts if hosts is None else tuple(hosts)
    common: dict[str, Any] = {"hosts": trusted, "deployment_routing": settings.deployment_routing}
    profile: dict[str, Any] = {"config_file": settings.config_file, "profile_name": settings.profile}
    if kind == "user_principal":
        return OciUserPrincipalAuth(**profile, **common)
    if kind == "session":
        return OciSessionAuth(**profile, **common)
    # The federation endpoint, service-account token path and token timeout are read
    # from the environment by the credentials themselves (the explicit classes do too).
    if kind == "instance_principal":
        return OciInstancePrincipalAuth(**common)
    if kind == "resource_principal":
        return OciResourcePrincipalAuth(**common)
    if kind == "delegation_token":
        return OciDelegationTokenAuth(**profile, **common)
    if kind == "workload_identity":
        return OciWorkloadIdentityAuth(**common)
    raise ConfigurationError(f"OCI_OPENAI_AUTH={kind!r} is not an auth kind")  # pragma: no cover
