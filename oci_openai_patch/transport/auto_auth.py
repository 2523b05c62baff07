"""``auth="auto"``: the principal the environment already names or shows.

In order: ``OCI_OPENAI_AUTH``, then the OCI CLI's ``OCI_CLI_AUTH``, then what is there:
resource-principal variables (Functions, Data Science), a Kubernetes service account
(OKE workload identity), a config profile with a session token, a profile with an API
key. Instance metadata is never probed unasked: on a bare VM, name
``instance_principal``. Each choice comes with the reason, which ``doctor`` prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError

#: Where a pod's service-account token is mounted (the SDK reads it there by default).
DEFAULT_SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def choose(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The principal kind and why it was chosen."""
    from ..oci_config import read_profile
    from ..settings import OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH, config_location, requested_auth

    env = os.environ if environ is None else environ
    requested = requested_auth(env)
    if requested is not None:
        return requested
    if env.get("OCI_RESOURCE_PRINCIPAL_VERSION", "").strip():
        return "resource_principal", "OCI_RESOURCE_PRINCIPAL_VERSION is set"
    token = env.get(OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH, "").strip() or DEFAULT_SERVICE_ACCOUNT_TOKEN
    if env.get("KUBERNETES_SERVICE_HOST", "").strip() and os.path.isfile(token):
        return "workload_identity", f"KUBERNETES_SERVICE_HOST is set and {token} exists"
    config_file, profile_name = config_location(env)
    if os.path.isfile(os.path.expanduser(config_file)):
        profile = read_profile(config_file, profile_name)
        where = f"profile [{profile.name}] of {profile.config_file}"
        if profile.get("security_token_file"):
            return "session", f"{where} has a security_token_file"
        if profile.get("key_file"):
            return "user_principal", f"{where} has a key_file"
    raise ConfigurationError(
        "auth='auto' found no principal: set OCI_OPENAI_AUTH (user_principal, session, instance_principal, "
        f"resource_principal, workload_identity), or create {config_file} with 'oci setup config'"
    )


def auth_from_environment(environ: Mapping[str, str] | None = None) -> Any:
    """The auth ``auth="auto"`` resolves to (the explicit clients' ``hosts`` trust is theirs)."""
    from ..settings import OCI_OPENAI_AUTH, load_settings
    from .principals import auth_from_settings

    env = dict(os.environ if environ is None else environ)
    kind, _ = choose(env)
    env[OCI_OPENAI_AUTH] = kind
    return auth_from_settings(load_settings(env))
