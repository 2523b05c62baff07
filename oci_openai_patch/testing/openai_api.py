"""The OpenAI-compatible surface of the local endpoint, after the signature check.

What OCI Generative AI's OpenAI-compatible API serves and users' programs call, faithful
enough for openai's own parsers and for libraries built on them.

- The data plane (``/openai/v1``): chat completions (SSE, tool calls, structured output),
  responses (the SSE event sequence ``responses.stream()`` and openai-agents read, function
  calls with schema-valid arguments, the hosted tools of :mod:`.hosted_tools`, structured
  output, retrieve, delete, input items; ``store=False`` is not kept), conversations and
  their items, embeddings, models, files (multipart upload, list, retrieve, delete,
  content), vector-store files and search. Every request needs a project
  (``OpenAI-Project``) or the older compartment header; each scope keeps its own objects.
- The control plane (``/20231130/openai/v1``): vector stores, their files and file
  batches (:mod:`.vector_stores`); create and list need ``opc-compartment-id``.

Any other route is a 404 with OCI's error document. Replies are deterministic: text
echoes the last input.
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
from urllib.parse import parse_qsl

from .hosted_tools import ToolRun, approved_calls, function_arguments, function_tools, run_hosted_tools, tool_name
from .json_schema import example_for
from .pages import Event, Reply, error, new_id, page
from .vector_stores import VectorStores

#: The control plane's OpenAI-compatible root (the data plane's is the endpoint's ``api_path``).
CONTROL_API_PATH = "/20231130/openai/v1"

EMBEDDING_DIMENSIONS = 8


def _reply_text(said: str) -> str:
    return f"Signed request verified by the local OCI endpoint. You said: {said}"


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """The JSON object a body holds (an empty body is an empty object), else None."""
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _answer_text(text_config: Any, plain: str, said: str) -> str:
    """The assistant's text: JSON valid against a ``json_schema`` format (structured output,
    ``responses.parse`` / ``chat.completions.parse``), a JSON object for ``json_object``,
    else ``plain``. ``text_config`` is responses' ``text`` or chat's ``response_format``."""
    if not isinstance(text_config, dict):
        return plain
    fmt = text_config.get("format", text_config)
    if not isinstance(fmt, dict):
        return plain
    if fmt.get("type") == "json_schema":
        schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema") or {}
        return json.dumps(example_for(schema, hint=said))
    if fmt.get("type") == "json_object":
        return json.dumps({"reply": plain})
    return plain


def _text_of(content: Any) -> str:
    """The text of a message's content: a string, or its text parts, with the images and
    files it carries (a URL, base64 data or a file id) counted."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return json.dumps(content)
    texts, attachments = [], 0
    for part in content:
        if not isinstance(part, dict):
            continue
        if part.get("text"):
            texts.append(str(part["text"]))
        elif part.get("type") in ("input_image", "image_url", "input_file", "file", "input_audio"):
            attachments += 1
    text = " ".join(texts)
    if attachments:
        text = f"{text} (with {attachments} attachment{'s' if attachments > 1 else ''})".strip()
    return text


def _last_chat_input(body: dict[str, Any]) -> tuple[str, str]:
    """The last message's role and text."""
    messages = body.get("messages") or []
    if not messages:
        return "user", ""
    last = messages[-1]
    return str(last.get("role", "user")), _text_of(last.get("content", ""))


@dataclass
class _Scope:
    """What one project (or, in the older form, one compartment and conversation store) holds."""

    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    inputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, tuple[dict[str, Any], bytes]] = field(default_factory=dict)
    #: MCP approval requests waiting for their ``mcp_approval_response``.
    approvals: dict[str, dict[str, Any]] = field(default_factory=dict)


class OpenAICompatibleAPI:
    """Routes one verified request to its answer; thread-safe."""

    def __init__(self) -> None:
        self._scopes: dict[tuple[str, ...], _Scope] = {}
        self._lock = threading.Lock()
        self.vector_stores = VectorStores(self._find_file)

    def _scope(self, headers: dict[str, str]) -> _Scope | None:
        """The project's objects, else the compartment's (the older form), else None."""
        project = headers.get("openai-project", "")
        compartment = headers.get("opc-compartment-id") or headers.get("compartmentid", "")
        if project:
            key: tuple[str, ...] = ("project", project)
        elif compartment:
            key = ("compartment", compartment, headers.get("opc-conversation-store-id", ""))
        else:
            return None
        with self._lock:
            return self._scopes.setdefault(key, _Scope())

    def _find_file(self, file_id: str) -> tuple[dict[str, Any], bytes] | None:
        """A file by id in any scope: vector stores on the control plane name data-plane files."""
        with self._lock:
            scopes = list(self._scopes.values())
        return next((scope.files[file_id] for scope in scopes if file_id in scope.files), None)

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes, api_path: str, *, require_scope: bool = True
    ) -> Reply:
        """The answer to one request; ``require_scope``: refuse a data-plane request with
        neither a project nor a compartment, as OCI Generative AI does."""
        route, _, query_text = path.partition("?")
        query = dict(parse_qsl(query_text))
        control = route == CONTROL_API_PATH or route.startswith(CONTROL_API_PATH + "/")
        if control:
            route = route[len(CONTROL_API_PATH) :]
        elif route.startswith(api_path):
            route = route[len(api_path) :]
        route = "/" + route.strip("/")
        parts = route.strip("/").split("/")
        if control:
            if parts[0] != "vector_stores":
                return error(404, "NotFound", f"No route for {method} {path.split('?', 1)[0]}")
            compartment = headers.get("opc-compartment-id", "")
            return self.vector_stores.handle(method, parts[1:], _json_object(raw) or {}, query, compartment)
        scope = self._scope(headers)
        if scope is None and not require_scope:
            with self._lock:
                scope = self._scopes.setdefault(("unscoped",), _Scope())
        if scope is None:
            return error(
                400,
                "MissingParameter",
                "The OpenAI-Project header (a Generative AI Project OCID) is required; "
                "the older form is the CompartmentId / opc-compartment-id header",
            )
        if parts[0] == "files":
            return self._files(method, parts[1:], headers, raw, scope)
        body = _json_object(raw)
        if body is None:
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
        if parts[0] == "vector_stores":
            return self.vector_stores.handle(method, parts[1:], body, query, None)
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
            return Reply(200, page(scope.inputs.get(rest[0], [])))
        return error(404, "NotFound", f"No route for {method} /responses/{'/'.join(rest)}")

    def _create_response(self, body: dict[str, Any], scope: _Scope) -> Reply:
        items = _input_items(body.get("input"))
        conversation = body.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
        if conversation_id and conversation_id not in scope.conversations:
            return error(404, "NotFound", f"Conversation {conversation_id} not found")
        said = _said(items)
        outputs = self._outputs(body, items, said, scope)
        if isinstance(outputs, str):
            return error(404, "NotFound", outputs)
        response = {
            "id": new_id("resp"),
            "object": "response",
            "created_at": int(time.time()),
            "model": body.get("model", "unknown"),
            "status": "completed",
            "parallel_tool_calls": False,
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools", []),
            "previous_response_id": body.get("previous_response_id"),
            "conversation": {"id": conversation_id} if conversation_id else None,
            "text": body.get("text") or {"format": {"type": "text"}},
            "store": body.get("store", True),
            "output": outputs,
            "usage": {
                "input_tokens": 1,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 1,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 2,
            },
        }
        stored_inputs = [{**item, "id": item.get("id") or new_id("msg")} for item in items]
        if body.get("store", True):
            scope.responses[response["id"]] = response
            scope.inputs[response["id"]] = stored_inputs
        if conversation_id:
            scope.items.setdefault(conversation_id, []).extend([*stored_inputs, *outputs])
        if body.get("stream"):
            return Reply(200, content_type="text/event-stream", events=_response_events(response))
        return Reply(200, response)

    def _outputs(
        self, body: dict[str, Any], items: list[dict[str, Any]], said: str, scope: _Scope
    ) -> list[dict[str, Any]] | str:
        """The response's output items: a function call, or the hosted tools' items and a
        closing message (unless the tools wait for the caller); an error message (str)."""
        run = approved_calls(items, scope.approvals)
        last_is_tool_output = bool(items) and items[-1].get("type") == "function_call_output"
        if run is None and not last_is_tool_output:
            functions = function_tools(body)
            choice = body.get("tool_choice")
            hosted_choice = isinstance(choice, dict) and choice.get("type") not in (None, "function")
            if functions and not hosted_choice:
                call = {
                    "type": "function_call",
                    "id": new_id("fc"),
                    "call_id": new_id("call"),
                    "name": tool_name(functions[0]),
                    "arguments": function_arguments(functions[0], said),
                    "status": "completed",
                }
                return [call]
            hosted = [
                tool for tool in body.get("tools") or [] if isinstance(tool, dict) and tool.get("type") != "function"
            ]
            if choice != "none":
                found = run_hosted_tools(hosted, said, self.vector_stores, scope.approvals)
                if isinstance(found, str):
                    return found
                run = found
        run = run or ToolRun()
        if run.waiting:
            return run.items
        text = _answer_text(body.get("text"), " ".join([_reply_text(said), *run.notes]), said)
        # Citations point at the whole closing text, which is known only now.
        placed = {"file_citation": {"index": len(text)}, "url_citation": {"start_index": 0, "end_index": len(text)}}
        annotations = [{**a, **placed.get(a["type"], {})} for a in run.annotations]
        message = {
            "type": "message",
            "id": new_id("msg"),
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": annotations}],
        }
        return [*run.items, message]

    # -- conversations -----------------------------------------------------------------

    def _conversations(self, method: str, rest: list[str], body: dict[str, Any], scope: _Scope) -> Reply:
        if not rest:
            if method != "POST":
                return error(405, "MethodNotAllowed", f"{method} /conversations")
            created: dict[str, Any] = {
                "id": new_id("conv"),
                "object": "conversation",
                "created_at": int(time.time()),
                "metadata": body.get("metadata") or {},
            }
            scope.conversations[created["id"]] = created
            scope.items[created["id"]] = [
                {**item, "id": item.get("id") or new_id("msg")} for item in _input_items(body.get("items"))
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
                added = [{**item, "id": item.get("id") or new_id("msg")} for item in _input_items(body.get("items"))]
                items.extend(added)
                return Reply(200, page(added))
            if method == "GET":
                return Reply(200, page(items))
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
                return Reply(200, page([meta for meta, _ in scope.files.values()]))
            if method != "POST":
                return error(405, "MethodNotAllowed", f"{method} /files")
            fields = _multipart(headers.get("content-type", ""), raw)
            if fields is None or "file" not in fields:
                return error(400, "InvalidParameter", "Expected multipart/form-data with a file field")
            filename, content = fields["file"]
            meta: dict[str, Any] = {
                "id": new_id("file"),
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
    return _text_of(last.get("content", ""))


def _response_events(response: dict[str, Any]) -> Iterator[Event]:
    """The event sequence of a streamed response, as the OpenAI Responses API sends it."""
    sequence = itertools.count()
    in_progress = {**response, "status": "in_progress", "output": []}
    for kind in ("response.created", "response.in_progress"):
        yield kind, {"type": kind, "sequence_number": next(sequence), "response": in_progress}
    for index, item in enumerate(response["output"]):
        for kind, data in _item_events(item, index):
            yield kind, {"type": kind, "sequence_number": next(sequence), **data}
    yield "response.completed", {"type": "response.completed", "sequence_number": next(sequence), "response": response}


def _item_events(item: dict[str, Any], index: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """One output item's events: added, its deltas (message text, function arguments), done."""
    at = {"output_index": index}
    if item["type"] == "message":
        yield "response.output_item.added", {**at, "item": {**item, "status": "in_progress", "content": []}}
        where = {"item_id": item["id"], **at, "content_index": 0}
        part = item["content"][0]
        yield "response.content_part.added", {**where, "part": {**part, "text": "", "annotations": []}}
        text = part["text"]
        for position, word in enumerate(text.split(" ")):
            delta = word if position == 0 else " " + word
            yield "response.output_text.delta", {**where, "delta": delta, "logprobs": []}
        for number, annotation in enumerate(part["annotations"]):
            yield (
                "response.output_text.annotation.added",
                {**where, "annotation_index": number, "annotation": annotation},
            )
        yield "response.output_text.done", {**where, "text": text, "logprobs": []}
        yield "response.content_part.done", {**where, "part": part}
    elif item["type"] == "function_call":
        yield "response.output_item.added", {**at, "item": {**item, "arguments": "", "status": "in_progress"}}
        where = {"item_id": item["id"], **at}
        yield "response.function_call_arguments.delta", {**where, "delta": item["arguments"]}
        yield "response.function_call_arguments.done", {**where, "name": item["name"], "arguments": item["arguments"]}
    else:
        yield "response.output_item.added", {**at, "item": item}
    yield "response.output_item.done", {**at, "item": item}


# -- chat completions and embeddings ----------------------------------------------------


def _chat(body: dict[str, Any]) -> Reply:
    role, said = _last_chat_input(body)
    functions = function_tools(body)
    base = {"id": new_id("chatcmpl"), "created": int(time.time()), "model": body.get("model", "unknown")}
    call = None
    if functions and role != "tool":
        arguments = function_arguments(functions[0], said)
        call = {
            "id": new_id("call"),
            "type": "function",
            "function": {"name": tool_name(functions[0]), "arguments": arguments},
        }
    text = _answer_text(body.get("response_format"), _reply_text(said), said)
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
