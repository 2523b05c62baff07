"""OCI Data Science model deployments: their base URL, and where each request goes.

A deployment answers at ``/<deployment OCID>/predict`` and streams only from
``/<deployment OCID>/predictWithResponseStream`` (the OCI SDK's ``predict`` and
``predict_with_response_stream``). An openai client on the base URL
``.../<OCID>/predict/v1`` sends every request, streamed or not, under ``/predict``: this
module decides the target before the request is signed, since the path is part of the
signature (``(request-target)``). The ``deployment_routing`` modes:

- ``"path"`` (the default): a request whose JSON body has ``"stream": true`` moves from
  ``/<OCID>/predict...`` to ``/<OCID>/predictWithResponseStream...``, rest of the path kept;
- ``"header"``: every request goes to ``/<OCID>/predict`` or ``/<OCID>/predictWithResponseStream``,
  with the OpenAI path in a ``route`` header and ``enable-streaming: true|false``, for
  deployments that route by header (as Oracle ADS's clients send with ``patch_headers``);
- ``"off"``: requests go where the client sends them.

A request is a model-deployment request by its path (the first segment is a deployment
OCID), so the rule holds on the service hosts, on a private endpoint and on the local
endpoint alike. Pure functions over bytes and strings: no httpx here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

# The deployment's URL and OCID are the trust layer's (which hosts are signed), the
# routing mode is the environment contract's; both are named here too, as before.
from ..settings import DEFAULT_ROUTING, OCI_OPENAI_DEPLOYMENT_ROUTING, ROUTING_MODES, parse_routing, routing_from_env
from ..trust.deployments import (
    DEPLOYMENT_OCID_PREFIX,
    PREDICT,
    deployment_base_url,
    deployment_region,
    deployment_url,
    ocid_region,
    parse_deployment_ocid,
)

__all__ = [
    "DEFAULT_ROUTING",
    "DEPLOYMENT_OCID_PREFIX",
    "OCI_OPENAI_DEPLOYMENT_ROUTING",
    "PREDICT",
    "ROUTE_HEADER",
    "ROUTING_MODES",
    "STREAMING_HEADER",
    "STREAMING_PREDICT",
    "Routed",
    "deployment_base_url",
    "deployment_region",
    "deployment_url",
    "is_deployment_path",
    "ocid_region",
    "parse_deployment_ocid",
    "parse_routing",
    "route",
    "routing_from_env",
    "streams",
]

STREAMING_PREDICT = "predictWithResponseStream"
ROUTE_HEADER = "route"
STREAMING_HEADER = "enable-streaming"

_PATH_PREFIX = ("/" + DEPLOYMENT_OCID_PREFIX).encode("ascii")
_OCID_SEGMENT = re.compile(rb"/ocid1\.datasciencemodeldeployment\.[A-Za-z0-9._-]+", re.ASCII)


def is_deployment_path(path: str) -> bool:
    """Whether a URL path (or request target) names a model deployment: its first segment is
    a deployment OCID."""
    return path.startswith("/" + DEPLOYMENT_OCID_PREFIX)


@dataclass(frozen=True)
class Routed:
    """Where a model-deployment request goes: its new raw target and the headers to set."""

    target: bytes
    headers: tuple[tuple[str, str], ...] = ()
    #: ``"streaming endpoint"`` or ``"header routing"``: what changed, for the log line.
    change: str = ""


#: ``"stream": true`` somewhere in a body: only then is it parsed, to see that it is the top level's.
_STREAM_TRUE = re.compile(rb'"stream"\s*:\s*true')


def streams(content: bytes) -> bool:
    """Whether a request body is a JSON object with ``"stream": true``. The parse (some
    2 ms for a 1 MB body) is paid only by bodies that say ``"stream": true`` somewhere."""
    if _STREAM_TRUE.search(content) is None:
        return False
    try:
        body = json.loads(content)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("stream") is True


def route(target: bytes, content: bytes, headers: Mapping[str, str], mode: str) -> Routed | None:
    """The target a request to ``target`` (raw path and query) should have, or None to
    send it as it is. ``headers`` are the request's (a ``route`` or ``enable-streaming``
    the caller set is kept)."""
    if mode == "off" or not target.startswith(_PATH_PREFIX):
        return None
    found = _OCID_SEGMENT.match(target)
    if found is None:
        return None
    base = found.group()
    path, question, query = target[found.end() :].partition(b"?")
    if path and not path.startswith(b"/"):
        return None  # the OCID segment goes on: not a deployment path after all
    first, _, rest = path[1:].partition(b"/")
    rest = b"/" + rest if rest else b""
    stream = streams(content)
    suffix = question + query
    if mode == "path":
        if first != PREDICT.encode() or not stream:
            return None
        return Routed(base + b"/" + STREAMING_PREDICT.encode() + rest + suffix, change="streaming endpoint")
    # Header routing: the OpenAI path travels in ``route``; the target is the endpoint alone.
    if first not in (PREDICT.encode(), STREAMING_PREDICT.encode()):
        rest = path  # ``.../<OCID>/chat/completions``: everything after the OCID is the route
    endpoint = STREAMING_PREDICT if stream else PREDICT
    added: list[tuple[str, str]] = []
    if rest and ROUTE_HEADER not in headers:
        text = rest.decode("ascii")
        added.append((ROUTE_HEADER, text if text.startswith("/v1/") or text == "/v1" else "/v1" + text))
    if STREAMING_HEADER not in headers:
        added.append((STREAMING_HEADER, "true" if stream else "false"))
    return Routed(base + b"/" + endpoint.encode() + suffix, tuple(added), change="header routing")
