"""What each SDK-backed principal hands the ``oci`` SDK, and how it describes itself, with
the SDK's signer replaced by a recorder: which signer, which arguments (from the call or
the environment), which source a failure names and which fixes it suggests. In-process
and quick; the same principals against loopback fakes of metadata, federation and the
proxymux are in ``test_principals.py`` and ``test_bounded_errors.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import oci.auth.signers
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from oci_openai_patch.credentials import instance_principal, resource_principal, workload_identity
from oci_openai_patch.credentials.delegation import DelegationToken
from oci_openai_patch.credentials.fetch_failures import FetchFailure, hint_for
from oci_openai_patch.errors import ConfigurationError

PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Recorded:
    """Stands for an SDK signer: the arguments it was built with, and a key to read."""

    calls: list[tuple[str, dict[str, Any]]]

    def __init__(self, name: str, **kwargs: Any) -> None:
        Recorded.calls.append((name, kwargs))
        self.api_key = f"ST$token-of-{name}"
        self.private_key = PRIVATE_KEY

    def refresh_security_token(self) -> None:
        Recorded.calls.append(("refresh_security_token", {}))
        self.api_key += "-refreshed"


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    Recorded.calls = []
    for name in (
        "InstancePrincipalsSecurityTokenSigner",
        "InstancePrincipalsDelegationTokenSigner",
        "get_oke_workload_identity_resource_principal_signer",
        "get_resource_principals_signer",
    ):
        monkeypatch.setattr(oci.auth.signers, name, lambda _name=name, **kwargs: Recorded(_name, **kwargs))
    return Recorded.calls


def _fix(credentials: Any, kind: str) -> str:
    return hint_for(FetchFailure("https://x", kind, "reason"), credentials._hints)


def test_an_instance_principal_takes_the_federation_endpoint_from_the_environment(
    sdk: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCI_OPENAI_FEDERATION_ENDPOINT", "  https://auth.example.com/v1/x509  ")
    monkeypatch.setenv("OCI_METADATA_BASE_URL", " http://127.0.0.1:9/opc/v2 ")
    credentials = instance_principal(timeout=5, log_requests=False)
    assert sdk == [
        (
            "InstancePrincipalsSecurityTokenSigner",
            {"federation_endpoint": "https://auth.example.com/v1/x509", "log_requests": False},
        )
    ]
    assert credentials.kind == "instance_principal"
    assert credentials.get().key_id == "ST$token-of-InstancePrincipalsSecurityTokenSigner"
    assert credentials._source() == (
        "instance metadata (http://127.0.0.1:9/opc/v2) or https://auth.example.com/v1/x509"
    )


def test_a_federation_endpoint_given_wins_and_an_empty_one_is_not_given(
    sdk: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCI_OPENAI_FEDERATION_ENDPOINT", "https://from-env.example.com")
    instance_principal(timeout=5, federation_endpoint="https://given.example.com")
    instance_principal(timeout=5, federation_endpoint="")
    monkeypatch.setenv("OCI_OPENAI_FEDERATION_ENDPOINT", "   ")
    instance_principal(timeout=5)
    assert [kwargs for _, kwargs in sdk] == [
        {"federation_endpoint": "https://given.example.com"},
        {"federation_endpoint": "https://from-env.example.com"},
        {},
    ]


def test_a_delegation_token_goes_to_the_sdks_delegation_signer(sdk: list[Any]) -> None:
    credentials = instance_principal(
        timeout=5, delegation_token=DelegationToken(value="the-delegation"), federation_endpoint="https://f"
    )
    assert sdk == [
        (
            "InstancePrincipalsDelegationTokenSigner",
            {"delegation_token": "the-delegation", "federation_endpoint": "https://f"},
        )
    ]
    assert credentials.kind == "delegation_token"


def test_an_instance_principals_fixes_name_its_settings(sdk: list[Any]) -> None:
    credentials = instance_principal(timeout=5)
    assert _fix(credentials, "refused") == (
        "nothing listens there; on an OCI instance leave OCI_METADATA_BASE_URL unset, elsewhere use another "
        "principal kind"
    )
    assert _fix(credentials, "tls") == (
        "the federation endpoint's certificate does not verify; check the machine's CA bundle"
    )
    assert _fix(credentials, "http") == (
        "the service refused the instance's identity; check that a dynamic group matches this instance and a "
        "policy allows it Generative AI"
    )
    assert _fix(credentials, "dns") == "check the host name and this machine's DNS"


def test_workload_identity_needs_the_pods_kubernetes_host(sdk: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for value in (None, "  "):
        if value is None:
            monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        else:
            monkeypatch.setenv("KUBERNETES_SERVICE_HOST", value)
        with pytest.raises(ConfigurationError) as raised:
            workload_identity(timeout=5)
        assert str(raised.value) == "KUBERNETES_SERVICE_HOST is not set; workload identity auth runs in an OKE pod"
    assert sdk == []


def test_workload_identitys_token_file_comes_from_the_call_else_the_environment(
    sdk: list[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given, from_env = tmp_path / "given", tmp_path / "from-env"
    given.write_text("token")
    from_env.write_text("token")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", " 10.96.0.1 ")
    monkeypatch.setenv("OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH", f"  {from_env}  ")
    credentials = workload_identity(timeout=5, service_account_token_path=str(given))
    workload_identity(timeout=5)
    monkeypatch.delenv("OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH")
    workload_identity(timeout=5, log_requests=False)
    assert sdk == [
        ("get_oke_workload_identity_resource_principal_signer", {"service_account_token_path": str(given)}),
        ("get_oke_workload_identity_resource_principal_signer", {"service_account_token_path": str(from_env)}),
        ("get_oke_workload_identity_resource_principal_signer", {"log_requests": False}),
    ]
    assert credentials.kind == "workload_identity"
    assert credentials._source() == "the OKE proxymux at 10.96.0.1:12250"


def test_a_missing_token_file_is_named_with_the_variable_to_set(
    sdk: list[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    missing = tmp_path / "no-such-token"
    for kwargs in ({"service_account_token_path": str(missing)}, {}):
        monkeypatch.setenv("OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH", str(missing))
        with pytest.raises(ConfigurationError) as raised:
            workload_identity(timeout=5, **kwargs)
        assert str(raised.value) == (
            f"service account token file {missing} does not exist; "
            "set OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH to the pod's projected token file"
        )
    with pytest.raises(ConfigurationError, match="does not exist"):
        workload_identity(timeout=5, service_account_token_path=str(tmp_path))  # a directory is no token file
    assert sdk == []


def test_workload_identitys_fixes_name_its_settings(sdk: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    credentials = workload_identity(timeout=5)
    assert _fix(credentials, "tls") == (
        "set OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH to the cluster's CA bundle (default "
        "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt)"
    )
    assert _fix(credentials, "refused") == (
        "nothing listens there; check KUBERNETES_SERVICE_HOST and that the cluster is an enhanced OKE cluster "
        "with workload identity"
    )
    assert _fix(credentials, "http") == (
        "the proxymux refused the service account; check its token file and the policy that names this workload"
    )


def test_a_resource_principal_needs_its_version(sdk: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "  ")
    with pytest.raises(ConfigurationError) as raised:
        resource_principal(timeout=5)
    assert str(raised.value) == (
        "OCI_RESOURCE_PRINCIPAL_VERSION is not set; resource principal auth runs inside OCI Functions, "
        "Data Science or another service that sets it"
    )
    assert sdk == []


@pytest.mark.parametrize(("version", "kwargs"), [(" 2.1 ", {}), ("1.1", {}), ("2.2", {"log_requests": False})])
def test_other_resource_principal_versions_go_through_the_sdk(
    sdk: list[Any], monkeypatch: pytest.MonkeyPatch, version: str, kwargs: dict[str, Any]
) -> None:
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", version)
    credentials = resource_principal(timeout=5, **kwargs)
    assert sdk == [("get_resource_principals_signer", kwargs)]
    assert credentials.kind == "resource_principal"
    assert credentials._source() == f"the resource principal {version.strip()} token source"  # type: ignore[attr-defined]


def test_a_401_refreshes_the_signer_built_first_instead_of_building_another(sdk: list[Any]) -> None:
    credentials = instance_principal(timeout=5)
    first = credentials.get()
    second = credentials.refresh(first)
    assert [name for name, _ in sdk] == ["InstancePrincipalsSecurityTokenSigner", "refresh_security_token"]
    assert second.key_id == first.key_id + "-refreshed"
