"""Projects and planes: what a client needs on each part of OCI Generative AI, and what it sends.

The data plane takes a Generative AI Project OCID (openai's ``project=``, the
``OpenAI-Project`` header) or, in the older form, a compartment (which warns once); the
control plane takes the compartment as ``opc-compartment-id``; the actions API needs the
compartment. Signed requests are checked by the local endpoint.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from oci_openai_patch import (
    ConfigurationError,
    OciOpenAI,
    OciUserPrincipalAuth,
    control_plane_base_url,
    is_oci_service_host,
    region_base_url,
)
from oci_openai_patch.commands.cli import main
from oci_openai_patch.openai_clients import clients as clients_module
from oci_openai_patch.settings import parse_model_map
from oci_openai_patch.shim.patch import patched
from oci_openai_patch.testing import OciTestEndpoint
from oci_openai_patch.testing.findings import foreign_credentials

PROJECT = "ocid1.generativeaiproject.oc1.us-chicago-1.aaaaproject"
DATA = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1"
CONTROL = "https://generativeai.us-chicago-1.oci.oraclecloud.com/20231130/openai/v1"


@pytest.fixture
def auth(oci_api_key_profile) -> OciUserPrincipalAuth:  # type: ignore[no-untyped-def]
    return OciUserPrincipalAuth(oci_api_key_profile.config_file)


@pytest.fixture(autouse=True)
def fresh_warnings() -> Iterator[None]:
    """Each test sees the once-per-process deprecation warnings afresh."""
    saved = set(clients_module._WARNED)
    clients_module._WARNED.clear()
    yield
    clients_module._WARNED.clear()
    clients_module._WARNED.update(saved)


def test_a_project_alone_builds_a_data_plane_client(auth: OciUserPrincipalAuth) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        client = OciOpenAI(auth=auth, region="us-chicago-1", project=PROJECT)
    assert str(client.base_url) == DATA + "/"
    assert client.project == PROJECT
    assert "CompartmentId" not in client.default_headers
    assert client.default_headers["OpenAI-Project"] == PROJECT


def test_openai_project_variable_counts_and_is_validated(auth: OciUserPrincipalAuth, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENAI_PROJECT_ID", PROJECT)
    assert OciOpenAI(auth=auth, region="us-chicago-1").project == PROJECT
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_abc123")
    with pytest.raises(ConfigurationError, match=r"^OPENAI_PROJECT_ID is not a Generative AI Project OCID"):
        OciOpenAI(auth=auth, region="us-chicago-1")


@pytest.mark.parametrize("value", ["proj_abc123", "ocid1.compartment.oc1..aaaa", "ocid1.generativeaiproject.oc1.x.…"])
def test_a_project_that_is_not_a_project_ocid_is_refused(auth: OciUserPrincipalAuth, value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        OciOpenAI(auth=auth, region="us-chicago-1", project=value)
    message = str(caught.value)
    assert message.startswith("project= is not a Generative AI Project OCID") and "\n" not in message


def test_neither_project_nor_compartment_names_the_project_first(auth: OciUserPrincipalAuth) -> None:
    with pytest.raises(ConfigurationError, match=r"^OCI Generative AI needs a project: pass project="):
        OciOpenAI(auth=auth, region="us-chicago-1")


def test_the_older_arguments_warn_once_at_the_call_site(auth: OciUserPrincipalAuth, compartment_id: str) -> None:
    with pytest.warns(DeprecationWarning) as caught:
        client = OciOpenAI(
            auth=auth, region="us-chicago-1", compartment_id=compartment_id, conversation_store_id="ocid1.cs.oc1..s"
        )
        OciOpenAI(auth=auth, region="us-chicago-1", compartment_id=compartment_id)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2, messages
    assert all("pass project=" in m and "\n" not in m for m in messages)
    assert {w.filename for w in caught} == {__file__}
    assert client.default_headers["CompartmentId"] == compartment_id  # the older form still works


def test_the_control_plane_takes_the_compartment_as_opc_compartment_id(
    auth: OciUserPrincipalAuth, compartment_id: str
) -> None:
    assert control_plane_base_url("us-chicago-1") == CONTROL
    assert region_base_url("eu-frankfurt-1", "control").startswith("https://generativeai.eu-frankfurt-1.oci.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        client = OciOpenAI(auth=auth, region="us-chicago-1", api="control", compartment_id=compartment_id)
        bare = OciOpenAI(auth=auth, base_url=CONTROL)  # retrieve / delete need no compartment
    assert str(client.base_url) == CONTROL + "/"
    assert client.default_headers["opc-compartment-id"] == compartment_id
    assert "CompartmentId" not in client.default_headers
    assert "opc-compartment-id" not in bare.default_headers


def test_the_actions_api_still_needs_the_compartment(auth: OciUserPrincipalAuth) -> None:
    with pytest.raises(ConfigurationError, match=r"^compartment_id= is required for the /20231130/actions/v1 API"):
        OciOpenAI(auth=auth, region="us-chicago-1", api="actions", project=PROJECT)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("ppe.inference.generativeai.us-chicago-1.oci.oraclecloud.com", True),
        ("ppe.generativeai.us-chicago-1.oci.oraclecloud.com", True),
        ("ppe.inference.generativeai.eu-frankfurt-1.oci.oraclecloud.com", True),
        ("ppe.ppe.inference.generativeai.us-chicago-1.oci.oraclecloud.com", False),
        ("xppe.inference.generativeai.us-chicago-1.oci.oraclecloud.com", False),
        ("ppe-inference.generativeai.us-chicago-1.oci.oraclecloud.com", False),
        ("ppe.modeldeployment.us-ashburn-1.oci.customer-oci.com", False),
        ("ppe.inference.generativeai.us-chicago-1.oci.oraclecloud.com.evil.com", False),
        ("ppe.example.com", False),
    ],
)
def test_pre_production_hosts_of_both_planes_and_nothing_wider(host: str, expected: bool) -> None:
    assert is_oci_service_host(host) is expected


def test_a_dedicated_endpoint_ocid_is_never_model_mapped(oci_endpoint, auth, compartment_id) -> None:  # type: ignore[no-untyped-def]
    dedicated = "ocid1.generativeaiendpoint.oc1.us-chicago-1.aaaadedicated"
    auth.model_map = {"gpt-4o": "openai.gpt-oss-120b", dedicated: "elsewhere"}
    client = OciOpenAI(auth=auth.trusting([oci_endpoint.host]), base_url=oci_endpoint.base_url, project=PROJECT)
    client.chat.completions.create(model=dedicated, messages=[{"role": "user", "content": "x"}])
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert [r.json()["model"] for r in oci_endpoint.requests] == [dedicated, "openai.gpt-oss-120b"]
    assert all(r.verified and r.headers["openai-project"] == PROJECT for r in oci_endpoint.requests)
    with pytest.raises(ConfigurationError, match=r"^OCI_OPENAI_MODEL_MAP: 'ocid1\.generativeaiendpoint"):
        parse_model_map(f"{dedicated}=x")


def test_zero_code_sends_the_project_and_keeps_the_compartment_for_the_control_plane(
    auth: OciUserPrincipalAuth, compartment_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openai

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with patched(auth, compartment_id, project_id=PROJECT):
        data = openai.OpenAI(base_url=DATA)
        control = openai.OpenAI(base_url=CONTROL)
        replaced = openai.OpenAI(base_url=DATA, project="proj_from_openai_days")
        chosen = "ocid1.generativeaiproject.oc1.us-chicago-1.aaaachosen"
        caller = openai.OpenAI(base_url=DATA, project=chosen)
    assert data.project == PROJECT and "CompartmentId" not in data.default_headers
    assert control.default_headers["opc-compartment-id"] == compartment_id
    assert "CompartmentId" not in control.default_headers
    assert replaced.project == PROJECT
    assert caller.project == chosen


def test_zero_code_without_a_project_refuses_an_openai_project(auth: OciUserPrincipalAuth, compartment_id) -> None:  # type: ignore[no-untyped-def]
    import openai

    with patched(auth, compartment_id), pytest.raises(ConfigurationError, match=r"^project= is not a Generative AI"):
        openai.OpenAI(base_url=DATA, project="proj_abc123")


def test_doctor_is_usable_with_a_project_alone_and_explains_the_control_plane(  # type: ignore[no-untyped-def]
    oci_api_key_profile, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("OCI_OPENAI_AUTH", "user_principal")
    monkeypatch.setenv("OCI_OPENAI_CONFIG_FILE", oci_api_key_profile.config_file)
    monkeypatch.setenv("OCI_OPENAI_PROJECT_ID", PROJECT)
    assert main(["doctor", "--url", DATA]) == 0
    out = capsys.readouterr().out
    assert f"project: {PROJECT} (OCI_OPENAI_PROJECT_ID)" in out
    assert "plane: Generative AI data plane (responses, chat, conversations, files); scoped by the project" in out
    assert out.rstrip().endswith("doctor: usable")
    assert main(["doctor", "--url", CONTROL]) == 0
    out = capsys.readouterr().out
    assert "plane: Generative AI control plane (vector stores; IAM signing only); compartment NOT set" in out


def test_foreign_credentials_are_findings_and_shown_redacted(oci_endpoint: OciTestEndpoint, auth) -> None:  # type: ignore[no-untyped-def]
    import httpx

    secret = "sk-live-0123456789abcdefghij"
    with httpx.Client(auth=auth.trusting([oci_endpoint.host])) as client:
        client.get(oci_endpoint.base_url + "/models", headers={"api-key": secret, "OpenAI-Project": PROJECT})
    with httpx.Client() as client:
        client.get(oci_endpoint.base_url + f"/models?key={secret}", headers={"Authorization": f"Bearer {secret}"})
    signed, unsigned = oci_endpoint.requests
    # An Azure-style api-key is removed before signing, as Authorization and X-Api-Key are.
    assert signed.verified and signed.findings == () and "api-key" not in signed.headers
    assert not unsigned.verified and len(unsigned.findings) == 2
    assert all(secret not in finding for finding in signed.findings + unsigned.findings)
    assert foreign_credentials("/x", {"authorization": 'Signature version="1",keyId="a"'}) == ()


def test_the_control_plane_refuses_unsigned_requests_where_the_data_plane_serves_them(auth, compartment_id) -> None:  # type: ignore[no-untyped-def]
    import httpx

    with OciTestEndpoint(require_signature=False) as endpoint, httpx.Client() as client:
        headers = {"Authorization": "Bearer key", "opc-compartment-id": compartment_id, "OpenAI-Project": PROJECT}
        assert client.get(endpoint.base_url + "/models", headers=headers).status_code == 200
        refused = client.get(endpoint.origin + "/20231130/openai/v1/vector_stores", headers=headers)
    assert refused.status_code == 401 and refused.json()["code"] == "NotAuthenticated"
