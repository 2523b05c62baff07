"""Memory: resident-set growth over 20,000 signed requests.

An ``OciOpenAI`` client sends chat completions through a transport that answers in
memory (so the figure is the client's and the signer's, not a server's); after 1,000
warm-up requests the RSS is sampled every 500 requests and the peak growth is reported,
next to the same loop unsigned on ``openai.OpenAI`` (5,000 requests, for context).
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Any

from _measure import Result, rss_bytes

REQUESTS = 20_000
UNSIGNED_REQUESTS = 5_000  # the unsigned loop is context only
WARM_UP = 1_000
TARGET_MB = 5.0
REPLY = {
    "id": "chatcmpl-memory",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
}


def _http_library() -> Any:
    import openai

    return importlib.import_module("httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx")


def _growth(client: Any, requests: int) -> float:
    messages = [{"role": "user", "content": "x" * 900}]
    for _ in range(WARM_UP):
        client.chat.completions.create(model="m", messages=messages)
    start = peak = rss_bytes()
    for index in range(requests):
        client.chat.completions.create(model="m", messages=messages)
        if index % 500 == 0:
            peak = max(peak, rss_bytes())
    peak = max(peak, rss_bytes())
    return (peak - start) / 2**20


def run() -> list[Result]:
    import openai

    from oci_openai_patch import OciOpenAI, OciUserPrincipalAuth
    from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile

    http = _http_library()
    verifier = SignatureVerifier()
    profile = make_api_key_profile(Path(tempfile.mkdtemp(prefix="oci-openai-patch-bench-")), verifier)
    signed_count = 0

    def answer(request: Any) -> Any:
        nonlocal signed_count
        if request.headers.get("authorization", "").startswith("Signature "):
            signed_count += 1
        return http.Response(200, json=REPLY)

    base_url = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1"
    signed = OciOpenAI(
        auth=OciUserPrincipalAuth(config_file=profile.config_file),
        base_url=base_url,
        compartment_id="ocid1.compartment.oc1..aaaaaaaamemory",
        http_client=http.Client(transport=http.MockTransport(answer)),
    )
    unsigned = openai.OpenAI(
        api_key="sk-unsigned",
        base_url="https://api.example.com/v1",
        http_client=http.Client(transport=http.MockTransport(answer)),
    )
    unsigned_growth = _growth(unsigned, UNSIGNED_REQUESTS)
    signed_growth = _growth(signed, REQUESTS)
    every_one_signed = signed_count == REQUESTS + WARM_UP
    return [
        Result(
            f"memory: peak RSS growth over {REQUESTS:,} signed requests",
            f"{signed_growth:.2f} MB (unsigned, {UNSIGNED_REQUESTS:,} requests: {unsigned_growth:.2f} MB)",
            f"<= {TARGET_MB:.0f} MB",
            signed_growth <= TARGET_MB and every_one_signed,
            "" if every_one_signed else f"only {signed_count} requests were signed",
        )
    ]
