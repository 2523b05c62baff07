"""A redirect of a signed request never carries OCI headers to another origin.

The signed endpoint answers the first request with a 307 to a second, foreign endpoint
(another port: another origin). The foreign one must receive no signature, no delegation
token, no compartment or conversation-store header and no project OCID; with httpx and
httpx2, sync and async, through the auth classes on the caller's own client and through a
zero-code openai client in a fresh interpreter.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fresh import clean_env, run_program
from libraries import LIBRARIES

from oci_openai_patch import OciUserPrincipalAuth
from oci_openai_patch.testing import OciTestEndpoint, RecordedRequest, make_api_key_profile
from oci_openai_patch.transport.redirects import is_oci_signed

OCI_HEADERS = {
    "opc-obo-token": "delegation-token-not-for-others",
    "CompartmentId": "ocid1.compartment.oc1..aaaaredirect",
    "opc-compartment-id": "ocid1.compartment.oc1..aaaaredirect",
    "opc-conversation-store-id": "ocid1.generativeaiconversationstore.oc1.iad.aaaa",
    "OpenAI-Project": "ocid1.generativeaiproject.oc1.us-chicago-1.aaaaredirect",
}


def assert_nothing_oci(request: RecordedRequest) -> None:
    headers = request.headers
    assert not is_oci_signed(headers), headers.get("authorization")
    for name in OCI_HEADERS:
        assert name.lower() not in headers, name
    assert "x-content-sha256" not in headers


@pytest.fixture
def endpoints() -> Iterator[tuple[OciTestEndpoint, OciTestEndpoint]]:
    with OciTestEndpoint() as signed, OciTestEndpoint(require_signature=False) as foreign:
        yield signed, foreign


@pytest.mark.parametrize("library_name", LIBRARIES)
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("status", [307, 302])
def test_the_auth_classes_on_a_following_client(
    endpoints: tuple[OciTestEndpoint, OciTestEndpoint], tmp_path: Path, library_name: str, mode: str, status: int
) -> None:
    library: Any = importlib.import_module(library_name)
    signed, foreign = endpoints
    profile = make_api_key_profile(tmp_path, signed.verifier)
    auth = OciUserPrincipalAuth(config_file=profile.config_file, hosts=[signed.host])
    signed.redirect_next(foreign.base_url + "/models", status=status)
    url = signed.base_url + "/chat/completions"
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    if mode == "sync":
        with library.Client(auth=auth, headers=OCI_HEADERS, follow_redirects=True) as client:
            reply = client.post(url, json=body)
    else:

        async def send() -> Any:
            async with library.AsyncClient(auth=auth, headers=OCI_HEADERS, follow_redirects=True) as client:
                return await client.post(url, json=body)

        reply = asyncio.run(send())
    assert is_oci_signed(signed.requests[0].headers)  # the first hop was signed, with the OCI headers
    assert signed.requests[0].headers["opc-obo-token"] == OCI_HEADERS["opc-obo-token"]
    assert len(foreign.requests) == 1 and str(reply.url) == foreign.base_url + "/models"
    assert_nothing_oci(foreign.requests[0])


def test_a_same_origin_hop_keeps_what_was_signed(
    endpoints: tuple[OciTestEndpoint, OciTestEndpoint], tmp_path: Path
) -> None:
    import httpx

    signed, _ = endpoints
    profile = make_api_key_profile(tmp_path, signed.verifier)
    auth = OciUserPrincipalAuth(config_file=profile.config_file, hosts=[signed.host])
    signed.redirect_next(signed.base_url + "/models", status=307)
    with httpx.Client(auth=auth, headers=OCI_HEADERS, follow_redirects=True) as client:
        client.post(signed.base_url + "/chat/completions", json={"model": "m"})
    hop = signed.requests[1]
    assert hop.target == "/openai/v1/models" and hop.headers["opc-obo-token"] == OCI_HEADERS["opc-obo-token"]


PROGRAM = """
import openai
client = openai.OpenAI()
print(client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}]).id)
"""

ASYNC_PROGRAM = """
import asyncio, openai
async def main():
    client = openai.AsyncOpenAI()
    print((await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])).id)
asyncio.run(main())
"""


@pytest.mark.parametrize("program", [PROGRAM, ASYNC_PROGRAM], ids=["sync", "async"])
def test_a_zero_code_client_follows_without_oci_headers(
    endpoints: tuple[OciTestEndpoint, OciTestEndpoint], tmp_path: Path, program: str
) -> None:
    signed, foreign = endpoints
    profile = make_api_key_profile(tmp_path, signed.verifier)
    signed.redirect_next(foreign.base_url + "/chat/completions", status=307)
    env = clean_env(
        OCI_OPENAI_AUTH="user_principal",
        OCI_OPENAI_CONFIG_FILE=profile.config_file,
        OCI_OPENAI_HOSTS=signed.host,
        OPENAI_BASE_URL=signed.base_url,
        OCI_OPENAI_PROJECT_ID=OCI_HEADERS["OpenAI-Project"],
        OCI_OPENAI_COMPARTMENT_ID=OCI_HEADERS["CompartmentId"],
        OPENAI_API_KEY="sk-app-key",
    )
    assert run_program(program, env).strip().startswith("chatcmpl_")
    assert signed.requests[0].headers["openai-project"] == OCI_HEADERS["OpenAI-Project"]
    assert len(foreign.requests) == 1
    assert_nothing_oci(foreign.requests[0])


AUTH_FLOW = """
import os, sys
import httpx
from oci_openai_patch import OciUserPrincipalAuth
auth = OciUserPrincipalAuth(config_file=os.environ["CONFIG"], hosts=[os.environ["HOST"]])
request = httpx.Request(
    "POST", os.environ["URL"], json={"model": "m", "messages": []},
    headers={"Authorization": "Bearer sk-app-key", "X-Api-Key": "sk-app-key"},
)
signed = next(auth.auth_flow(request))
print(httpx.Client().send(signed).status_code)
foreign = next(auth.auth_flow(httpx.Request("GET", "https://example.invalid/x", headers={"Authorization": "Bearer k"})))
print(foreign.headers["authorization"])
"""


def test_auth_flow_called_directly_signs(endpoints: tuple[OciTestEndpoint, OciTestEndpoint], tmp_path: Path) -> None:
    signed, _ = endpoints
    profile = make_api_key_profile(tmp_path, signed.verifier)
    env = clean_env(CONFIG=profile.config_file, HOST=signed.host, URL=signed.base_url + "/chat/completions")
    assert run_program(AUTH_FLOW, env).split() == ["200", "Bearer", "k"]
    request = signed.requests[0]
    assert request.verified and "x-api-key" not in request.headers and not request.findings
