"""Redirect hops of an OCI-signed request: nothing OCI-only crosses to another origin.

httpx and httpx2 follow a redirect inside ``send``, after the auth flow has signed the
first request, and build each hop from the previous one's headers. On a hop to another
origin they drop ``Authorization`` only (and keep it on an http -> https hop). The
delegation token (``opc-obo-token``), the compartment and conversation-store headers and a
project OCID would travel on to whoever the Location names.

So both libraries' ``BaseClient._redirect_headers`` (shared by their sync and async
clients) is wrapped (with wrapt): for a request that carries an OCI signature, a hop to
another origin loses the signature, every OCI-only header and a project OCID. A hop on
the same origin keeps them: it goes to the host that was signed for. Other requests are
untouched. Installed when the auth module is imported, on each library as it is imported.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from .request_headers import OCI_ONLY_HEADERS, PROJECT_HEADER

#: Besides the OCI-only headers: what belongs to the signature itself.
_SIGNATURE_HEADERS = ("authorization", "x-content-sha256")
_LIBRARIES = ("httpx", "httpx2")
_MARK = "_oci_openai_patch_redirects"
logger = logging.getLogger("oci_openai_patch")


def is_oci_signed(headers: Any) -> bool:
    """Whether a request's headers carry an OCI (draft-cavage) signature."""
    authorization = headers.get("authorization", "")
    return authorization.startswith("Signature ") and 'keyId="' in authorization


def _origin(url: Any) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _redirect_headers(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    headers = wrapped(*args, **kwargs)
    request = kwargs["request"] if "request" in kwargs else args[0]
    url = kwargs["url"] if "url" in kwargs else args[1]
    if is_oci_signed(request.headers) and _origin(url) != _origin(request.url):
        for name in (*_SIGNATURE_HEADERS, *OCI_ONLY_HEADERS):
            headers.pop(name, None)
        if headers.get(PROJECT_HEADER, "").startswith("ocid1."):
            headers.pop(PROJECT_HEADER, None)
    return headers


def _guard(module: Any) -> None:
    import wrapt

    client = getattr(module, "_client", None)
    base = getattr(client, "BaseClient", None)
    if base is not None and not hasattr(base, "_redirect_headers"):
        logger.warning(
            "%s %s has no BaseClient._redirect_headers: a redirect of a signed request to another origin "
            "may carry OCI headers; pass follow_redirects=False to the http client",
            module.__name__,
            getattr(module, "__version__", "?"),
        )
        return
    if base is None or getattr(base, _MARK, False):
        return
    wrapt.wrap_function_wrapper(base, "_redirect_headers", _redirect_headers)
    setattr(base, _MARK, True)


def install() -> None:
    """Guard the redirects of every installed HTTP library, now or when it is imported."""
    import importlib.util

    import wrapt

    for name in _LIBRARIES:
        if name in sys.modules:
            _guard(sys.modules[name])
        elif importlib.util.find_spec(name) is not None:
            wrapt.register_post_import_hook(_guard, name)
