"""Provisional: per-request signing cost of the auth / (building the request + one raw RSA sign).

Run: .venv/bin/python benchmarks/sign_ratio.py. A ratio measured side by side in one run,
never a timed assertion; the benchmarks issue turns this into ``make bench``.
"""

from __future__ import annotations

import json
import timeit

import httpx
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256

from oci_openai_patch.auth import _sign
from oci_openai_patch.credentials import SigningKey

URL = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 950}]}).encode()
SIGNING_KEY = SigningKey("ocid1.tenancy.oc1..a/ocid1.user.oc1..b/aa:bb", KEY)


def signed() -> None:
    _sign(httpx.Request("POST", URL, content=BODY), SIGNING_KEY, fresh_date=False)


def baseline() -> None:
    httpx.Request("POST", URL, content=BODY)
    KEY.sign(b"x" * 300, padding.PKCS1v15(), SHA256())


if __name__ == "__main__":
    for _ in range(3):
        ours = min(timeit.repeat(signed, number=500, repeat=5)) / 500
        floor = min(timeit.repeat(baseline, number=500, repeat=5)) / 500
        print(f"auth sign {ours * 1e3:.3f} ms, request + raw RSA {floor * 1e3:.3f} ms, ratio {ours / floor:.3f}")
