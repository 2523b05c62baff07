"""The changes made to an OCI-bound request before it is signed (the path and body are
part of the signature): the model name mapped (``OCI_OPENAI_MODEL_MAP``), and a
model-deployment request sent to the endpoint its routing mode names
(:mod:`.model_deployments`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from .model_deployments import Routed, route

logger = logging.getLogger("oci_openai_patch")

#: The model-deployment changes already logged in this process (each is logged once).
LOGGED_ROUTING: set[str] = set()


def rewrite_model(request: Any, model_map: Mapping[str, str]) -> Any:
    """The request with its JSON ``model`` mapped, or itself.

    An OCID as the model (a dedicated AI cluster endpoint) names one resource: it is never mapped.
    """
    if not model_map or "json" not in request.headers.get("content-type", ""):
        return request
    try:
        body = json.loads(request.content)
    except ValueError:
        return request
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, str) or model not in model_map or model.startswith("ocid1."):
        return request
    body["model"] = model_map[model]
    headers = request.headers.copy()
    headers.pop("content-length", None)
    content = json.dumps(body, separators=(",", ":")).encode()
    return type(request)(request.method, request.url, headers=headers, content=content, extensions=request.extensions)


def _with_target(url: Any, target: bytes) -> Any:
    """``url`` with another raw path, same query. httpx's ``copy_with`` parses the whole URL
    again (four times the cost of the rest of the routing); both libraries keep the parsed
    URL as a named tuple whose path can be replaced as it is. Otherwise, ``copy_with``."""
    path, _, _query = target.partition(b"?")
    reference = getattr(url, "_uri_reference", None)
    if reference is not None and hasattr(reference, "_replace") and isinstance(getattr(reference, "path", None), str):
        copy = object.__new__(type(url))
        copy._uri_reference = reference._replace(path=path.decode("ascii"))
        if copy.raw_path == target:
            return copy
    return url.copy_with(raw_path=target)


def route_deployment(request: Any, mode: str) -> None:
    """Send a model-deployment request where ``mode`` says (a no-op for other requests)."""
    routed: Routed | None = route(request.url.raw_path, request.content, request.headers, mode)
    if routed is None:
        return
    request.url = _with_target(request.url, routed.target)
    for name, value in routed.headers:
        request.headers[name] = value
    if routed.change not in LOGGED_ROUTING:
        LOGGED_ROUTING.add(routed.change)
        how = (
            "streamed requests go to /<OCID>/predictWithResponseStream"
            if routed.change == "streaming endpoint"
            else "requests go to /<OCID>/predict or /predictWithResponseStream with route and enable-streaming headers"
        )
        logger.info(
            "model deployment: %s (deployment_routing=%s; OCI_OPENAI_DEPLOYMENT_ROUTING=off sends them as they are)",
            how,
            mode,
        )
