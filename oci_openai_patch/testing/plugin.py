"""pytest fixtures for testing OCI-signed openai code offline.

Registered through the ``pytest11`` entry point, so they are there once the package is
installed: ``oci_endpoint`` (a started :class:`OciTestEndpoint`), ``oci_api_key_profile``
and ``oci_session_profile`` (throwaway profiles the endpoint trusts). The endpoint's
``host`` is loopback, so trust it with ``hosts=[oci_endpoint.host]`` or
``OCI_OPENAI_HOSTS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .profiles import ApiKeyProfile, SessionProfile, make_api_key_profile, make_session_profile
from .server import OciTestEndpoint


@pytest.fixture
def oci_endpoint() -> Iterator[OciTestEndpoint]:
    """A local OCI-style endpoint that verifies every request's signature."""
    with OciTestEndpoint() as endpoint:
        yield endpoint


@pytest.fixture
def oci_api_key_profile(tmp_path: Path, oci_endpoint: OciTestEndpoint) -> ApiKeyProfile:
    """A user-principal (API key) profile whose key the endpoint trusts."""
    return make_api_key_profile(tmp_path / "oci", oci_endpoint.verifier)


@pytest.fixture
def oci_session_profile(tmp_path: Path, oci_endpoint: OciTestEndpoint) -> SessionProfile:
    """A session-token profile whose tokens the endpoint issued."""
    return make_session_profile(tmp_path / "oci-session", oci_endpoint.verifier)
