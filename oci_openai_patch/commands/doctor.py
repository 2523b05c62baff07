"""``oci-openai-patch doctor``: what the environment resolves to, and whether it will work.

Without ``--call`` it reads the configuration, loads the credentials and signs dry; a
Generative AI data-plane URL with neither a project nor a compartment is reported as not
usable, since every request would fail there; a control-plane URL is explained (vector
stores; ``opc-compartment-id`` on create and list). With ``--call`` it makes one real
signed request (a models list, a vector-store list on the control plane, or a one-token
chat with ``--model``) and reports what came back: the HTTP status with OCI's
error code, the clock skew against the server's ``Date`` (OCI refuses a signature more
than 5 minutes off), or a TLS failure as such. Each line is printed as it is known, so a
hang shows where it hangs. Nothing printed holds a secret.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..credentials import redact_key_id
from ..errors import ConfigurationError
from ..redact import url_without_userinfo

#: OCI refuses a request whose ``date`` is further than this from its clock.
MAX_SKEW_SECONDS = 300.0


def run(url_option: str | None, *, call: bool, model: str | None, out: Callable[[str], None] = print) -> int:
    """Print the diagnosis; 0 when the configuration is usable (and the call succeeded)."""
    from ..credentials import principal_region
    from ..settings import OCI_OPENAI_AUTH, load_settings, resolve_project
    from ..signature.signing import sign_request
    from ..transport.auto_auth import choose
    from ..transport.principals import auth_from_settings
    from ..trust.hosts import HostPolicy, genai_plane, is_oci_service_host, region_base_url

    kind, reason = choose()  # OCI_OPENAI_AUTH, OCI_CLI_AUTH, else what the environment shows
    settings = load_settings({**os.environ, OCI_OPENAI_AUTH: kind})
    out(f"auth: {settings.auth_kind} ({reason})")
    if settings.auth_kind in ("user_principal", "session"):
        out(f"config file: {settings.config_file}")
        out(f"profile: {settings.profile}")
    # An OPENAI_PROJECT_ID that is no project OCID fails here, as it would in every OCI client.
    project, project_source = resolve_project(None, settings.project_id)
    out(f"project: {project} ({project_source})" if project else "project: -")
    out(f"compartment: {settings.compartment_id or '-'}")
    out(f"extra hosts: {', '.join(p.host + (f':{p.port}' if p.port else '') for p in settings.hosts) or '-'}")
    _explain_routes(settings.disabled_routes, out)
    auth = auth_from_settings(settings)
    credentials: Any = auth.credentials  # every provider of this package describes itself
    for name, value in credentials.describe().items():
        if name != "auth":
            out(f"{name.replace('_', ' ')}: {value}")
    known = principal_region(auth.credentials)
    if settings.model_deployment_id:
        out(f"model deployment: {settings.model_deployment_id} (OCI_OPENAI_MODEL_DEPLOYMENT_ID)")
    if settings.region:
        out(f"region: {settings.region} (OCI_OPENAI_REGION)")
    else:
        out(f"region: {known[0]} (from {known[1]})" if known else "region: - (the principal knows none)")
    region_url = settings.region_base_url or (region_base_url(known[0]) if known else None)
    url = url_option or os.environ.get("OPENAI_BASE_URL") or region_url
    usable = True
    if url:
        host = urlsplit(url).hostname or ""
        if not HostPolicy(extra=settings.hosts).allows_url(url):
            out(f"url: {url_without_userinfo(url)}: NOT an OCI host, left unsigned")
            out("doctor: the URL is not an OCI service host; add it to OCI_OPENAI_HOSTS if it is a private endpoint")
            return 1
        kind = "an OCI service host" if is_oci_service_host(host) else "a host trusted through OCI_OPENAI_HOSTS"
        out(f"url: {url_without_userinfo(url)}: {kind}, requests will be signed")
        usable = _explain_plane(genai_plane(url), project, settings.compartment_id, out)
        _explain_deployment(url, auth.deployment_routing, out)
    key = auth.credentials.get()
    sign_request(
        method="GET",
        target="/openai/v1/models",
        host="example.invalid",
        headers={},
        body=b"",
        key_id=key.key_id,
        private_key=key.private_key,
    )
    out("dry signing: ok")
    if call:
        if not url:
            raise ConfigurationError(
                "doctor --call needs a URL: set OPENAI_BASE_URL or OCI_OPENAI_REGION, or pass --url"
            )
        usable = _call(url, auth, project, settings.compartment_id, model, out) and usable
    out("doctor: usable" if usable else "doctor: NOT usable (see above)")
    return 0 if usable else 1


def _explain_routes(disabled: frozenset[str], out: Callable[[str], None]) -> None:
    """Which HTTP stacks past the openai client the shim signs (``OCI_OPENAI_DISABLED_ROUTES``)."""
    from ..settings import ROUTES

    active = [route for route in ROUTES if route not in disabled]
    out(f"routes: openai clients, {', '.join(active)}" if active else "routes: openai clients")
    if disabled:
        out(f"routes switched off: {', '.join(r for r in ROUTES if r in disabled)} (OCI_OPENAI_DISABLED_ROUTES)")


#: What each routing mode does to a model deployment's requests, for the ``plane:`` line.
_ROUTING_EFFECTS = {
    "path": "streamed requests go to /predictWithResponseStream",
    "header": "requests go to /predict or /predictWithResponseStream with route and enable-streaming headers",
    "off": "requests go where the client sends them; streamed ones will not stream",
}


def _explain_deployment(url: str, routing: str, out: Callable[[str], None]) -> None:
    """Say how a model deployment's requests are routed (``OCI_OPENAI_DEPLOYMENT_ROUTING``)."""
    from ..transport.model_deployments import is_deployment_path

    if is_deployment_path(urlsplit(url).path):
        out(f"plane: Data Science model deployment; deployment routing {routing}: {_ROUTING_EFFECTS[routing]}")


def _explain_plane(plane: str | None, project: str | None, compartment: str | None, out: Callable[[str], None]) -> bool:
    """Say what the Generative AI plane of the URL needs and gets; False when it cannot work."""
    if plane == "data":
        if project:
            out("plane: Generative AI data plane (responses, chat, conversations, files); scoped by the project")
            return True
        if compartment:
            out(
                "plane: Generative AI data plane; scoped by the compartment (the older form): "
                "set OCI_OPENAI_PROJECT_ID to a Generative AI Project OCID"
            )
            return True
        out(
            "project: MISSING: the Generative AI data plane refuses requests without a project; "
            "set OCI_OPENAI_PROJECT_ID (the older form: OCI_OPENAI_COMPARTMENT_ID)"
        )
        return False
    if plane == "control":
        sent = "sent as opc-compartment-id" if compartment else "NOT set: creating and listing vector stores will fail"
        out(f"plane: Generative AI control plane (vector stores; IAM signing only); compartment {sent}")
        return True
    if plane == "actions":
        if compartment:
            out("plane: Generative AI /20231130/actions/v1; scoped by the compartment")
            return True
        out("compartment: MISSING: the /20231130/actions/v1 API needs one; set OCI_OPENAI_COMPARTMENT_ID")
        return False
    return True


def _call(
    url: str, auth: Any, project: str | None, compartment_id: str | None, model: str | None, out: Callable[[str], None]
) -> bool:
    """One signed request to ``url``; print what came back; True on a 2xx."""
    import httpx

    from ..credentials.fetch_failures import classify, oci_error
    from ..transport.model_deployments import is_deployment_path
    from ..transport.request_headers import oci_headers
    from ..trust.hosts import genai_plane

    base = url.rstrip("/")
    plane = genai_plane(url)
    headers = oci_headers(None if plane == "data" and project else compartment_id, None, plane=plane)
    if project:
        headers["OpenAI-Project"] = project
    started = time.time()
    try:
        with httpx.Client(auth=auth, headers=headers, timeout=30.0) as client:
            if not model and is_deployment_path(urlsplit(url).path):
                out("call: skipped: a model deployment's /predict takes POST only; pass --model to send a chat request")
                return True
            if model:
                target = f"{base}/chat/completions"
                payload = {"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
                response = client.post(target, json=payload)
            else:
                target = f"{base}/vector_stores?limit=1" if plane == "control" else f"{base}/models"
                response = client.get(target)
    except httpx.TransportError as error:
        failure = classify(url_without_userinfo(target), error)
        out(f"call: {failure}")
        if failure.kind == "tls":
            out("call: the server's certificate does not verify against this machine's CA bundle (SSL_CERT_FILE)")
        return False
    received = time.time()
    status = f"HTTP {response.status_code}"
    code, message = oci_error(response.content) if response.status_code >= 400 else ("", "")
    out(f"call: {response.request.method} {url_without_userinfo(target)}: {status}{f' {code}' if code else ''}")
    if message:
        out(f"call: {message}")
    _report_skew(response.headers.get("date"), (started + received) / 2, out)
    if response.status_code == 401:
        key_id = auth.credentials.current()
        shown = redact_key_id(key_id.key_id) if key_id is not None else "-"
        out(
            f"call: the server does not accept key id {shown}: check that the key is uploaded to the user, or the token"
        )
    return 200 <= response.status_code < 300


def _report_skew(date: str | None, local: float, out: Callable[[str], None]) -> None:
    if not date:
        out("clock: the server sent no Date; skew unknown")
        return
    try:
        server = email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        out(f"clock: the server's Date {date!r} is not an HTTP date; skew unknown")
        return
    skew = local - server
    direction = "ahead of" if skew > 0 else "behind"
    if abs(skew) > MAX_SKEW_SECONDS:
        out(
            f"clock: this machine is {abs(skew):.0f} s {direction} the server; OCI refuses signatures more than "
            "5 minutes off: synchronise the clock (NTP)"
        )
    else:
        out(f"clock: within {max(abs(skew), 1.0):.0f} s of the server's")
