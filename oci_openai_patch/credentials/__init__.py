"""One credentials provider per OCI principal kind, one module each.

:mod:`.base` holds what they share (the :class:`SigningKey`, single-flight reloads,
expiry, the deadline on fetches, fork safety); :mod:`.api_key`, :mod:`.session`,
:mod:`.instance`, :mod:`.resource`, :mod:`.workload` and :mod:`.delegation` one kind
each, the security-token ones through :mod:`.sdk_signer` (the ``oci`` SDK's signers,
imported only when such a provider is built). The names are re-exported here.
"""

from __future__ import annotations

from ..redact import redact_key_id
from .api_key import ApiKeyCredentials
from .base import (
    DEFAULT_TOKEN_TIMEOUT_SECONDS,
    REFRESH_MARGIN_SECONDS,
    CredentialsProvider,
    KeySource,
    SigningKey,
    check_refresh_interval,
    principal_region,
    refresh_time,
    token_timeout,
)
from .delegation import DelegationToken
from .instance import instance_principal
from .resource import RP_KEY, RP_PASSPHRASE, RP_TOKEN, RP_VERSION, ResourcePrincipalV22Credentials, resource_principal
from .sdk_signer import SdkSignerCredentials
from .session import SESSION_REREAD_DELAY_SECONDS, SessionCredentials
from .workload import workload_identity

__all__ = [
    "DEFAULT_TOKEN_TIMEOUT_SECONDS",
    "REFRESH_MARGIN_SECONDS",
    "RP_KEY",
    "RP_PASSPHRASE",
    "RP_TOKEN",
    "RP_VERSION",
    "SESSION_REREAD_DELAY_SECONDS",
    "ApiKeyCredentials",
    "CredentialsProvider",
    "DelegationToken",
    "KeySource",
    "ResourcePrincipalV22Credentials",
    "SdkSignerCredentials",
    "SessionCredentials",
    "SigningKey",
    "check_refresh_interval",
    "instance_principal",
    "principal_region",
    "redact_key_id",
    "refresh_time",
    "resource_principal",
    "token_timeout",
    "workload_identity",
]
