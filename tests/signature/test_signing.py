"""Our signature equals oci.signer's byte for byte, on the request exactly as sent."""

from __future__ import annotations

import httpx
import pytest
from oci.auth.signers import SecurityTokenSigner
from oci.signer import Signer
from oracle import oci_signed_headers

from oci_openai_patch.credentials import SigningKey
from oci_openai_patch.signature.signing import body_digest, rsa_sign, sign_request
from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile
from oci_openai_patch.transport.signed_request import apply, prepare


def _sign(request: httpx.Request, key: SigningKey, *, fresh_date: bool) -> None:
    """Sign ``request`` in place as the auth flow does, the RSA operation inline."""
    pending = prepare(request, key, fresh_date=fresh_date)
    apply(request, pending, rsa_sign(pending.private_key, pending.data), route="openai")


DATE = "Thu, 26 Nov 2026 11:00:00 GMT"
GENAI = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com"
MD = "https://modeldeployment.us-ashburn-1.oci.customer-oci.com/ocid1.datasciencemodeldeployment.oc1.iad.xyz/predict/v1"

CASES = [
    ("GET", GENAI + "/openai/v1/models", b""),
    ("HEAD", GENAI + "/openai/v1/models", b""),
    ("DELETE", GENAI + "/openai/v1/responses/resp_1", b""),
    ("POST", GENAI + "/openai/v1/chat/completions", b'{"model":"m","messages":[]}'),
    ("PUT", GENAI + "/openai/v1/files/f", b'{"a":1}'),
    ("PATCH", GENAI + "/openai/v1/files/f", b'{"a":2}'),
    ("POST", GENAI + "/openai/v1/chat/completions", b""),
    ("POST", GENAI + "/openai/v1/chat/completions", '{"content":"héllo 日本 🦄"}'.encode()),
    ("GET", GENAI + "/openai/v1/a%20b/c%2Fd?q=x%20y&r=%7E", b""),
    ("GET", GENAI + "/openai/v1/~user/x?tilde=~&slash=%2F", b""),
    ("POST", GENAI + "/20231130/actions/v1/chat/completions?api-version=1", b'{"x":1}'),
    ("GET", "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com:8443/openai/v1/models", b""),
    ("POST", MD + "/chat/completions", b'{"model":"odsc-llm"}'),
    ("GET", "https://md.datascience.eu-frankfurt-2.oci.oraclecloud.eu/x?y=1", b""),
]


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return make_api_key_profile(tmp_path_factory.mktemp("sig"), SignatureVerifier())


@pytest.mark.parametrize(("method", "url", "body"), CASES, ids=[f"{m}-{u[-30:]}" for m, u, _ in CASES])
def test_sign_request_equals_oci_signer(profile, method: str, url: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    request = httpx.Request(
        method,
        url,
        content=body if method in ("POST", "PUT", "PATCH") else None,
        headers={"date": DATE, "content-type": "application/json"},
    )
    wire_target = request.url.raw_path.decode()
    wire_host = request.headers["host"]
    headers = {k.lower(): v for k, v in request.headers.items()}
    ours = sign_request(
        method=method,
        target=wire_target,
        host=wire_host,
        headers=headers,
        body=request.content,
        key_id=profile.key_id,
        private_key=profile.private_key,
    )
    oracle = Signer(profile.tenancy, profile.user, profile.fingerprint, profile.key_file)
    theirs = oci_signed_headers(oracle, method, str(request.url), headers, request.content)
    assert ours["authorization"] == theirs["authorization"]
    if method in ("POST", "PUT", "PATCH"):
        assert ours.get("x-content-sha256", headers.get("x-content-sha256")) == theirs["x-content-sha256"]
        assert theirs["x-content-sha256"] == body_digest(request.content)


def test_auth_signs_httpx_request_like_oci_signer_with_session_token(profile) -> None:  # type: ignore[no-untyped-def]
    token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln"
    request = httpx.Request(
        "POST",
        GENAI + "/openai/v1/chat/completions?x=%7E",
        content=b'{"m":1}',
        headers={"date": DATE, "Authorization": "Bearer sk-should-go", "X-Api-Key": "k"},
    )
    _sign(request, SigningKey("ST$" + token, profile.private_key), fresh_date=False)
    assert "x-api-key" not in request.headers
    assert request.headers["authorization"].count("Signature") == 1
    oracle = SecurityTokenSigner(token, profile.private_key)
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in ("authorization",)}
    theirs = oci_signed_headers(oracle, "POST", str(request.url), headers, request.content)
    assert request.headers["authorization"] == theirs["authorization"]
    assert 'keyId="ST$' + token + '"' in request.headers["authorization"]


def test_existing_date_is_kept_and_fresh_date_replaces_it(profile) -> None:  # type: ignore[no-untyped-def]
    request = httpx.Request("GET", GENAI + "/openai/v1/models", headers={"date": DATE})
    key = SigningKey(profile.key_id, profile.private_key)
    _sign(request, key, fresh_date=False)
    assert request.headers["date"] == DATE
    _sign(request, key, fresh_date=True)
    assert request.headers["date"] != DATE


def test_the_rsa_scheme_is_made_on_first_use_and_signs_as_pkcs1_sha256(profile, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256

    from oci_openai_patch.signature import signing

    monkeypatch.setattr(signing, "_scheme", None)  # as in a process that has signed nothing yet
    signature = rsa_sign(profile.private_key, b"signing string")
    profile.private_key.public_key().verify(signature, b"signing string", PKCS1v15(), SHA256())
    assert signing._scheme is not None and rsa_sign(profile.private_key, b"signing string") == signature


def test_a_chosen_header_the_request_does_not_carry_is_refused_before_signing(profile) -> None:  # type: ignore[no-untyped-def]
    from oci_openai_patch.errors import ConfigurationError
    from oci_openai_patch.signature.signing import prepare_signature, signed_header_policy

    names = signed_header_policy(["date", "(request-target)", "host", "x-custom", "x-other"], None)
    arguments = dict(method="GET", target="/openai/v1/models", host="h", body=b"", key_id="k")
    with pytest.raises(ConfigurationError) as refused:
        prepare_signature(headers={}, private_key=profile.private_key, header_names=names, **arguments)
    assert str(refused.value) == "cannot sign header x-custom, x-other: the request does not carry it"
    carried = {"x-custom": "1", "x-other": "2"}
    pending = prepare_signature(headers=carried, private_key=profile.private_key, header_names=names, **arguments)
    assert pending.data.decode().endswith("\nx-custom: 1\nx-other: 2")
