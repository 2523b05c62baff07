"""Instance principal: instance metadata and X.509 federation, through the SDK; also
acting for a user with a delegation token (OCI Cloud Shell)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .sdk_signer import SdkSignerCredentials

if TYPE_CHECKING:
    from .delegation import DelegationToken


def instance_principal(
    *, timeout: float | None = None, delegation_token: DelegationToken | None = None, **kwargs: Any
) -> SdkSignerCredentials:
    """Instance principal: instance metadata (``OCI_METADATA_BASE_URL``) and X.509 federation.

    ``federation_endpoint`` defaults to ``OCI_OPENAI_FEDERATION_ENDPOINT``, else the SDK
    derives it from the instance's region; other keyword arguments go to the SDK signer.
    With ``delegation_token`` the federation is the same and the SDK's delegation-token
    signer holds the keys (the token itself travels in the signed ``opc-obo-token``).
    """
    from ..settings import OCI_OPENAI_FEDERATION_ENDPOINT

    if not kwargs.get("federation_endpoint"):
        from_env = os.environ.get(OCI_OPENAI_FEDERATION_ENDPOINT, "").strip()
        if from_env:
            kwargs["federation_endpoint"] = from_env

    def factory() -> Any:
        from oci.auth.signers import InstancePrincipalsDelegationTokenSigner, InstancePrincipalsSecurityTokenSigner

        if delegation_token is None:
            return InstancePrincipalsSecurityTokenSigner(**kwargs)
        return InstancePrincipalsDelegationTokenSigner(delegation_token=delegation_token.value(), **kwargs)

    def source() -> str:
        metadata = os.environ.get("OCI_METADATA_BASE_URL", "").strip() or "http://169.254.169.254/opc/v2"
        federation = kwargs.get("federation_endpoint") or "the region's federation endpoint"
        return f"instance metadata ({metadata}) or {federation}"

    hints = {
        "refused": "nothing listens there; on an OCI instance leave OCI_METADATA_BASE_URL unset, "
        "elsewhere use another principal kind",
        "tls": "the federation endpoint's certificate does not verify; check the machine's CA bundle",
        "http": "the service refused the instance's identity; check that a dynamic group matches this "
        "instance and a policy allows it Generative AI",
    }
    kind = "instance_principal" if delegation_token is None else "delegation_token"
    return SdkSignerCredentials(kind, factory, timeout=timeout, source=source, hints=hints)
