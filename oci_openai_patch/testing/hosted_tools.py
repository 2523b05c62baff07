"""The tools a Responses request can name, as deterministic local stand-ins.

What the model would do with each tool, shaped as openai's output item types parse it:
a ``function_call`` whose arguments satisfy the function's JSON schema; ``file_search``
answered from the endpoint's own vector stores; ``web_search``, ``code_interpreter`` and
``image_generation`` as fixed stand-ins (nothing leaves the machine); remote MCP with
its approval round trip (``require_approval``: an ``mcp_approval_request`` first, the
``mcp_call`` after an ``mcp_approval_response``), without contacting any MCP server.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from .json_schema import example_for
from .pages import new_id
from .vector_stores import VectorStores

_WEB_SEARCH_TYPES = ("web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11")


def function_arguments(tool: dict[str, Any], said: str) -> str:
    """JSON arguments valid against a function tool's ``parameters`` (chat's or responses' shape)."""
    schema = _function(tool).get("parameters") or {"type": "object", "properties": {}}
    return json.dumps(example_for(schema, hint=said), separators=(",", ":"))


def function_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The function tools offered (none when ``tool_choice`` is ``none``); a named choice first."""
    choice = body.get("tool_choice")
    if choice == "none":
        return []
    tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict) and tool.get("type") == "function"]
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name") or choice.get("name")
        tools.sort(key=lambda tool: tool_name(tool) != wanted)
    return tools


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    """The function of a tool: chat nests it under ``function``, responses do not."""
    nested = tool.get("function")
    return nested if isinstance(nested, dict) else tool


def tool_name(tool: dict[str, Any]) -> str:
    return str(_function(tool).get("name", ""))


@dataclass
class ToolRun:
    """The output items the tools produced, and what the closing message says and cites."""

    items: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Citations of the closing message; their positions are set once its text is known.
    annotations: list[dict[str, Any]] = field(default_factory=list)
    #: True when the response ends waiting for the caller (a function call, an approval).
    waiting: bool = False


def tiny_png() -> str:
    """A 1x1 PNG, base64: the image generation stand-in."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xc7\x46\x00"))
    return base64.b64encode(png + chunk(b"IEND", b"")).decode("ascii")


def run_hosted_tools(
    tools: list[dict[str, Any]], said: str, vector_stores: VectorStores, approvals: dict[str, dict[str, Any]]
) -> ToolRun | str:
    """Run every hosted tool named, in order; an error message (str) for an unknown vector store."""
    run = ToolRun()
    for tool in tools:
        kind = tool.get("type")
        if kind == "file_search":
            ids = [str(i) for i in tool.get("vector_store_ids") or []]
            unknown = [i for i in ids if not vector_stores.knows(i)]
            if unknown:
                return f"Vector store {unknown[0]} not found"
            results = vector_stores.search(ids, said, int(tool.get("max_num_results") or 5))
            run.items.append(
                {
                    "type": "file_search_call",
                    "id": new_id("fs"),
                    "status": "completed",
                    "queries": [said],
                    "results": results,
                }
            )
            for result in results[:1]:
                run.notes.append(f"From {result['filename']}: {result['text']}")
                run.annotations.append(
                    {"type": "file_citation", "file_id": result["file_id"], "filename": result["filename"]}
                )
            if not results:
                run.notes.append("The vector stores hold nothing that matches.")
        elif kind in _WEB_SEARCH_TYPES:
            url = "https://search.example/?q=" + "+".join(said.split())
            run.items.append(
                {
                    "type": "web_search_call",
                    "id": new_id("ws"),
                    "status": "completed",
                    "action": {"type": "search", "query": said},
                }
            )
            run.notes.append("Web search (local stand-in, nothing was fetched).")
            run.annotations.append({"type": "url_citation", "title": "local stand-in", "url": url})
        elif kind == "code_interpreter":
            container = tool.get("container")
            container_id = container if isinstance(container, str) else new_id("cntr")
            run.items.append(
                {
                    "type": "code_interpreter_call",
                    "id": new_id("ci"),
                    "status": "completed",
                    "code": f"print({said!r})",
                    "container_id": container_id,
                    "outputs": [{"type": "logs", "logs": said}],
                }
            )
            run.notes.append("Code ran in the local stand-in container.")
        elif kind == "image_generation":
            run.items.append(
                {"type": "image_generation_call", "id": new_id("ig"), "status": "completed", "result": tiny_png()}
            )
            run.notes.append("Generated a 1x1 image (local stand-in).")
        elif kind == "mcp":
            _mcp(tool, said, run, approvals)
    return run


def _mcp(tool: dict[str, Any], said: str, run: ToolRun, approvals: dict[str, dict[str, Any]]) -> None:
    label = str(tool.get("server_label", "mcp"))
    allowed = tool.get("allowed_tools")
    names = allowed.get("tool_names") if isinstance(allowed, dict) else allowed
    name = str((names or ["echo"])[0])
    schema = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
    run.items.append(
        {
            "type": "mcp_list_tools",
            "id": new_id("mcpl"),
            "server_label": label,
            "tools": [{"name": name, "input_schema": schema, "description": "local MCP stand-in"}],
        }
    )
    arguments = json.dumps({"query": said})
    if _needs_approval(tool.get("require_approval", "always"), name):
        request = {
            "type": "mcp_approval_request",
            "id": new_id("mcpr"),
            "server_label": label,
            "name": name,
            "arguments": arguments,
        }
        approvals[request["id"]] = request
        run.items.append(request)
        run.waiting = True
        return
    run.items.append(mcp_call(label, name, arguments, None))
    run.notes.append(f"{label}.{name} answered.")


def _needs_approval(policy: Any, name: str) -> bool:
    if policy == "never":
        return False
    if isinstance(policy, dict):
        never = policy.get("never") or {}
        return name not in (never.get("tool_names") or [])
    return True


def mcp_call(label: str, name: str, arguments: str, approval_request_id: str | None) -> dict[str, Any]:
    """The result of one MCP tool call (the stand-in echoes its arguments)."""
    return {
        "type": "mcp_call",
        "id": new_id("mcp"),
        "server_label": label,
        "name": name,
        "arguments": arguments,
        "output": f"local MCP stand-in {label}.{name} received {arguments}",
        "error": None,
        "approval_request_id": approval_request_id,
        "status": "completed",
    }


def approved_calls(items: list[dict[str, Any]], approvals: dict[str, dict[str, Any]]) -> ToolRun | None:
    """The MCP calls that ``mcp_approval_response`` items in the input let run, or None if none."""
    responses = [item for item in items if item.get("type") == "mcp_approval_response"]
    if not responses:
        return None
    run = ToolRun()
    for response in responses:
        request = approvals.pop(str(response.get("approval_request_id")), None)
        if request is None:
            run.notes.append(f"No approval request {response.get('approval_request_id')} is pending.")
        elif response.get("approve"):
            call = mcp_call(request["server_label"], request["name"], request["arguments"], request["id"])
            run.items.append(call)
            run.notes.append(f"{request['server_label']}.{request['name']} answered: {call['output']}")
        else:
            run.notes.append(f"The call to {request['server_label']}.{request['name']} was not approved.")
    return run
