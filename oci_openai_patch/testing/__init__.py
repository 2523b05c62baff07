"""Offline testing for OCI-signed openai code: a verifying local endpoint, profiles and
fake identity services.

``OciTestEndpoint`` is a loopback server that checks OCI signatures with the public key
and answers like the OpenAI-compatible API; ``make_api_key_profile``,
``make_session_profile`` and ``make_resource_principal_files`` write throwaway
credentials it trusts; ``FakeInstanceIdentity`` (instance metadata and federation) and
``FakeProxymux`` (OKE workload identity) issue security tokens it accepts. The pytest
plugin (:mod:`oci_openai_patch.testing.plugin`, registered as a ``pytest11`` entry
point) gives them to tests as fixtures.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .identity import FakeInstanceIdentity, FakeProxymux
    from .profiles import (
        ApiKeyProfile,
        ResourcePrincipalFiles,
        SessionProfile,
        make_api_key_profile,
        make_resource_principal_files,
        make_session_profile,
    )
    from .server import OciTestEndpoint, RecordedRequest
    from .tls import TestCertificateAuthority
    from .verify import SignatureVerifier, TokenIssuer, VerificationError

#: Where each public name lives; imported on first use, so that loading the pytest plugin
#: (``oci_openai_patch.testing.plugin``, which imports this package first) costs nothing.
_HOMES = {
    "FakeInstanceIdentity": "identity",
    "FakeProxymux": "identity",
    "ApiKeyProfile": "profiles",
    "ResourcePrincipalFiles": "profiles",
    "SessionProfile": "profiles",
    "make_api_key_profile": "profiles",
    "make_resource_principal_files": "profiles",
    "make_session_profile": "profiles",
    "OciTestEndpoint": "server",
    "RecordedRequest": "server",
    "TestCertificateAuthority": "tls",
    "SignatureVerifier": "verify",
    "TokenIssuer": "verify",
    "VerificationError": "verify",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ApiKeyProfile",
    "FakeInstanceIdentity",
    "FakeProxymux",
    "OciTestEndpoint",
    "RecordedRequest",
    "ResourcePrincipalFiles",
    "SessionProfile",
    "SignatureVerifier",
    "TestCertificateAuthority",
    "TokenIssuer",
    "VerificationError",
    "make_api_key_profile",
    "make_resource_principal_files",
    "make_session_profile",
]
