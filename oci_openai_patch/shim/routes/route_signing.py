"""What every zero-code route past the openai client shares: the cheap host decision, and
the signing of a request given as its parts (method, URL, headers, body bytes).

A route hands over the request as its HTTP stack holds it. The request is copied into an
``httpx.Request`` and put through the shim's own :class:`..transport.auth.OciAuth`, so a
route signs exactly as an openai client does (header rules, proxy refusal, model map,
model-deployment routing, the signature), then the route writes the result back into its
stack's request. The decision for a foreign host costs one dict look-up per request
(cached per scheme, host and port). Importing this module, which happens when a stack is
imported, imports nothing heavy: the rest comes with the first request.
"""

from urllib.parse import urlsplit

# Imported while the program imports an HTTP stack: nothing that stack does not load
# already (typing, logging and dataclasses would cost milliseconds there).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ...errors import ConfigurationError


class Signed:
    """A request as it must be sent: every header (signature included), URL and body."""

    __slots__ = ("body", "headers", "method", "url")

    def __init__(self, method: str, url: str, headers: "list[tuple[str, str]]", body: bytes) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body


_patch: "Any" = None


def patch_module() -> "Any":
    """:mod:`..patch`, imported on first use (with what it imports: the first request's cost)."""
    global _patch
    if _patch is None:
        from .. import patch

        _patch = patch
    return _patch


def _state() -> "Any":
    return patch_module().active_state()


def bound_for_oci(scheme: str, host: "str | None", port: "int | None") -> bool:
    """Whether the shim signs a request to this origin (its host policy; a dict look-up
    once decided). False while the shim is off. With a configuration it cannot parse, the
    requests to the hosts it would sign are refused at :func:`sign`, not let through."""
    # The patch's state read straight off its module once that is loaded: this runs on
    # every request of every stack, where each Python call counts (``benchmarks/routes.py``).
    state = _patch._state if _patch is not None else None
    if state is None:
        state = _state()
    if state is None or not host:
        return False
    origin = (scheme, host, port)
    verdicts = state.route_verdicts
    verdict: bool | None = verdicts.get(origin)
    if verdict is None:
        verdict = state.policy.allows(scheme, host, port)
        if len(verdicts) >= 256:
            verdicts.clear()
        verdicts[origin] = verdict
    return verdict  # a bool from the policy: no bool() call on this per-request path


def url_bound_for_oci(url: str) -> bool:
    """:func:`bound_for_oci` for a URL string."""
    try:
        parts = urlsplit(url)
        return bound_for_oci(parts.scheme.lower(), parts.hostname, parts.port)
    except ValueError:  # a malformed port: the stack itself will refuse the URL
        return False


def already_signed(headers: "Iterable[tuple[str, str]]") -> bool:
    """An OCI signature is there already (the OCI SDK, LiteLLM's ``oci/`` provider and
    langchain-oci sign by themselves): such a request is left exactly as it is."""
    for name, value in headers:
        if name.lower() == "authorization":
            return value.startswith("Signature ") and 'keyId="' in value
    return False


def refuse(route: str, method: str, url: str, why: str, fix: str) -> "ConfigurationError":
    """The one-line refusal of a request that cannot be signed (never sent unsigned)."""
    from ...redact import url_without_userinfo

    target = url_without_userinfo(url.split("?")[0])
    from ...errors import ConfigurationError

    return ConfigurationError(
        f"{route}: refusing to send {method} {target} unsigned: {why}; {fix}, "
        f"or switch this route off with OCI_OPENAI_DISABLED_ROUTES={route}"
    )


def proxied(route: str, method: str, url: str, proxy: str = "a proxy") -> "ConfigurationError":
    """The refusal of a plain-http request that a proxy would carry: it would read the signature."""
    return refuse(
        route, method, url, f"it would go through {proxy} in clear text", "add the host to NO_PROXY, or use https"
    )


def scope_headers(state: "Any", url: str, headers: "list[tuple[str, str]]") -> "list[tuple[str, str]]":
    """The project or compartment headers an OCI-bound request gets when it has none, as
    the shim gives them to an openai client for the same URL."""
    from ...transport.request_headers import COMPARTMENT_HEADERS, CONVERSATION_STORE_HEADER, PROJECT_HEADER
    from ...trust.hosts import genai_plane, is_oci_service_host

    names = {name.lower() for name, _ in headers}
    plane = genai_plane(url)
    added: list[tuple[str, str]] = []
    if plane == "control":
        if state.compartment_id and "opc-compartment-id" not in names:
            added.append(("opc-compartment-id", state.compartment_id))
        return added
    if plane is None and is_oci_service_host(urlsplit(url).hostname or ""):
        return added  # a model deployment: scoped by its OCID
    has_scope = PROJECT_HEADER in names or bool(names & {n.lower() for n in COMPARTMENT_HEADERS})
    if not has_scope:
        if state.project_id:
            added.append((PROJECT_HEADER, state.project_id))
        elif state.compartment_id:
            added.extend((name, state.compartment_id) for name in COMPARTMENT_HEADERS)
    if state.conversation_store_id and CONVERSATION_STORE_HEADER not in names:
        added.append((CONVERSATION_STORE_HEADER, state.conversation_store_id))
    return added


def active_state_or_refuse(route: str) -> "Any":
    """The shim's state for a request it has decided to sign: a configuration error kept
    in it is raised (the request is refused, never sent unsigned)."""
    state = _state()
    if state is None:  # switched off between the decision and now
        from ...errors import ConfigurationError

        raise ConfigurationError(f"{route}: the shim was switched off while this request was being sent")
    if state.error is not None:
        raise state.error
    return state


def _prepared(route: str, method: str, url: str, headers: "list[tuple[str, str]]", body: bytes) -> "tuple[Any, Any]":
    import httpx

    state = active_state_or_refuse(route)
    auth = state.route_auth(route)
    request = httpx.Request(method, url, headers=[*headers, *scope_headers(state, url, headers)], content=body)
    return auth, request


def _signed(route: str, request: "Any") -> "Signed":
    return Signed(request.method, str(request.url), list(request.headers.multi_items()), request.content)


def sign(route: str, method: str, url: str, headers: "list[tuple[str, str]]", body: bytes) -> "Signed":
    """The request signed with the shim's principal, in this thread."""
    auth, request = _prepared(route, method, url, headers, body)
    flow = auth.sync_auth_flow(request)
    try:
        signed = next(flow)
    finally:
        flow.close()
    return _signed(route, signed)


async def sign_async(route: str, method: str, url: str, headers: "list[tuple[str, str]]", body: bytes) -> "Signed":
    """:func:`sign` on an event loop: credential loads and the RSA operation beside it."""
    auth, request = _prepared(route, method, url, headers, body)
    flow = auth.async_auth_flow(request)
    try:
        signed = await flow.__anext__()
    finally:
        await flow.aclose()
    return _signed(route, signed)
