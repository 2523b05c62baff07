"""Per-request signing cost, as a multiple of one raw RSA-2048 signature.

The request is a 1 KB chat completion with openai's headers (a Bearer key to strip, a
compartment). Each call gives the auth a fresh copy of the request's headers and runs
its flow up to the signed request; the copy's own cost is measured and subtracted. The
floor is ``private_key.sign(signing string, PKCS1v15(), SHA256())`` with
``cryptography``. The older packages, when installed (``pip install -e '.[bench]'``),
are measured the same way in the same rounds.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _measure import Result, interleaved_best

URL = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions"
BODY = json.dumps({"model": "openai.gpt-oss-120b", "messages": [{"role": "user", "content": "x" * 950}]}).encode()
HEADERS = {
    "content-type": "application/json",
    "authorization": "Bearer sk-placeholder",
    "compartmentid": "ocid1.compartment.oc1..aaaaaaaabench",
    "opc-compartment-id": "ocid1.compartment.oc1..aaaaaaaabench",
}
TARGET = 1.10
#: A streamed 1 KB chat to a model deployment, whose target moves to predictWithResponseStream.
DEPLOYMENT_URL = (
    "https://modeldeployment.us-ashburn-1.oci.customer-oci.com/"
    "ocid1.datasciencemodeldeployment.oc1.iad.aaaabench/predict/v1/chat/completions"
)
STREAMED_BODY = json.dumps(
    {"model": "odsc-llm", "messages": [{"role": "user", "content": "x" * 950}], "stream": True}
).encode()
#: Routing a deployment request may cost this much over signing it where it was sent.
ROUTING_TARGET = 1.05


def _flow_call(
    auth: Any, library: Any, first_step: Callable[[Any, Any], Any], url: str = URL, body: bytes = BODY
) -> tuple[Callable[[], None], Any]:
    request = library.Request("POST", url, content=body, headers=HEADERS)
    template = request.headers.copy()
    original = request.url

    def call() -> None:
        request.headers = template.copy()
        request.url = original
        first_step(auth, request)

    return call, request


def run() -> list[Result]:
    import httpx
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256

    from oci_openai_patch import OciUserPrincipalAuth
    from oci_openai_patch.signature.signing import signing_string
    from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile

    directory = Path(tempfile.mkdtemp(prefix="oci-openai-patch-bench-"))
    profile = make_api_key_profile(directory, SignatureVerifier())
    ours = OciUserPrincipalAuth(config_file=profile.config_file)
    key = ours.credentials.get().private_key
    sample = signing_string(
        "POST",
        "/openai/v1/chat/completions",
        ("date", "(request-target)", "host", "content-length", "content-type", "x-content-sha256"),
        {
            "date": "Thu, 26 Nov 2026 12:00:00 GMT",
            "host": "inference.generativeai.us-chicago-1.oci.oraclecloud.com",
            "content-length": str(len(BODY)),
            "content-type": "application/json",
            "x-content-sha256": "A" * 44,
        },
    )
    padding, digest = PKCS1v15(), SHA256()

    def rsa() -> None:
        key.sign(sample, padding, digest)

    libraries = [httpx]
    if importlib.util.find_spec("httpx2") is not None:
        import httpx2

        libraries.insert(0, httpx2)
    candidates: dict[str, Callable[[], None]] = {"raw RSA-2048 sign": rsa}
    copy_costs: dict[str, Callable[[], None]] = {}
    for library in libraries:
        call, request = _flow_call(ours, library, lambda auth, request: next(auth.sync_auth_flow(request)))
        candidates[f"oci-openai-patch ({library.__name__})"] = call
        template = request.headers.copy()
        copy_costs[f"oci-openai-patch ({library.__name__})"] = lambda template=template: template.copy()  # type: ignore[misc]
    older = {"oci_openai": "oci-openai", "oci_genai_auth": "oci-genai-auth"}
    for module_name, label in older.items():
        if importlib.util.find_spec(module_name) is None:
            continue
        module = __import__(module_name)
        auth = module.OciUserPrincipalAuth(config_file=profile.config_file, profile_name="DEFAULT")
        call, request = _flow_call(auth, httpx, lambda auth, request: next(auth.auth_flow(request)))
        candidates[f"{label} (httpx)"] = call
        template = request.headers.copy()
        copy_costs[f"{label} (httpx)"] = lambda template=template: template.copy()  # type: ignore[misc]

    first = next(iter(libraries))
    routed_call, _ = _flow_call(
        ours, first, lambda auth, request: next(auth.sync_auth_flow(request)), DEPLOYMENT_URL, STREAMED_BODY
    )
    as_sent_call, _ = _flow_call(
        ours.routing_deployments("off"),
        first,
        lambda auth, request: next(auth.sync_auth_flow(request)),
        DEPLOYMENT_URL,
        STREAMED_BODY,
    )
    routing = {"routed": routed_call, "as sent": as_sent_call}
    for call in [*candidates.values(), *routing.values()]:  # warm up
        for _ in range(20):
            call()
    routed = interleaved_best(routing, batch=20, rounds=60)
    best = interleaved_best(candidates, batch=20, rounds=60)
    copies = interleaved_best(copy_costs, batch=200, rounds=10)
    floor = best.pop("raw RSA-2048 sign")
    results = []
    for name, seconds in best.items():
        ratio = (seconds - copies[name]) / floor
        ours_row = name.startswith("oci-openai-patch")
        results.append(
            Result(
                f"signing, 1 KB chat: {name} / raw RSA sign",
                f"{ratio:.2f}x ({(seconds - copies[name]) * 1e3:.3f} ms / {floor * 1e3:.3f} ms)",
                f"<= {TARGET:.2f}x" if ours_row else "(for comparison)",
                ratio <= TARGET if ours_row else None,
            )
        )
    ratio = routed["routed"] / routed["as sent"]
    results.append(
        Result(
            f"model deployment, streamed 1 KB chat ({first.__name__}): routed to predictWithResponseStream / as sent",
            f"{ratio:.3f}x ({routed['routed'] * 1e3:.3f} ms / {routed['as sent'] * 1e3:.3f} ms)",
            f"<= {ROUTING_TARGET:.2f}x",
            ratio <= ROUTING_TARGET,
        )
    )
    return results
