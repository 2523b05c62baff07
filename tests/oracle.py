"""Oracle's own signer, given exactly the request that goes on the wire."""

from __future__ import annotations

from typing import Any

from oci._vendor.requests.models import PreparedRequest
from oci._vendor.requests.structures import CaseInsensitiveDict


def oci_signed_headers(signer: Any, method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
    """The headers ``oci.signer`` produces (lower-case names) for this request.

    The request is built by hand: ``PreparedRequest.prepare()`` would re-quote the URL,
    and Oracle's signer must see the request exactly as sent.
    """
    prepared = PreparedRequest()
    prepared.method = method
    prepared.url = url
    prepared.headers = CaseInsensitiveDict(headers)
    prepared.body = body
    signer.do_request_sign(prepared)
    return {k.lower(): v for k, v in prepared.headers.items()}
