"""An httpx / httpx2 request made ready for its signature, and the signature put on it.

Split in two so that the RSA operation between them can run where the caller's flow
decides (inline, or beside an event loop: :mod:`..signature.async_signing`).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from ..credentials import SigningKey, redact_key_id
from ..signature.signing import HeaderNames, PendingSignature, prepare_signature
from .request_headers import STRIPPED_HEADERS, WATCHED_HEADERS

logger = logging.getLogger("oci_openai_patch")


@functools.lru_cache(maxsize=8)
def _watched_with(header_names: HeaderNames) -> frozenset[str]:
    """The headers to read off a request signed with other names than OCI's (computed once)."""
    return WATCHED_HEADERS.union(*header_names)


def prepare(
    request: Any, key: SigningKey, *, fresh_date: bool, header_names: HeaderNames | None = None
) -> PendingSignature:
    """Strip what must not travel with a signature and make the signing string."""
    headers = request.headers
    watched = WATCHED_HEADERS if header_names is None else _watched_with(header_names)
    # One pass over the headers (each lookup in an httpx Headers is a scan of them all).
    present = {name: value for name, value in headers.items() if name in watched}
    for name in STRIPPED_HEADERS:
        if name in present:
            del headers[name]
            del present[name]
    if fresh_date and "date" in present:
        del headers["date"]
        del present["date"]
    host = present.pop("host", None) or request.url.netloc.decode("ascii")
    return prepare_signature(
        method=request.method,
        target=request.url.raw_path.decode("ascii"),
        host=host,
        headers=present,
        body=request.content,
        key_id=key.key_id,
        private_key=key.private_key,
        header_names=header_names,
    )


def apply(request: Any, pending: PendingSignature, signature: bytes, *, route: str) -> None:
    """Put the finished signature headers on ``request`` (``route``: the HTTP stack it
    came through, for the log)."""
    headers = request.headers
    for name, value in pending.finish(signature).items():
        headers[name] = value
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "signed %s %s%s as %s (route %s)",
            request.method,
            request.url.netloc.decode("ascii"),
            request.url.path,
            redact_key_id(pending.key_id),
            route,
        )
