"""The signing flow's own cost, without the RSA operation: what the package adds per request.

The ``signing`` benchmark divides the whole flow by one RSA signature, and on a shared machine
its rows move by a few hundredths between runs. This measures only what surrounds the
signature (host check, header rules, digest, signing string), with ``rsa_sign`` replaced by
a constant, so that two trees can be compared in the same minute::

    python tools/flow_overhead.py                 # this checkout
    PYTHONPATH=<other checkout> python tools/flow_overhead.py
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import tempfile
import timeit
from pathlib import Path
from typing import Any

URL = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions"
BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 950}]}).encode()
HEADERS = {
    "content-type": "application/json",
    "authorization": "Bearer sk",
    "compartmentid": "ocid1.compartment.oc1..a",
}


def _auth_module() -> Any:
    for name in ("oci_openai_patch.transport.auth", "oci_openai_patch.auth"):  # this layout, the one before
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise SystemExit("oci_openai_patch is not importable")


def main() -> None:
    from oci_openai_patch import OciUserPrincipalAuth
    from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile

    library: Any = importlib.import_module("httpx2" if importlib.util.find_spec("httpx2") else "httpx")
    _auth_module().rsa_sign = lambda key, data: b"x" * 256
    profile = make_api_key_profile(Path(tempfile.mkdtemp(prefix="oci-openai-patch-flow-")), SignatureVerifier())
    auth = OciUserPrincipalAuth(config_file=profile.config_file)
    request = library.Request("POST", URL, content=BODY, headers=HEADERS)
    template = request.headers.copy()

    def call() -> None:
        request.headers = template.copy()
        next(auth.sync_auth_flow(request))

    for _ in range(2000):
        call()
    best = min(timeit.repeat(call, number=2000, repeat=7)) / 2000
    print(f"{library.__name__}: {best * 1e6:.1f} us per signing flow without the RSA operation")


if __name__ == "__main__":
    main()
