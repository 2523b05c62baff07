"""The local endpoint as OCI Data Science model deployments answer, after the signature check.

A deployment lives at ``/<deployment OCID>``, and answers at two endpoints:

- ``/predict``: the OpenAI routes of the model server under it (``/predict/v1/chat/completions``),
  or, routed by header, ``/predict`` itself with ``route: /v1/chat/completions``;
- ``/predictWithResponseStream``: the same, and the only one that streams.

Served: chat completions (SSE when streamed), completions and models, as a vLLM or TGI
container behind a deployment serves them. A streamed request sent to ``/predict`` is
refused with a 400 that names the streaming endpoint (the server logs it as a finding);
an unknown OCID gets OCI's 404 document.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from typing import Any

from ..transport.model_deployments import (
    PREDICT,
    ROUTE_HEADER,
    STREAMING_HEADER,
    STREAMING_PREDICT,
    is_deployment_path,
    streams,
)
from .openai_api import _chat, _reply_text
from .pages import Event, Reply, error, new_id

#: The deployment every local endpoint serves unless told otherwise (its region key is Ashburn's).
LOCAL_DEPLOYMENT = "ocid1.datasciencemodeldeployment.oc1.iad.localendpoint"


def streamed_to_predict(path: str, headers: dict[str, str], body: bytes) -> tuple[str, ...]:
    """A finding when a streamed request reaches a deployment's ``/predict`` endpoint, which
    does not stream (``headers`` lower-cased)."""
    if not is_deployment_path(path):
        return ()
    segments = path.partition("?")[0].split("/")
    if len(segments) < 3 or segments[2] != PREDICT:
        return ()
    if headers.get(STREAMING_HEADER, "").lower() == "true" or streams(body):
        return (f"streamed request sent to /{PREDICT}, which does not stream: send it to /{STREAMING_PREDICT}",)
    return ()


class ModelDeployments:
    """The deployments one endpoint serves, by OCID."""

    def __init__(self, ocids: Iterable[str] = (LOCAL_DEPLOYMENT,)) -> None:
        self.ocids = set(ocids)

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        """The answer to one request whose target is under ``/<deployment OCID>``."""
        route_path = path.partition("?")[0]
        _, ocid, endpoint, rest = [*route_path.split("/", 3), "", ""][:4]
        if ocid not in self.ocids:
            return error(404, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found.")
        if endpoint not in (PREDICT, STREAMING_PREDICT):
            return error(404, "NotFound", f"No route for {method} {route_path}: use /{ocid}/{PREDICT}")
        route = "/" + rest if rest else headers.get(ROUTE_HEADER, "")
        if not route:
            return error(400, "MissingParameter", f"No model route: call /{endpoint}/v1/... or send a route header")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return error(400, "InvalidParameter", "The body is not a JSON object")
        stream = body.get("stream") is True
        if stream and endpoint == PREDICT:
            return error(
                400,
                "InvalidParameter",
                f"/{PREDICT} does not stream; send streamed requests to /{ocid}/{STREAMING_PREDICT}",
            )
        return _serve_route(method, route.rstrip("/"), body, stream)


def _serve_route(method: str, route: str, body: dict[str, Any], stream: bool) -> Reply:
    if route == "/v1/chat/completions" and method == "POST":
        return _chat(body)
    if route == "/v1/completions" and method == "POST":
        prompt = body.get("prompt", "")
        said = prompt if isinstance(prompt, str) else " ".join(str(p) for p in prompt)
        return _completion(body, _reply_text(said), stream)
    if route == "/v1/models" and method == "GET":
        return Reply(200, {"object": "list", "data": [{"id": "odsc-llm", "object": "model", "owned_by": "oci"}]})
    return error(404, "NotFound", f"No route for {method} {route}")


def _completion(body: dict[str, Any], text: str, stream: bool) -> Reply:
    """A legacy completions answer (``client.completions.create``), streamed or whole."""
    base = {
        "id": new_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": body.get("model", "odsc-llm"),
    }
    if stream:
        return Reply(200, content_type="text/event-stream", events=_completion_chunks(base, text), done_marker=True)
    words = len(text.split())
    return Reply(
        200,
        {
            **base,
            "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 1, "completion_tokens": words, "total_tokens": 1 + words},
        },
    )


def _completion_chunks(base: dict[str, Any], text: str) -> Iterator[Event]:
    words = text.split(" ")
    for index, word in enumerate(words):
        piece = word if index == 0 else " " + word
        last = index == len(words) - 1
        choice = {"index": 0, "text": piece, "finish_reason": "stop" if last else None, "logprobs": None}
        yield None, {**base, "choices": [choice]}
