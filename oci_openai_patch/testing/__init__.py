"""Offline testing for OCI-signed openai code: a verifying local endpoint and profiles.

``OciTestEndpoint`` is a loopback server that checks OCI signatures with the public key
and answers like the OpenAI-compatible API; ``make_api_key_profile`` and
``make_session_profile`` write throwaway OCI config profiles it trusts. The pytest plugin
(:mod:`oci_openai_patch.testing.plugin`, registered as a ``pytest11`` entry point) gives
them to tests as the fixtures ``oci_endpoint``, ``oci_api_key_profile`` and
``oci_session_profile``.
"""

from __future__ import annotations

from .profiles import ApiKeyProfile, SessionProfile, make_api_key_profile, make_session_profile
from .server import OciTestEndpoint, RecordedRequest
from .verify import SignatureVerifier, TokenIssuer, VerificationError

__all__ = [
    "ApiKeyProfile",
    "OciTestEndpoint",
    "RecordedRequest",
    "SessionProfile",
    "SignatureVerifier",
    "TokenIssuer",
    "VerificationError",
    "make_api_key_profile",
    "make_session_profile",
]
