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

from ..errors import ConfigurationError
from ..trust.hosts import realm_table

#: The resource type of a model deployment OCID.
DEPLOYMENT_OCID_PREFIX = "ocid1.datasciencemodeldeployment."
#: Chooses the routing mode (``path``, ``header`` or ``off``) where no client argument does.
OCI_OPENAI_DEPLOYMENT_ROUTING = "OCI_OPENAI_DEPLOYMENT_ROUTING"
ROUTING_MODES = ("path", "header", "off")
DEFAULT_ROUTING = "path"
PREDICT = "predict"
STREAMING_PREDICT = "predictWithResponseStream"
ROUTE_HEADER = "route"
STREAMING_HEADER = "enable-streaming"

_PATH_PREFIX = ("/" + DEPLOYMENT_OCID_PREFIX).encode("ascii")
_OCID_SEGMENT = re.compile(rb"/ocid1\.datasciencemodeldeployment\.[A-Za-z0-9._-]+", re.ASCII)
_DEPLOYMENT_OCID = re.compile(
    r"ocid1\.datasciencemodeldeployment\.(?P<realm>[a-z0-9-]+)\.(?P<region>[a-z0-9-]*)\.[A-Za-z0-9._-]+\Z",
    re.ASCII,
)


def is_deployment_path(path: str) -> bool:
    """Whether a URL path (or request target) names a model deployment: its first segment is
    a deployment OCID."""
    return path.startswith("/" + DEPLOYMENT_OCID_PREFIX)


def parse_routing(value: str, *, source: str = OCI_OPENAI_DEPLOYMENT_ROUTING) -> str:
    """A routing mode, else a ``ConfigurationError`` naming ``source``."""
    mode = value.strip().lower() if isinstance(value, str) else ""
    if mode not in ROUTING_MODES:
        raise ConfigurationError(
            f"{source}={str(value).strip()!r} is not a deployment routing mode; use one of {', '.join(ROUTING_MODES)}"
        )
    return mode


def routing_from_env(environ: Mapping[str, str]) -> str:
    """``OCI_OPENAI_DEPLOYMENT_ROUTING``, parsed; the default when unset."""
    value = environ.get(OCI_OPENAI_DEPLOYMENT_ROUTING, "").strip()
    return parse_routing(value) if value else DEFAULT_ROUTING


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


def parse_deployment_ocid(value: str, *, source: str) -> str:
    """A model deployment OCID, stripped, else a ``ConfigurationError`` naming ``source``."""
    text = value.strip() if isinstance(value, str) else ""
    if not _DEPLOYMENT_OCID.match(text):
        raise ConfigurationError(
            f"{source} is not a model deployment OCID; set it to the deployment's OCID "
            "(ocid1.datasciencemodeldeployment.oc1.<region>.<id>, on its page in the OCI Console)"
        )
    return text


def ocid_region(ocid: str) -> str | None:
    """The region a deployment OCID names (its region key, ``iad``, or a region name), if
    the oci SDK knows it."""
    table = realm_table()
    found = _DEPLOYMENT_OCID.match(ocid)
    key = found.group("region") if found else ""
    named = table.short_names.get(key, key)
    return named if key and named in table.region_realms else None


def deployment_region(ocid: str, region: str | None, *, source: str, region_source: str) -> str:
    """The region a deployment is reached in: ``region`` if given (it must agree with the
    OCID's realm and region), else the region the OCID names, else a ``ConfigurationError``."""
    named = ocid_region(ocid)
    if region is None:
        if named is None:
            raise ConfigurationError(
                f"{source} names no region the oci SDK knows; set {region_source} (such as us-ashburn-1)"
            )
        return named
    table = realm_table()
    chosen = table.short_names.get(region.strip().lower(), region.strip().lower())
    realm = table.region_realms.get(chosen)
    ocid_realm = ocid.split(".")[2]
    if realm is not None and realm != ocid_realm:
        raise ConfigurationError(
            f"{source} is a deployment of the realm {ocid_realm}, but {region_source} is "
            f"{region.strip()}, of the realm {realm}; set {region_source} to the deployment's region"
        )
    if named is not None and chosen != named:
        raise ConfigurationError(
            f"{source} is a deployment in {named}, but {region_source} is {region.strip()}; "
            f"drop {region_source} or set it to {named}"
        )
    return chosen


def deployment_base_url(ocid: str, region: str) -> str:
    """The OpenAI-compatible base URL of a deployment, in its region's realm: the OCI SDK's
    endpoint (``modeldeployment.<region>.oci.customer-oci.com`` in the commercial realm,
    ``md.datascience.<region>.oci.<realm domain>`` elsewhere) plus ``/<OCID>/predict/v1``."""
    table = realm_table()
    name = table.short_names.get(region.strip().lower(), region.strip().lower())
    realm = table.region_realms.get(name)
    if realm is None:
        raise ConfigurationError(
            f"region {region!r} is not an OCI region the oci SDK knows; use a name such as us-ashburn-1"
        )
    if realm == "oc1":
        host = f"modeldeployment.{name}.oci.customer-oci.com"
    else:
        host = f"md.datascience.{name}.oci.{table.realms[realm]}"
    return f"https://{host}/{ocid}/{PREDICT}/v1"


def deployment_url(ocid: str, region: str | None, *, source: str, region_source: str) -> str:
    """:func:`deployment_base_url` in the region :func:`deployment_region` settles on."""
    return deployment_base_url(ocid, deployment_region(ocid, region, source=source, region_source=region_source))
