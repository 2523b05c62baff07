"""A client given no endpoint at all goes to the Generative AI endpoint of the principal's region.

Only constructed here, never called: the URLs are real OCI hosts. The region comes from
the profile (user, session), ``OCI_RESOURCE_PRINCIPAL_REGION`` (resource principal), the
SDK signer's instance metadata (instance principal, against the loopback fake).
"""

from __future__ import annotations

import pytest
from fresh import clean_env, run_program

from oci_openai_patch import (
    AsyncOciOpenAI,
    ConfigurationError,
    OciInstancePrincipalAuth,
    OciOpenAI,
    OciResourcePrincipalAuth,
    OciSessionAuth,
    OciUserPrincipalAuth,
)
from oci_openai_patch.commands.cli import main
from oci_openai_patch.testing.profiles import TEST_REGION

CHICAGO = f"https://inference.generativeai.{TEST_REGION}.oci.oraclecloud.com/openai/v1/"


def test_explicit_clients_take_the_profiles_region(oci_api_key_profile, oci_session_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    for auth in (
        OciUserPrincipalAuth(oci_api_key_profile.config_file),
        OciSessionAuth(oci_session_profile.config_file),
    ):
        assert str(OciOpenAI(auth=auth, compartment_id=compartment_id).base_url) == CHICAGO
        assert str(AsyncOciOpenAI(auth=auth, compartment_id=compartment_id).base_url) == CHICAGO


def test_resource_principal_region(oci_resource_principal, compartment_id, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "eu-frankfurt-1")
    client = OciOpenAI(auth=OciResourcePrincipalAuth(), compartment_id=compartment_id)
    assert str(client.base_url) == "https://inference.generativeai.eu-frankfurt-1.oci.oraclecloud.com/openai/v1/"


def test_instance_principal_region_from_instance_metadata(oci_instance_identity, compartment_id) -> None:  # type: ignore[no-untyped-def]
    oci_instance_identity.region = "ap-tokyo-1"
    client = OciOpenAI(auth=OciInstancePrincipalAuth(), compartment_id=compartment_id)
    assert str(client.base_url) == "https://inference.generativeai.ap-tokyo-1.oci.oraclecloud.com/openai/v1/"


def test_a_principal_without_a_region_still_needs_an_endpoint(tmp_path, oci_endpoint) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from oci_openai_patch.testing import make_api_key_profile

    profile = make_api_key_profile(tmp_path / "p", oci_endpoint.verifier)
    text = Path(profile.config_file).read_text(encoding="utf-8")
    Path(profile.config_file).write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("region")), encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match="the principal knows no region"):
        OciOpenAI(auth=OciUserPrincipalAuth(profile.config_file))


def test_zero_code_client_with_no_endpoint_goes_to_the_principals_region(oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    env = clean_env(
        OCI_OPENAI_AUTH="user_principal",
        OCI_OPENAI_CONFIG_FILE=oci_api_key_profile.config_file,
        OCI_OPENAI_COMPARTMENT_ID=compartment_id,
    )
    out = run_program("import openai\nprint(openai.OpenAI().base_url)\nprint(openai.AsyncOpenAI().base_url)", env)
    assert out.split() == [CHICAGO, CHICAGO]


def test_doctor_says_where_the_region_came_from(oci_api_key_profile, compartment_id, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OCI_OPENAI_AUTH", "user_principal")
    monkeypatch.setenv("OCI_OPENAI_CONFIG_FILE", oci_api_key_profile.config_file)
    monkeypatch.setenv("OCI_OPENAI_COMPARTMENT_ID", compartment_id)
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"region: {TEST_REGION} (from profile [DEFAULT] of {oci_api_key_profile.config_file})" in out
    assert f"url: {CHICAGO[:-1]}: an OCI service host, requests will be signed" in out


def test_workload_identity_region(oci_proxymux, compartment_id, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from oci_openai_patch import OciWorkloadIdentityAuth

    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1")  # the SDK's OKE signer reads it
    client = OciOpenAI(auth=OciWorkloadIdentityAuth(), compartment_id=compartment_id)
    assert str(client.base_url) == "https://inference.generativeai.us-ashburn-1.oci.oraclecloud.com/openai/v1/"
