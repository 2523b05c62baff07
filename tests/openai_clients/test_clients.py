"""OciOpenAI, AsyncOciOpenAI and the native pattern, verified by the local endpoint."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import openai
import pytest
from libraries import LIBRARIES

from oci_openai_patch import (
    AsyncOciOpenAI,
    ConfigurationError,
    OciOpenAI,
    OciSessionAuth,
    OciUserPrincipalAuth,
)
from oci_openai_patch.testing import OciTestEndpoint

MESSAGES: Any = [{"role": "user", "content": "hello"}]


def _assert_all_verified(endpoint: OciTestEndpoint, count: int) -> None:
    assert len(endpoint.requests) == count
    for request in endpoint.requests:
        assert request.verified, request.reason
        assert not request.headers["authorization"].startswith("Bearer")


def test_oci_openai_chat_stream_responses_embeddings(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    auth = OciUserPrincipalAuth(profile_name="DEFAULT", config_file=oci_api_key_profile.config_file)
    client = OciOpenAI(
        auth=auth,
        base_url=oci_endpoint.base_url,
        compartment_id=compartment_id,
        conversation_store_id="ocid1.conversationstore.oc1..s",
    )
    reply = client.chat.completions.create(model="m", messages=MESSAGES)
    assert "You said: hello" in (reply.choices[0].message.content or "")
    chunks = [
        c.choices[0].delta.content
        for c in client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        if c.choices
    ]
    assert "".join(x for x in chunks if x).endswith("You said: hello")
    assert "You said: story" in client.responses.create(model="m", input="story").output_text
    assert len(client.embeddings.create(model="m", input=["a", "b"]).data) == 2
    _assert_all_verified(oci_endpoint, 4)
    first = oci_endpoint.requests[0]
    assert first.key_id == oci_api_key_profile.key_id
    assert first.headers["compartmentid"] == compartment_id
    assert first.headers["opc-compartment-id"] == compartment_id
    assert first.headers["opc-conversation-store-id"] == "ocid1.conversationstore.oc1..s"


def test_async_oci_openai_with_session_streaming(oci_endpoint, oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    auth = OciSessionAuth(config_file=oci_session_profile.config_file)

    async def main() -> str:
        client = AsyncOciOpenAI(auth=auth, base_url=oci_endpoint.base_url)
        stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        await client.responses.create(model="m", input="x")
        await client.embeddings.create(model="m", input="x")
        return text

    assert asyncio.run(main()).endswith("You said: hello")
    _assert_all_verified(oci_endpoint, 3)
    assert oci_endpoint.requests[0].key_id == "ST$" + oci_session_profile.token


@pytest.mark.parametrize("library", LIBRARIES)
def test_native_openai_client_with_auth_on_its_http_client(library, oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    if library == "httpx2" and int(openai.__version__.split(".")[0]) < 3:
        pytest.skip(f"openai {openai.__version__} takes no httpx2 client (httpx2 is here for another library)")
    lib = importlib.import_module(library)
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file, hosts=[oci_endpoint.host])
    client = openai.OpenAI(api_key="OCI", base_url=oci_endpoint.base_url, http_client=lib.Client(auth=auth))
    assert client.chat.completions.create(model="m", messages=MESSAGES).choices
    chunks = list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    assert chunks

    async def main() -> None:
        async_client = openai.AsyncOpenAI(
            api_key="OCI", base_url=oci_endpoint.base_url, http_client=lib.AsyncClient(auth=auth)
        )
        await async_client.chat.completions.create(model="m", messages=MESSAGES)
        stream = await async_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        assert [c async for c in stream]

    asyncio.run(main())
    _assert_all_verified(oci_endpoint, 4)


def test_foreign_host_is_not_signed_and_keeps_its_authorization(
    oci_endpoint,
    oci_api_key_profile,  # type: ignore[no-untyped-def]
    compartment_id,
) -> None:
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
    with OciTestEndpoint() as foreign:
        client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url, api_key="sk-foreign")
        client.models.list()
        other = client.with_options(base_url=foreign.base_url)
        with pytest.raises(openai.AuthenticationError):
            other.models.list()
        plain = openai.OpenAI(api_key="sk-plain", base_url=foreign.base_url, http_client=client._client)
        with pytest.raises(openai.AuthenticationError):
            plain.models.list()
        assert [r.headers["authorization"] for r in foreign.requests] == ["Bearer sk-foreign", "Bearer sk-plain"]
        assert all("date" not in r.headers or "x-content-sha256" not in r.headers for r in foreign.requests)
    _assert_all_verified(oci_endpoint, 1)


def test_percent_encoded_paths_verify_as_sent(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
    client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url)
    for target in ("/models/a%20b", "/models/x%2Fy?q=%7E", "/models/~tilde?s=a%20b&t=~"):
        response = client._client.get(oci_endpoint.base_url + target, auth=client.custom_auth)
        assert response.status_code == 200, response.text
    assert [r.target for r in oci_endpoint.requests] == [
        "/openai/v1/models/a%20b",
        "/openai/v1/models/x%2Fy?q=%7E",
        "/openai/v1/models/~tilde?s=a%20b&t=~",
    ]
    _assert_all_verified(oci_endpoint, 3)


def test_401_refreshes_the_session_once_and_retries(oci_endpoint, oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    auth = OciSessionAuth(config_file=oci_session_profile.config_file)
    client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url, max_retries=0)
    client.models.list()
    new_token = oci_session_profile.rotate()
    client.models.list()
    outcomes = [(r.verified, r.key_id) for r in oci_endpoint.requests]
    assert outcomes[1][0] is False and outcomes[2] == (True, "ST$" + new_token)
    assert len(outcomes) == 3


def test_persistent_401_is_retried_exactly_once(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
    client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url, max_retries=0)
    oci_endpoint.fail_next(401, count=5, code="NotAuthenticated")
    with pytest.raises(openai.AuthenticationError, match="injected 401"):
        client.models.list()
    assert len(oci_endpoint.requests) == 2
    assert oci_endpoint.requests[1].headers["authorization"].startswith("Signature ")


def test_region_and_compartment_rules(oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
    with pytest.raises(ConfigurationError, match="compartment_id"):
        OciOpenAI(auth=auth, region="us-chicago-1")
    client = OciOpenAI(auth=auth, region="eu-frankfurt-2", compartment_id=compartment_id, api="actions")
    assert (
        str(client.base_url) == "https://inference.generativeai.eu-frankfurt-2.oci.oraclecloud.eu/20231130/actions/v1/"
    )
    model_deployment = OciOpenAI(
        auth=auth, base_url="https://modeldeployment.us-ashburn-1.oci.customer-oci.com/ocid1.x/predict/v1"
    )
    assert model_deployment.api_key
    # No endpoint given: the profile's region (us-chicago-1) decides, and Generative AI needs a compartment.
    with pytest.raises(ConfigurationError, match="compartment_id"):
        OciOpenAI(auth=auth)
    with pytest.raises(ConfigurationError, match="auth="):
        OciOpenAI(base_url="https://modeldeployment.us-ashburn-1.oci.customer-oci.com/x")


def test_copy_keeps_auth_and_compartment(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
    client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url, compartment_id=compartment_id)
    client.with_options(timeout=5).models.list()
    client.copy(max_retries=1).models.list()
    _assert_all_verified(oci_endpoint, 2)
    assert all(r.headers["opc-compartment-id"] == compartment_id for r in oci_endpoint.requests)
