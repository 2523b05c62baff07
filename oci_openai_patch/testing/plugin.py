"""pytest fixtures for testing OCI-signed openai code offline.

Registered through the ``pytest11`` entry point, so they are there once the package is
installed: ``oci_endpoint`` (a started :class:`OciTestEndpoint`), ``oci_api_key_profile``
and ``oci_session_profile`` (throwaway profiles the endpoint trusts), and for the
security-token principals ``oci_instance_identity`` (fake instance metadata and
federation, with ``OCI_METADATA_BASE_URL`` pointed at it), ``oci_resource_principal``
(resource principal 2.2 files, with its variables set), ``oci_delegation_token`` (Cloud
Shell's delegation-token profile over the instance identity) and ``oci_proxymux`` (a fake OKE
proxymux on ``127.0.0.1:12250``, with ``KUBERNETES_SERVICE_HOST`` and the CA path set).
The endpoint's ``host`` is loopback, so trust it with ``hosts=[oci_endpoint.host]`` or
``OCI_OPENAI_HOSTS``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    # Imported where a fixture is first requested: the plugin is loaded by every pytest
    # run in an environment that has the package, and most of those never use it.
    from .identity import FakeInstanceIdentity, FakeProxymux
    from .profiles import ApiKeyProfile, DelegationTokenProfile, ResourcePrincipalFiles, SessionProfile
    from .server import OciTestEndpoint

#: Set (as CI does) to fail, not skip, a test whose fixed port another process holds.
REQUIRE_FIXED_PORTS = "OCI_OPENAI_PATCH_REQUIRE_FIXED_PORTS"


@pytest.fixture
def oci_endpoint() -> Iterator[OciTestEndpoint]:
    """A local OCI-style endpoint that verifies every request's signature."""
    from .server import OciTestEndpoint

    with OciTestEndpoint() as endpoint:
        yield endpoint


@pytest.fixture
def oci_api_key_profile(tmp_path: Path, oci_endpoint: OciTestEndpoint) -> ApiKeyProfile:
    """A user-principal (API key) profile whose key the endpoint trusts."""
    from .profiles import make_api_key_profile

    return make_api_key_profile(tmp_path / "oci", oci_endpoint.verifier)


@pytest.fixture
def oci_session_profile(tmp_path: Path, oci_endpoint: OciTestEndpoint) -> SessionProfile:
    """A session-token profile whose tokens the endpoint issued."""
    from .profiles import make_session_profile

    return make_session_profile(tmp_path / "oci-session", oci_endpoint.verifier)


@pytest.fixture
def oci_instance_identity(
    oci_endpoint: OciTestEndpoint, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeInstanceIdentity]:
    """Instance metadata and federation whose tokens the endpoint accepts."""
    from .identity import FakeInstanceIdentity

    with FakeInstanceIdentity(oci_endpoint.issuer) as identity:
        monkeypatch.setenv("OCI_METADATA_BASE_URL", identity.metadata_base_url)
        monkeypatch.setenv("OCI_OPENAI_FEDERATION_ENDPOINT", identity.federation_endpoint)
        yield identity


@pytest.fixture
def oci_delegation_token(
    tmp_path: Path, oci_instance_identity: FakeInstanceIdentity, monkeypatch: pytest.MonkeyPatch
) -> DelegationTokenProfile:
    """Cloud Shell: instance identity plus a profile with ``delegation_token_file``, named by
    ``OCI_CONFIG_FILE`` (and ``OCI_CLI_AUTH=instance_obo_user``, as Cloud Shell sets it)."""
    from .profiles import make_delegation_token_profile

    profile = make_delegation_token_profile(tmp_path / "cloudshell", oci_instance_identity.issuer)
    monkeypatch.setenv("OCI_CONFIG_FILE", profile.config_file)
    monkeypatch.setenv("OCI_CLI_AUTH", "instance_obo_user")
    return profile


@pytest.fixture
def oci_resource_principal(
    tmp_path: Path, oci_endpoint: OciTestEndpoint, monkeypatch: pytest.MonkeyPatch
) -> ResourcePrincipalFiles:
    """Resource principal 2.2 token and key files, with the platform's variables set."""
    from .profiles import make_resource_principal_files

    files = make_resource_principal_files(tmp_path / "rp", oci_endpoint.verifier)
    for name, value in files.environ().items():
        monkeypatch.setenv(name, value)
    return files


@pytest.fixture
def oci_proxymux(
    tmp_path: Path, oci_endpoint: OciTestEndpoint, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeProxymux]:
    """A fake OKE proxymux; the service-account token file is ``tmp_path/sa-token``."""
    from .identity import FakeProxymux
    from .ports import PortInUseError

    token_file = tmp_path / "sa-token"
    with contextlib.ExitStack() as stack:
        try:
            proxymux = stack.enter_context(FakeProxymux(oci_endpoint.issuer, tmp_path / "proxymux"))
        except PortInUseError as error:
            # Someone else's process holds the SDK's fixed port: not this package's failure.
            if os.environ.get(REQUIRE_FIXED_PORTS, "").strip() in ("1", "true", "yes"):
                raise
            pytest.skip(f"{error} (set {REQUIRE_FIXED_PORTS}=1 to fail instead, as CI does)")
        token_file.write_text(proxymux.service_account_token, encoding="utf-8")
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH", proxymux.ca_file)
        monkeypatch.setenv("OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH", str(token_file))
        yield proxymux
