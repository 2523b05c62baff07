"""OKE workload identity: the service-account token exchanged at the proxymux."""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigurationError
from .sdk_signer import SdkSignerCredentials


def workload_identity(
    *, timeout: float | None = None, service_account_token_path: str | None = None, **kwargs: Any
) -> SdkSignerCredentials:
    """OKE workload identity: the service-account token exchanged at the proxymux.

    ``service_account_token_path`` defaults to ``OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH``,
    else the SDK's default (the pod's mounted service-account token).
    """
    from ..settings import OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH

    host = os.environ.get("KUBERNETES_SERVICE_HOST", "").strip()
    if not host:
        raise ConfigurationError("KUBERNETES_SERVICE_HOST is not set; workload identity auth runs in an OKE pod")
    path = service_account_token_path or os.environ.get(OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH, "").strip() or None
    if path is not None:
        if not os.path.isfile(path):
            raise ConfigurationError(
                f"service account token file {path} does not exist; "
                f"set {OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH} to the pod's projected token file"
            )
        kwargs["service_account_token_path"] = path

    def factory() -> Any:
        from oci.auth.signers import get_oke_workload_identity_resource_principal_signer

        return get_oke_workload_identity_resource_principal_signer(**kwargs)

    hints = {
        "tls": "set OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH to the cluster's CA bundle (default "
        "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt)",
        "refused": "nothing listens there; check KUBERNETES_SERVICE_HOST and that the cluster is an "
        "enhanced OKE cluster with workload identity",
        "http": "the proxymux refused the service account; check its token file and the policy that "
        "names this workload",
    }
    return SdkSignerCredentials(
        "workload_identity",
        factory,
        timeout=timeout,
        source=lambda: f"the OKE proxymux at {host}:12250",
        hints=hints,
    )
