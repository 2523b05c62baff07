"""Every header rule, in one place: what a client adds for OCI, what a signed request
loses, what a request bound elsewhere loses, and which headers the signature reads.

Shared by the explicit clients, the patch and the auth flow, so that "Generative AI needs
a project or a compartment", "no API key travels next to a signature" and "no OCI-only
header leaves for another host" each live once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError
from ..trust.hosts import genai_plane

#: Sent instead of an OpenAI key, which openai requires; the auth removes it before signing.
PLACEHOLDER_API_KEY = "oci-iam-request-signing"
COMPARTMENT_HEADERS = ("CompartmentId", "opc-compartment-id")
CONVERSATION_STORE_HEADER = "opc-conversation-store-id"
#: openai's own project header: OCI Generative AI takes a Generative AI Project OCID in it.
PROJECT_HEADER = "openai-project"
#: The delegation token of a Cloud Shell user (OciDelegationTokenAuth), signed on each request.
OBO_HEADER = "opc-obo-token"
#: Headers only an OCI host may see: removed from every request the auth does not sign.
OCI_ONLY_HEADERS = ("compartmentid", "opc-compartment-id", CONVERSATION_STORE_HEADER, OBO_HEADER)
#: Removed from a request before it is signed: the caller's API key (openai's Bearer
#: ``Authorization``, Anthropic-style ``X-Api-Key``, Azure-style ``api-key``) must never
#: travel next to an OCI signature.
STRIPPED_HEADERS = ("authorization", "x-api-key", "api-key")
#: The headers a signature may read off a request besides the names it signs.
KEPT_HEADERS = ("date", "content-type", "content-length", "x-content-sha256")
#: Every header the signing step looks at (one pass over a request's headers reads them).
WATCHED_HEADERS = frozenset((*KEPT_HEADERS, *STRIPPED_HEADERS, "host"))
_PLACEHOLDER_AUTHORIZATION = f"Bearer {PLACEHOLDER_API_KEY}"


def strip_oci_headers(headers: Any) -> None:
    """Remove from a request bound elsewhere what only an OCI host may see: the
    compartment, conversation-store and delegation headers, and the placeholder API key.
    ``headers``: an httpx / httpx2 ``Headers`` or any mutable mapping with lower-case lookup."""
    for name in OCI_ONLY_HEADERS:
        if name in headers:
            del headers[name]
    if headers.get("authorization") == _PLACEHOLDER_AUTHORIZATION:
        del headers["authorization"]


def send_read_body_with_its_length(headers: Any) -> None:
    """A streamed body, read into memory to be hashed, goes out with a ``Content-Length``
    (which the signature covers, as every OCI service requires) instead of chunked framing:
    both headers at once make the server read the framing as the body, or refuse it."""
    if "transfer-encoding" in headers:
        del headers["transfer-encoding"]


def is_not_given(value: object) -> bool:
    """openai's "argument not given" sentinels (``NOT_GIVEN``, and ``omit`` from 2.x on)."""
    return type(value).__name__ in ("NotGiven", "Omit")


def oci_headers(
    compartment_id: str | None, conversation_store_id: str | None, *, plane: str | None = None
) -> dict[str, str]:
    """The OCI request headers for a compartment and a conversation store.

    The control plane takes the compartment as ``opc-compartment-id`` alone; everything
    else gets both of its names, as oci-openai sends them.
    """
    names = ("opc-compartment-id",) if plane == "control" else COMPARTMENT_HEADERS
    headers = dict.fromkeys(names, compartment_id) if compartment_id else {}
    if conversation_store_id:
        headers[CONVERSATION_STORE_HEADER] = conversation_store_id
    return headers


def has_scope(headers: Mapping[str, str], project: str | None) -> tuple[bool, bool]:
    """Whether a client's headers (or openai's ``project``) carry a project, and a compartment."""
    names = {name.lower() for name in headers}
    return bool(project) or PROJECT_HEADER in names, bool(names & {n.lower() for n in COMPARTMENT_HEADERS})


def client_headers(
    base_url: str,
    given: Mapping[str, str] | None,
    compartment_id: str | None,
    conversation_store_id: str | None,
    *,
    project: str | None = None,
    missing_scope: str,
    missing_compartment: str,
) -> dict[str, str]:
    """``given`` headers plus the OCI ones (``given`` wins).

    The Generative AI data plane needs a project (openai's ``project``, sent as
    ``OpenAI-Project``) or, in the older form, a compartment: without either this raises
    ``ConfigurationError(missing_scope)``. The ``/20231130/actions/v1`` pass-through needs
    the compartment (``missing_compartment``). The control plane needs neither to be
    built: only its create and list calls take ``opc-compartment-id``.
    """
    plane = genai_plane(base_url)
    headers = {**oci_headers(compartment_id, conversation_store_id, plane=plane), **dict(given or {})}
    has_project, has_compartment = has_scope(headers, project)
    if plane == "data" and not (has_project or has_compartment):
        raise ConfigurationError(missing_scope)
    if plane == "actions" and not has_compartment:
        raise ConfigurationError(missing_compartment)
    return headers
