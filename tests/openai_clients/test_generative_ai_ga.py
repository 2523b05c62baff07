"""OCI Generative AI as Oracle documents it since GA: projects, the control plane, the agent surface.

The programs are written as Oracle's docs write them: real host names of both planes (and
a ``ppe.`` host), a project and no compartment, the app's own ``OPENAI_API_KEY`` set. They
run in fresh interpreters with only environment variables for the shim, against the local
endpoint over TLS, with those names resolved to it on loopback (:mod:`.testing.names`).
Every request must be verified by the endpoint, carry the project, and never the app's key.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fresh import clean_env, run_program

from oci_openai_patch.testing import OciTestEndpoint, TestCertificateAuthority
from oci_openai_patch.testing.profiles import make_api_key_profile, make_session_profile

APP_KEY = "sk-app-secret-never-to-oci"
PROJECT = "ocid1.generativeaiproject.oc1.us-chicago-1.aaaagaproject"
DATA = "inference.generativeai.us-chicago-1.oci.oraclecloud.com"
CONTROL = "generativeai.us-chicago-1.oci.oraclecloud.com"
PPE_DATA = "ppe." + DATA
NAMES = (DATA, CONTROL, PPE_DATA, "ppe." + CONTROL)
DEDICATED = "ocid1.generativeaiendpoint.oc1.us-chicago-1.aaaadedicated"


@dataclass
class RealHosts:
    endpoint: OciTestEndpoint
    ca_file: Path
    root: Path

    def prelude(self) -> str:
        """Resolve OCI's names to the endpoint (the program itself stays as written)."""
        routes = {name: int(self.endpoint.host.rpartition(":")[2]) for name in NAMES}
        return f"from oci_openai_patch.testing.names import route_to_loopback\nroute_to_loopback({routes!r})\n"

    def env(self, auth: str) -> dict[str, str]:
        if auth == "session":
            profile = make_session_profile(self.root / "session", self.endpoint.verifier)
        else:
            profile = make_api_key_profile(self.root / "api-key", self.endpoint.verifier)
        return clean_env(
            OCI_OPENAI_AUTH=auth,
            OCI_OPENAI_CONFIG_FILE=profile.config_file,
            OCI_OPENAI_PROJECT_ID=PROJECT,
            OCI_OPENAI_MODEL_MAP="gpt-4o=openai.gpt-oss-120b",
            OPENAI_API_KEY=APP_KEY,
            OPENAI_BASE_URL=f"https://{DATA}/openai/v1",
            SSL_CERT_FILE=str(self.ca_file),
        )

    def run(self, code: str, auth: str = "user_principal") -> str:
        return run_program(self.prelude() + textwrap.dedent(code), self.env(auth))

    def assert_all_signed_and_scoped(self) -> None:
        requests = self.endpoint.requests
        assert requests
        for request in requests:
            assert request.verified, (request.target, request.reason)
            assert not request.findings, request.findings
            assert APP_KEY not in repr(request.headers)
            assert request.headers["host"] in NAMES, request.headers["host"]
            assert request.headers.get("openai-project") == PROJECT, request.target
            if request.target.startswith("/openai/v1"):
                assert "compartmentid" not in request.headers and "opc-compartment-id" not in request.headers


@pytest.fixture
def real_hosts(tmp_path: Path) -> Iterator[RealHosts]:
    authority = TestCertificateAuthority()
    context = authority.server_context(tmp_path / "tls", *NAMES)
    with OciTestEndpoint(ssl_context=context, require_scope=True) as endpoint:
        yield RealHosts(endpoint, authority.write_certificate(tmp_path / "ca.pem"), tmp_path)


@pytest.mark.parametrize("auth", ["user_principal", "session"])
def test_chat_responses_conversations_and_files_with_a_project_alone(real_hosts: RealHosts, auth: str) -> None:
    out = real_hosts.run(
        """
        from openai import OpenAI
        client = OpenAI()
        chat = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        print("chat:", chat.choices[0].message.content)
        stream = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "s"}], stream=True)
        print("chat stream:", "".join(c.choices[0].delta.content or "" for c in stream if c.choices))
        print("responses:", client.responses.create(model="gpt-4o", input="a story").output_text)
        with client.responses.stream(model="gpt-4o", input="streamed") as events:
            print("responses stream:", events.get_final_response().output_text)
        conversation = client.conversations.create(metadata={"memory": "long-term"}, items=[
            {"type": "message", "role": "user", "content": "remember blue"}])
        client.responses.create(model="gpt-4o", input="what colour?", conversation=conversation.id)
        client.conversations.items.create(conversation.id, items=[{"type": "message", "role": "user", "content": "x"}])
        print("conversation:", client.conversations.retrieve(conversation.id).metadata,
              len(client.conversations.items.list(conversation.id).data))
        uploaded = client.files.create(file=("notes.txt", b"hello file"), purpose="user_data")
        print("files:", [f.id for f in client.files.list()] == [uploaded.id], client.files.content(uploaded.id).read())
        unstored = client.responses.create(model="gpt-4o", input="forget me", store=False)
        try:
            client.responses.retrieve(unstored.id)
        except Exception as error:
            print("store=False:", type(error).__name__)
        """,
        auth,
    )
    assert "chat: Signed request verified by the local OCI endpoint. You said: hi" in out
    assert "chat stream: Signed request verified by the local OCI endpoint. You said: s" in out
    assert "responses stream: Signed request verified by the local OCI endpoint. You said: streamed" in out
    assert "conversation: {'memory': 'long-term'} 4" in out
    assert "files: True b'hello file'" in out
    assert "store=False: NotFoundError" in out
    real_hosts.assert_all_signed_and_scoped()
    models = [json.loads(r.body).get("model") for r in real_hosts.endpoint.requests if r.body.startswith(b"{")]
    assert "openai.gpt-oss-120b" in models and "gpt-4o" not in models


def test_vector_stores_on_the_control_plane_and_file_search(real_hosts: RealHosts) -> None:
    out = real_hosts.run(
        f"""
        from openai import OpenAI
        data = OpenAI()
        control = OpenAI(base_url="https://{CONTROL}/20231130/openai/v1", api_key="not-used",
                         default_headers={{"opc-compartment-id": "ocid1.compartment.oc1..aaaaprogram"}})
        doc = data.files.create(file=("france.txt", b"Paris is the capital of France.\\n\\nBananas are yellow."),
                                purpose="assistants")
        other = data.files.create(file=("moon.txt", b"The moon orbits the earth."), purpose="assistants")
        first = control.vector_stores.create(name="first")
        store = control.vector_stores.create(name="docs", metadata={{"team": "a"}})
        print("page:", [s.name for s in control.vector_stores.list(limit=1, order="asc").data])
        print("all pages:", [s.name for s in control.vector_stores.list(limit=1, order="asc")])
        page = control.vector_stores.list(limit=1, order="asc", after=first.id)
        print("after:", [s.name for s in page.data])
        print("update:", control.vector_stores.update(store.id, name="docs2").name)
        batch = control.vector_stores.file_batches.create_and_poll(store.id, file_ids=[doc.id])
        listed = control.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)
        print("batch:", batch.status, batch.file_counts.completed, [f.id == doc.id for f in listed])
        print("cancel:", control.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id).status)
        added = control.vector_stores.files.create(store.id, file_id=other.id)
        print("files:", sorted(f.id for f in control.vector_stores.files.list(store.id)) == sorted([doc.id, other.id]),
              control.vector_stores.files.retrieve(added.id, vector_store_id=store.id).status)
        control.vector_stores.files.delete(added.id, vector_store_id=store.id)
        print("search:", data.vector_stores.search(store.id, query="capital of France").data[0].content[0].text)
        answer = data.responses.create(model="gpt-4o", input="What is the capital of France?",
                                       tools=[{{"type": "file_search", "vector_store_ids": [store.id]}}])
        print("file_search:", [item.type for item in answer.output], answer.output_text)
        print("citation:", answer.output[-1].content[0].annotations[0].filename)
        print("retrieve:", control.vector_stores.retrieve(store.id).file_counts.completed)
        print("delete:", control.vector_stores.delete(first.id).deleted)
        """
    )
    assert "page: ['first']" in out
    assert "all pages: ['first', 'docs']" in out
    assert "after: ['docs']" in out
    assert "update: docs2" in out
    assert "batch: completed 1 [True]" in out
    assert "cancel: completed" in out
    assert "files: True completed" in out
    assert "search: Paris is the capital of France." in out
    assert "file_search: ['file_search_call', 'message']" in out
    assert "From france.txt: Paris is the capital of France." in out
    assert "citation: france.txt" in out
    assert "retrieve: 1" in out
    assert "delete: True" in out
    real_hosts.assert_all_signed_and_scoped()
    control = [r for r in real_hosts.endpoint.requests if r.target.startswith("/20231130/openai/v1")]
    assert control and all(r.headers["host"] == CONTROL for r in control)
    assert all(r.headers["opc-compartment-id"] == "ocid1.compartment.oc1..aaaaprogram" for r in control)


def test_structured_output_functions_mcp_dedicated_model_and_ppe_host(real_hosts: RealHosts) -> None:
    out = real_hosts.run(
        f"""
        import json
        from openai import OpenAI
        from pydantic import BaseModel

        class Weather(BaseModel):
            city: str
            celsius: int
            windy: bool

        client = OpenAI()
        print("parse:", client.responses.parse(model="gpt-4o", input="weather", text_format=Weather).output_parsed)
        chat = client.chat.completions.parse(model="gpt-4o", messages=[{{"role": "user", "content": "w"}}],
                                             response_format=Weather)
        print("chat parse:", chat.choices[0].message.parsed)
        tool = {{"type": "function", "name": "get_weather", "parameters": {{"type": "object",
                 "properties": {{"location": {{"type": "string"}}, "unit": {{"type": "string", "enum": ["c", "f"]}}}},
                 "required": ["location", "unit"], "additionalProperties": False}}}}
        call = client.responses.create(model="gpt-4o", input="weather in Paris", tools=[tool]).output[0]
        print("function:", call.name, sorted(json.loads(call.arguments).items()))
        after = client.responses.create(model="gpt-4o", input=[{{"type": "function_call_output",
                                         "call_id": call.call_id, "output": "sunny"}}], tools=[tool])
        print("after tool:", after.output_text)
        mcp = {{"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example/sse",
               "require_approval": "always"}}
        asked = client.responses.create(model="gpt-4o", input="look it up", tools=[mcp])
        request = next(item for item in asked.output if item.type == "mcp_approval_request")
        print("mcp asked:", [item.type for item in asked.output])
        done = client.responses.create(model="gpt-4o", previous_response_id=asked.id, tools=[mcp],
            input=[{{"type": "mcp_approval_response", "approval_request_id": request.id, "approve": True}}])
        print("mcp done:", [item.type for item in done.output], done.output[0].approval_request_id == request.id)
        print("dedicated:", client.chat.completions.create(model="{DEDICATED}",
              messages=[{{"role": "user", "content": "d"}}]).model)
        ppe = OpenAI(base_url="https://{PPE_DATA}/openai/v1")
        print("ppe:", ppe.responses.create(model="gpt-4o", input="pre-production").output_text)
        """
    )
    assert "parse: city='weather' celsius=1 windy=True" in out
    assert "chat parse: city='w' celsius=1 windy=True" in out
    assert "function: get_weather [('location', 'weather in Paris'), ('unit', 'c')]" in out
    assert "after tool: Signed request verified by the local OCI endpoint. You said: sunny" in out
    assert "mcp asked: ['mcp_list_tools', 'mcp_approval_request']" in out
    assert "mcp done: ['mcp_call', 'message'] True" in out
    assert f"dedicated: {DEDICATED}" in out
    assert "ppe: Signed request verified by the local OCI endpoint. You said: pre-production" in out
    real_hosts.assert_all_signed_and_scoped()
    assert any(r.headers["host"] == PPE_DATA for r in real_hosts.endpoint.requests)


def test_without_a_project_the_data_plane_is_refused_with_oci_error(real_hosts: RealHosts) -> None:
    """The endpoint answers OCI's 400 to a data-plane request with neither scope header."""
    out = real_hosts.run(
        f"""
        import httpx
        from oci_openai_patch import OciUserPrincipalAuth
        import os
        auth = OciUserPrincipalAuth(os.environ["OCI_OPENAI_CONFIG_FILE"])
        with httpx.Client(auth=auth) as client:
            bare = client.get("https://{DATA}/openai/v1/models")
            print(bare.status_code, bare.json()["code"])
            scoped = client.get("https://{DATA}/openai/v1/models", headers={{"OpenAI-Project": "{PROJECT}"}})
            print(scoped.status_code)
            listed = client.get("https://{CONTROL}/20231130/openai/v1/vector_stores")
            print(listed.status_code, listed.json()["code"])
        """
    )
    assert out.split("\n")[:3] == ["400 MissingParameter", "200", "400 MissingParameter"]
    assert all(r.verified for r in real_hosts.endpoint.requests)
