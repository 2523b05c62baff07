"""The OCI request headers a client sends, shared by the explicit clients and the patch.

Kept apart from both so that the rule "Generative AI needs a compartment" lives once, and
so the patch can use it without importing the clients module.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .hosts import is_genai_host

#: Sent instead of an OpenAI key, which openai requires; the auth removes it before signing.
PLACEHOLDER_API_KEY = "oci-iam-request-signing"
COMPARTMENT_HEADERS = ("CompartmentId", "opc-compartment-id")
CONVERSATION_STORE_HEADER = "opc-conversation-store-id"
#: Headers only an OCI host may see: removed from every request the auth does not sign.
OCI_ONLY_HEADERS = ("compartmentid", "opc-compartment-id", CONVERSATION_STORE_HEADER, "opc-obo-token")


def oci_headers(compartment_id: str | None, conversation_store_id: str | None) -> dict[str, str]:
    """The OCI request headers for a compartment and a conversation store."""
    headers = dict.fromkeys(COMPARTMENT_HEADERS, compartment_id) if compartment_id else {}
    if conversation_store_id:
        headers[CONVERSATION_STORE_HEADER] = conversation_store_id
    return headers


def client_headers(
    base_url: str,
    given: Mapping[str, str] | None,
    compartment_id: str | None,
    conversation_store_id: str | None,
    *,
    missing_compartment: str,
) -> dict[str, str]:
    """``given`` headers plus the OCI ones (``given`` wins); a Generative AI URL without a
    compartment header raises ``ConfigurationError(missing_compartment)``."""
    headers = {**oci_headers(compartment_id, conversation_store_id), **dict(given or {})}
    wanted = {name.lower() for name in COMPARTMENT_HEADERS}
    if is_genai_host(urlsplit(base_url).hostname or "") and not any(n.lower() in wanted for n in headers):
        raise ConfigurationError(missing_compartment)
    return headers
