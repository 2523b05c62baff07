"""Property-based: for arbitrary requests, our signature equals oci.signer's and verifies.

Hypothesis draws the method, path segments (any text, percent-encoded as a client
would send it), query pairs, extra headers (a caller's Bearer key among them) and the
body. The request goes through the auth exactly as a client sends it (httpx and
httpx2); the result must equal ``oci.signer.Signer`` on the same wire request, and the
endpoint's verifier must accept it against the target, headers and body as sent.
"""

from __future__ import annotations

import importlib
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libraries import LIBRARIES
from oci.signer import Signer
from oracle import oci_signed_headers

from oci_openai_patch import OciAuth
from oci_openai_patch.credentials import ApiKeyCredentials
from oci_openai_patch.signature.signing import BODY_METHODS
from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile

HOSTS = (
    "inference.generativeai.us-chicago-1.oci.oraclecloud.com",
    "inference.generativeai.eu-frankfurt-2.oci.oraclecloud.eu:8443",
    "modeldeployment.us-ashburn-1.oci.customer-oci.com",
)
RESERVED = {"date", "host", "content-length", "content-type", "x-content-sha256", "authorization", "x-api-key"}

segment = st.text(min_size=1, max_size=12).map(lambda s: urllib.parse.quote(s, safe="~-._"))
query = st.lists(st.tuples(st.text(min_size=1, max_size=6), st.text(max_size=8)), max_size=3)
header_name = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True).filter(lambda n: n not in RESERVED)
header_value = st.from_regex(r"[!-~]([ -~]{0,20}[!-~])?", fullmatch=True)
requests_strategy = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "HEAD", "DELETE", "OPTIONS", "POST", "PUT", "PATCH"]),
        "host": st.sampled_from(HOSTS),
        "segments": st.lists(segment, min_size=1, max_size=4),
        "query": query,
        "headers": st.dictionaries(header_name, header_value, max_size=4),
        "bearer": st.booleans(),
        "body": st.binary(max_size=512),
    }
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    verifier = SignatureVerifier()
    profile = make_api_key_profile(tmp_path_factory.mktemp("prop"), verifier)
    credentials = ApiKeyCredentials(config_file=profile.config_file)
    oracle = Signer(profile.tenancy, profile.user, profile.fingerprint, profile.key_file)
    return {"verifier": verifier, "auth": OciAuth(credentials), "oracle": oracle}


@pytest.mark.parametrize("library_name", LIBRARIES)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=requests_strategy)
def test_arbitrary_requests_sign_like_oci_and_verify(world: dict[str, Any], library_name: str, drawn: Any) -> None:
    library = importlib.import_module(library_name)
    method = drawn["method"]
    url = f"https://{drawn['host']}/" + "/".join(drawn["segments"])
    if drawn["query"]:
        url += "?" + urllib.parse.urlencode(drawn["query"])
    headers = dict(drawn["headers"])
    if drawn["bearer"]:
        headers["authorization"] = "Bearer sk-must-not-travel"
    has_body = method in BODY_METHODS
    request = library.Request(method, url, headers=headers, content=drawn["body"] if has_body else None)

    next(world["auth"].sync_auth_flow(request))

    sent = {k.lower(): v for k, v in request.headers.items()}
    assert sent["authorization"].startswith("Signature ")
    target = request.url.raw_path.decode("ascii")
    # Oracle's signer, given the same wire request (same date, same body headers):
    before = {k: v for k, v in sent.items() if k != "authorization"}
    theirs = oci_signed_headers(world["oracle"], method, str(request.url), before, request.content)
    assert sent["authorization"] == theirs["authorization"]
    # And the endpoint accepts it as received.
    world["verifier"].verify(method, target, sent, request.content)
