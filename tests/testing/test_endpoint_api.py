"""The local endpoint serves what users call, through an unmodified openai client, signed.

Responses (streamed with the event sequence ``responses.stream()`` reads, retrieved,
deleted, their input items, multi-turn), conversations and their items, tool calls in
chat and responses, files (multipart), and OCI's 404 for anything else, each after the
signature check.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from oci_openai_patch import OciOpenAI, OciUserPrincipalAuth
from oci_openai_patch.testing import OciTestEndpoint

OTHER_COMPARTMENT = "ocid1.compartment.oc1..aaaaothercompartment"
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}


@pytest.fixture
def client(oci_endpoint: OciTestEndpoint, oci_api_key_profile: Any, compartment_id: str) -> OciOpenAI:
    auth = OciUserPrincipalAuth(oci_api_key_profile.config_file, hosts=[oci_endpoint.host])
    return OciOpenAI(auth=auth, base_url=oci_endpoint.base_url, compartment_id=compartment_id, max_retries=0)


def test_a_streamed_response_carries_the_event_sequence(client: OciOpenAI, oci_endpoint: OciTestEndpoint) -> None:
    with client.responses.stream(model="m", input="stream this") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert kinds.count("response.output_text.delta") > 3
    assert final.output_text.endswith("You said: stream this")
    assert all(request.verified for request in oci_endpoint.requests)


def test_responses_are_stored_retrieved_listed_and_deleted(client: OciOpenAI, oci_endpoint: OciTestEndpoint) -> None:
    first = client.responses.create(model="m", input="first turn")
    second = client.responses.create(model="m", input="second turn", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert client.responses.retrieve(first.id).output_text == first.output_text
    items = client.responses.input_items.list(first.id)
    assert [item.content[0].text for item in items.data] == ["first turn"]  # type: ignore[union-attr]
    client.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)
    assert all(request.verified for request in oci_endpoint.requests)


def test_conversations_and_their_items(client: OciOpenAI, oci_endpoint: OciTestEndpoint) -> None:
    conversation = client.conversations.create(
        metadata={"topic": "demo"}, items=[{"type": "message", "role": "user", "content": "Hello!"}]
    )
    assert client.conversations.retrieve(conversation.id).metadata == {"topic": "demo"}
    assert client.conversations.update(conversation.id, metadata={"topic": "changed"}).metadata == {"topic": "changed"}
    added = client.conversations.items.create(
        conversation.id, items=[{"type": "message", "role": "user", "content": "Another"}]
    )
    client.responses.create(model="m", input="in the conversation", conversation=conversation.id)
    listed = client.conversations.items.list(conversation.id)
    assert len(listed.data) == 4  # the first item, the added one, the response's input and output
    item = client.conversations.items.retrieve(added.data[0].id, conversation_id=conversation.id)
    assert item.id == added.data[0].id
    client.conversations.items.delete(added.data[0].id, conversation_id=conversation.id)
    assert len(client.conversations.items.list(conversation.id).data) == 3
    assert client.conversations.delete(conversation.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)
    assert all(request.verified for request in oci_endpoint.requests)


def test_conversations_are_kept_per_compartment(client: OciOpenAI) -> None:
    conversation = client.conversations.create()
    elsewhere = client.with_options(default_headers={"opc-compartment-id": OTHER_COMPARTMENT})
    with pytest.raises(openai.NotFoundError):
        elsewhere.conversations.retrieve(conversation.id)


def test_chat_tool_calls_then_the_answer(client: OciOpenAI) -> None:
    messages: Any = [{"role": "user", "content": "weather?"}]
    asked = client.chat.completions.create(model="m", messages=messages, tools=[WEATHER_TOOL])
    call = asked.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather" and asked.choices[0].finish_reason == "tool_calls"  # type: ignore[union-attr]
    messages += [asked.choices[0].message, {"role": "tool", "tool_call_id": call.id, "content": "sunny"}]
    answered = client.chat.completions.create(model="m", messages=messages, tools=[WEATHER_TOOL])
    assert answered.choices[0].message.content.endswith("You said: sunny")  # type: ignore[union-attr]
    streamed = client.chat.completions.create(model="m", messages=messages[:1], tools=[WEATHER_TOOL], stream=True)
    names = [d.function.name for c in streamed for d in (c.choices[0].delta.tool_calls or []) if c.choices]  # type: ignore[union-attr]
    assert names == ["get_weather"]


def test_responses_function_calling(client: OciOpenAI) -> None:
    tool: Any = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}
    asked = client.responses.create(model="m", input="weather?", tools=[tool])
    call = asked.output[0]
    assert call.type == "function_call" and call.name == "get_weather"
    answered = client.responses.create(
        model="m",
        previous_response_id=asked.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
        tools=[tool],
    )
    assert answered.output_text.endswith("You said: sunny")


def test_files_multipart(client: OciOpenAI, oci_endpoint: OciTestEndpoint) -> None:
    uploaded = client.files.create(file=("notes.jsonl", b'{"a": 1}\n'), purpose="batch")
    assert (uploaded.filename, uploaded.bytes, uploaded.purpose) == ("notes.jsonl", 9, "batch")
    assert [f.id for f in client.files.list()] == [uploaded.id]
    assert client.files.retrieve(uploaded.id).filename == "notes.jsonl"
    assert client.files.content(uploaded.id).content == b'{"a": 1}\n'
    assert client.files.delete(uploaded.id).deleted
    assert all(request.verified for request in oci_endpoint.requests)


def test_any_other_route_is_ocis_404_after_the_signature_check(
    client: OciOpenAI, oci_endpoint: OciTestEndpoint
) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.batches.retrieve("batch_1")
    assert caught.value.body == {"code": "NotFound", "message": "No route for GET /openai/v1/batches/batch_1"}
    assert oci_endpoint.requests[-1].verified
    unsigned = openai.OpenAI(api_key="sk-x", base_url=oci_endpoint.base_url, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        unsigned.batches.retrieve("batch_1")
