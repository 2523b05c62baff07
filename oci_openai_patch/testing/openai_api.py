"""The OpenAI-compatible surface of the local endpoint, after the signature check.

What OCI Generative AI's OpenAI-compatible API serves and users' programs call, faithful
enough for openai's own parsers and for libraries built on them: chat completions (with
SSE and tool calls), responses (with the SSE event sequence ``responses.stream()`` and
openai-agents read, tool calls, retrieve, delete, input items), conversations and their
items, embeddings, models, and files (multipart upload, list, retrieve, delete,
content). Stored objects are kept in memory per compartment and conversation store (the
``opc-compartment-id`` and ``opc-conversation-store-id`` headers). Any other route is a
404 with OCI's error document. Replies are deterministic: text echoes the last input.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import itertools
import json
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

EMBEDDING_DIMENSIONS = 8

#: An SSE event: its ``event:`` name (None for chat chunks, which have none) and data.
Event = tuple[str | None, dict[str, Any]]


@dataclass
class Reply:
    """What the endpoint sends back: JSON, raw bytes, or a stream of SSE events."""

    status: int
    payload: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"
    events: Iterator[Event] | None = None
    #: Chat streams end with ``data: [DONE]``; responses streams do not.
    done_marker: bool = False


def error(status: int, code: str, message: str) -> Reply:
    """OCI's error document."""
    return Reply(status, {"code": code, "message": message})


_ids = itertools.count(1)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}{int(time.time() * 1000) % 100000:05d}"


def _reply_text(said: str) -> str:
    return f"Signed request verified by the local OCI endpoint. You said: {said}"


def _last_chat_input(body: dict[str, Any]) -> tuple[str, str]:
    """The last message's role and text."""
    messages = body.get("messages") or []
    if not messages:
        return "user", ""
    last = messages[-1]
    content = last.get("content", "")
    return str(last.get("role", "user")), content if isinstance(content, str) else json.dumps(content)


def _tool_names(body: dict[str, Any]) -> list[str]:
    """Function names offered in ``tools`` (chat's nested and responses' flat shapes)."""
    if body.get("tool_choice") == "none":
        return []
    names = []
    for tool in body.get("tools") or []:
        function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        if tool.get("type") == "function" and function.get("name"):
            names.append(str(function["name"]))
    return names


@dataclass
class _Scope:
    """What one compartment and conversation store hold."""

    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    inputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, tuple[dict[str, Any], bytes]] = field(default_factory=dict)


class OpenAICompatibleAPI:
    """Routes one verified request to its answer; thread-safe."""

    def __init__(self) -> None:
        self._scopes: dict[tuple[str, str], _Scope] = {}
        self._lock = threading.Lock()

    def _scope(self, headers: dict[str, str]) -> _Scope:
        key = (headers.get("opc-compartment-id", ""), headers.get("opc-conversation-store-id", ""))
        with self._lock:
            return self._scopes.setdefault(key, _Scope())

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes, api_path: str) -> Reply:
        route = path.split("?", 1)[0]
        if route.startswith(api_path):
            route = route[len(api_path) :]
        route = "/" + route.strip("/")
        parts = route.strip("/").split("/")
        scope = self._scope(headers)
        if parts[0] == "files":
            return self._files(method, parts[1:], headers, raw, scope)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return error(400, "InvalidParameter", "The body is not JSON")
        if not isinstance(body, dict):
            return error(400, "InvalidParameter", "The body is not a JSON object")
        if route == "/chat/completions" and method == "POST":
            return _chat(body)
        if route == "/embeddings" and method == "POST":
            return Reply(200, _embeddings(body))
        if parts[0] == "models" and method == "GET":
            model = {"id": "local.model", "object": "model", "created": 0, "owned_by": "oci"}
            if len(parts) == 1:
                return Reply(200, {"object": "list", "data": [model]})
            return Reply(200, {**model, "id": "/".join(parts[1:])})
        if parts[0] == "responses":
            return self._responses(method, parts[1:], body, scope)
        if parts[0] == "conversations":
            return self._conversations(method, parts[1:], body, scope)
        return error(404, "NotFound", f"No route for {method} {path.split('?', 1)[0]}")

    # -- responses ---------------------------------------------------------------------

    def _responses(self, method: str, rest: list[str], body: dict[str, Any], scope: _Scope) -> Reply:
        if not rest:
            if method != "POST":
                return error(405, "MethodNotAllowed", f"{method} /responses")
            return self._create_response(body, scope)
        stored = scope.responses.get(rest[0])
        if stored is None:
            return error(404, "NotFound", f"Response {rest[0]} not found")
        if len(rest) == 1 and method == "GET":
            return Reply(200, stored)
        if len(rest) == 1 and method == "DELETE":
            del scope.responses[rest[0]]
            return Reply(200, {"id": rest[0], "object": "response.deleted", "deleted": True})
        if rest[1:] == ["input_items"] and method == "GET":
            return Reply(200, _page(scope.inputs.get(rest[0], [])))
        return error(404, "NotFound", f"No route for {method} /responses/{'/'.join(rest)}")

    def _create_response(self, body: dict[str, Any], scope: _Scope) -> Reply:
        items = _input_items(body.get("input"))
        conversation = body.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
        if conversation_id and conversation_id not in scope.conversations:
            return error(404, "NotFound", f"Conversation {conversation_id} not found")
        said = _said(items)
        tools = _tool_names(body)
        last_is_tool_output = bool(items) and items[-1].get("type") == "function_call_output"
        if tools and not last_is_tool_output:
            call_id = _new_id("call")
            output: dict[str, Any] = {
                "type": "function_call",
                "id": _new_id("fc"),
                "call_id": call_id,
                "name": tools[0],
                "arguments": "{}",
                "status": "completed",
            }
        else:
            output = {
                "type": "message",
                "id": _new_id("msg"),
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": _reply_text(said), "annotations": []}],
            }
        response = {
            "id": _new_id("resp"),
            "object": "response",
            "created_at": int(time.time()),
            "model": body.get("model", "unknown"),
            "status": "completed",
            "parallel_tool_calls": False,
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools", []),
            "previous_response_id": body.get("previous_response_id"),
            "conversation": {"id": conversation_id} if conversation_id else None,
            "output": [output],
            "usage": {
                "input_tokens": 1,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 1,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 2,
            },
        }
        stored_inputs = [{**item, "id": item.get("id") or _new_id("msg")} for item in items]
        if body.get("store", True):
            scope.responses[response["id"]] = response
            scope.inputs[response["id"]] = stored_inputs
        if conversation_id:
            scope.items.setdefault(conversation_id, []).extend([*stored_inputs, output])
        if body.get("stream"):
            return Reply(200, content_type="text/event-stream", events=_response_events(response))
        return Reply(200, response)

    # -- conversations -----------------------------------------------------------------

    def _conversations(self, method: str, rest: list[str], body: dict[str, Any], scope: _Scope) -> Reply:
        if not rest:
            if method != "POST":
                return error(405, "MethodNotAllowed", f"{method} /conversations")
            created: dict[str, Any] = {
                "id": _new_id("conv"),
                "object": "conversation",
                "created_at": int(time.time()),
                "metadata": body.get("metadata") or {},
            }
            scope.conversations[created["id"]] = created
            scope.items[created["id"]] = [
                {**item, "id": item.get("id") or _new_id("msg")} for item in _input_items(body.get("items"))
            ]
            return Reply(200, created)
        conversation = scope.conversations.get(rest[0])
        if conversation is None:
            return error(404, "NotFound", f"Conversation {rest[0]} not found")
        items = scope.items.setdefault(rest[0], [])
        if len(rest) == 1:
            if method == "GET":
                return Reply(200, conversation)
            if method == "POST":
                conversation["metadata"] = body.get("metadata") or {}
                return Reply(200, conversation)
            if method == "DELETE":
                del scope.conversations[rest[0]]
                return Reply(200, {"id": rest[0], "object": "conversation.deleted", "deleted": True})
        if rest[1] == "items" and len(rest) == 2:
            if method == "POST":
                added = [{**item, "id": item.get("id") or _new_id("msg")} for item in _input_items(body.get("items"))]
                items.extend(added)
                return Reply(200, _page(added))
            if method == "GET":
                return Reply(200, _page(items))
        if rest[1] == "items" and len(rest) == 3:
            found = next((item for item in items if item.get("id") == rest[2]), None)
            if found is None:
                return error(404, "NotFound", f"Item {rest[2]} not found")
            if method == "GET":
                return Reply(200, found)
            if method == "DELETE":
                items.remove(found)
                return Reply(200, conversation)
        return error(404, "NotFound", f"No route for {method} /conversations/{'/'.join(rest)}")

    # -- files -------------------------------------------------------------------------

    def _files(self, method: str, rest: list[str], headers: dict[str, str], raw: bytes, scope: _Scope) -> Reply:
        if not rest:
            if method == "GET":
                return Reply(200, _page([meta for meta, _ in scope.files.values()]))
            if method != "POST":
                return error(405, "MethodNotAllowed", f"{method} /files")
            fields = _multipart(headers.get("content-type", ""), raw)
            if fields is None or "file" not in fields:
                return error(400, "InvalidParameter", "Expected multipart/form-data with a file field")
            filename, content = fields["file"]
            meta: dict[str, Any] = {
                "id": _new_id("file"),
                "object": "file",
                "bytes": len(content),
                "created_at": int(time.time()),
                "filename": filename or "upload",
                "purpose": fields.get("purpose", (None, b"user_data"))[1].decode(),
                "status": "processed",
            }
            scope.files[meta["id"]] = (meta, content)
            return Reply(200, meta)
        stored = scope.files.get(rest[0])
        if stored is None:
            return error(404, "NotFound", f"File {rest[0]} not found")
        if len(rest) == 1 and method == "GET":
            return Reply(200, stored[0])
        if len(rest) == 1 and method == "DELETE":
            del scope.files[rest[0]]
            return Reply(200, {"id": rest[0], "object": "file", "deleted": True})
        if rest[1:] == ["content"] and method == "GET":
            return Reply(200, raw=stored[1], content_type="application/octet-stream")
        return error(404, "NotFound", f"No route for {method} /files/{'/'.join(rest)}")


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]] | None:
    """The fields of a multipart/form-data body: name -> (filename, bytes)."""
    if not content_type.startswith("multipart/form-data"):
        return None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"content-type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        return None
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)
            fields[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


def _input_items(given: Any) -> list[dict[str, Any]]:
    """Responses / conversation input as a list of items (a string is one user message)."""
    if given is None:
        return []
    if isinstance(given, str):
        return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": given}]}]
    items = []
    for item in given if isinstance(given, list) else [given]:
        if isinstance(item, dict):
            items.append({"type": "message", **item} if "role" in item and "type" not in item else dict(item))
    return items


def _said(items: list[dict[str, Any]]) -> str:
    """The text of the last input item."""
    if not items:
        return ""
    last = items[-1]
    if last.get("type") == "function_call_output":
        return str(last.get("output", ""))
    content = last.get("content", "")
    if isinstance(content, str):
        return content
    texts = [part.get("text", "") for part in content if isinstance(part, dict)]
    return " ".join(text for text in texts if text) or json.dumps(content)


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": False,
    }


def _response_events(response: dict[str, Any]) -> Iterator[Event]:
    """The event sequence of a streamed response, as the OpenAI Responses API sends it."""
    sequence = itertools.count()
    item = response["output"][0]
    in_progress = {**response, "status": "in_progress", "output": []}
    yield "response.created", {"type": "response.created", "sequence_number": next(sequence), "response": in_progress}
    yield (
        "response.in_progress",
        {
            "type": "response.in_progress",
            "sequence_number": next(sequence),
            "response": in_progress,
        },
    )
    if item["type"] == "message":
        empty = {**item, "status": "in_progress", "content": []}
        yield (
            "response.output_item.added",
            {
                "type": "response.output_item.added",
                "sequence_number": next(sequence),
                "output_index": 0,
                "item": empty,
            },
        )
        part = {"type": "output_text", "text": "", "annotations": []}
        where = {"item_id": item["id"], "output_index": 0, "content_index": 0}
        yield (
            "response.content_part.added",
            {
                "type": "response.content_part.added",
                "sequence_number": next(sequence),
                **where,
                "part": part,
            },
        )
        text = item["content"][0]["text"]
        for index, word in enumerate(text.split(" ")):
            yield (
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "sequence_number": next(sequence),
                    **where,
                    "delta": word if index == 0 else " " + word,
                    "logprobs": [],
                },
            )
        yield (
            "response.output_text.done",
            {
                "type": "response.output_text.done",
                "sequence_number": next(sequence),
                **where,
                "text": text,
                "logprobs": [],
            },
        )
        yield (
            "response.content_part.done",
            {
                "type": "response.content_part.done",
                "sequence_number": next(sequence),
                **where,
                "part": item["content"][0],
            },
        )
    else:
        yield (
            "response.output_item.added",
            {
                "type": "response.output_item.added",
                "sequence_number": next(sequence),
                "output_index": 0,
                "item": {**item, "arguments": "", "status": "in_progress"},
            },
        )
        yield (
            "response.function_call_arguments.delta",
            {
                "type": "response.function_call_arguments.delta",
                "sequence_number": next(sequence),
                "item_id": item["id"],
                "output_index": 0,
                "delta": item["arguments"],
            },
        )
        yield (
            "response.function_call_arguments.done",
            {
                "type": "response.function_call_arguments.done",
                "sequence_number": next(sequence),
                "item_id": item["id"],
                "output_index": 0,
                "name": item["name"],
                "arguments": item["arguments"],
            },
        )
    yield (
        "response.output_item.done",
        {
            "type": "response.output_item.done",
            "sequence_number": next(sequence),
            "output_index": 0,
            "item": item,
        },
    )
    yield "response.completed", {"type": "response.completed", "sequence_number": next(sequence), "response": response}


# -- chat completions and embeddings ----------------------------------------------------


def _chat(body: dict[str, Any]) -> Reply:
    role, said = _last_chat_input(body)
    tools = _tool_names(body)
    base = {"id": _new_id("chatcmpl"), "created": int(time.time()), "model": body.get("model", "unknown")}
    call = None
    if tools and role != "tool":
        call = {"id": _new_id("call"), "type": "function", "function": {"name": tools[0], "arguments": "{}"}}
    text = _reply_text(said)
    if body.get("stream"):
        return Reply(200, content_type="text/event-stream", events=_chat_chunks(base, text, call), done_marker=True)
    message: dict[str, Any] = {"role": "assistant", "content": None if call else text}
    if call:
        message["tool_calls"] = [call]
    words = len(text.split())
    return Reply(
        200,
        {
            **base,
            "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "tool_calls" if call else "stop", "message": message}],
            "usage": {"prompt_tokens": 1, "completion_tokens": words, "total_tokens": 1 + words},
        },
    )


def _chat_chunks(base: dict[str, Any], text: str, call: dict[str, Any] | None) -> Iterator[Event]:
    chunk = {**base, "object": "chat.completion.chunk"}
    if call is not None:
        delta = {"role": "assistant", "tool_calls": [{"index": 0, **call}]}
        yield None, {**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        yield None, {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
        return
    for index, word in enumerate(text.split(" ")):
        piece = word if index == 0 else " " + word
        delta = {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
        yield None, {**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    yield None, {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


def _embeddings(body: dict[str, Any]) -> dict[str, Any]:
    inputs = body.get("input", [])
    items = inputs if isinstance(inputs, list) else [inputs]
    data = []
    for index, item in enumerate(items):
        seed = sum(str(item).encode())
        vector = [((seed * (i + 1)) % 97) / 97.0 for i in range(EMBEDDING_DIMENSIONS)]
        encoded: Any = vector
        if body.get("encoding_format") == "base64":
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    return {
        "object": "list",
        "data": data,
        "model": body.get("model", "unknown"),
        "usage": {"prompt_tokens": len(items), "total_tokens": len(items)},
    }
