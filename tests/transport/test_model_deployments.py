"""OCI Data Science model deployments as their users call them.

The programs run in fresh interpreters against the local endpoint over TLS, under the
deployment's real host name (resolved to loopback by :mod:`.testing.names`), with the
app's own ``OPENAI_API_KEY`` set. Every request must be verified by the endpoint, never
carry the app's key, and reach the endpoint a deployment serves it from: plain requests
``/predict``, streamed ones ``/predictWithResponseStream``.
"""

from __future__ import annotations

import email.utils
import importlib
import json
import logging
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fresh import clean_env, run_program
from oci.signer import Signer
from oracle import oci_signed_headers

from oci_openai_patch import OciOpenAI, OciUserPrincipalAuth
from oci_openai_patch.errors import ConfigurationError
from oci_openai_patch.testing import OciTestEndpoint, TestCertificateAuthority, VerificationError
from oci_openai_patch.testing.profiles import make_api_key_profile, make_session_profile
from oci_openai_patch.transport.model_deployments import deployment_base_url, route

APP_KEY = "sk-app-secret-never-to-oci"
DEPLOYMENT = "ocid1.datasciencemodeldeployment.oc1.iad.amaaaaaaexampledeployment"
HOST = "modeldeployment.us-ashburn-1.oci.customer-oci.com"
BASE_URL = f"https://{HOST}/{DEPLOYMENT}/predict/v1"
PREDICT = f"/{DEPLOYMENT}/predict"
STREAMING = f"/{DEPLOYMENT}/predictWithResponseStream"
STREAMED = b'{"model":"odsc-llm","stream":true}'
PLAIN = b'{"model":"odsc-llm"}'

# -- where a request goes (pure) --------------------------------------------------------

ROUTES = [
    # (mode, target, body, expected target or None for unchanged, headers added)
    ("path", PREDICT + "/v1/chat/completions", PLAIN, None, {}),
    ("path", PREDICT + "/v1/chat/completions", STREAMED, STREAMING + "/v1/chat/completions", {}),
    ("path", PREDICT + "/v1/completions?best_of=1", STREAMED, STREAMING + "/v1/completions?best_of=1", {}),
    ("path", PREDICT, STREAMED, STREAMING, {}),
    ("path", STREAMING + "/v1/chat/completions", STREAMED, None, {}),
    ("path", PREDICT + "/v1/chat/completions", b'{"stream":false}', None, {}),
    ("path", PREDICT + "/v1/chat/completions", b'{"messages":[{"content":"\\"stream\\": true"}]}', None, {}),
    ("path", "/openai/v1/chat/completions", STREAMED, None, {}),
    ("path", f"/{DEPLOYMENT}x/predict", STREAMED, f"/{DEPLOYMENT}x/predictWithResponseStream", {}),
    ("off", PREDICT + "/v1/chat/completions", STREAMED, None, {}),
    (
        "header",
        PREDICT + "/v1/chat/completions",
        PLAIN,
        PREDICT,
        {"route": "/v1/chat/completions", "enable-streaming": "false"},
    ),
    (
        "header",
        PREDICT + "/v1/chat/completions",
        STREAMED,
        STREAMING,
        {"route": "/v1/chat/completions", "enable-streaming": "true"},
    ),
    (
        "header",
        PREDICT + "/chat/completions",
        PLAIN,
        PREDICT,
        {"route": "/v1/chat/completions", "enable-streaming": "false"},
    ),
    ("header", f"/{DEPLOYMENT}/v1/models", b"", PREDICT, {"route": "/v1/models", "enable-streaming": "false"}),
    (
        "header",
        PREDICT + "/v1/completions?n=1",
        STREAMED,
        STREAMING + "?n=1",
        {"route": "/v1/completions", "enable-streaming": "true"},
    ),
    ("header", PREDICT, STREAMED, STREAMING, {"enable-streaming": "true"}),
    ("header", "/20231130/actions/v1/chat/completions", STREAMED, None, {}),
]


@pytest.mark.parametrize(("mode", "target", "body", "expected", "added"), ROUTES)
def test_where_a_request_goes(mode: str, target: str, body: bytes, expected: str | None, added: dict[str, str]) -> None:
    routed = route(target.encode(), body, {}, mode)
    if expected is None:
        assert routed is None
    else:
        assert routed is not None
        assert routed.target.decode() == expected
        assert dict(routed.headers) == added


def test_a_route_the_caller_set_is_kept() -> None:
    routed = route(
        (PREDICT + "/v1/chat/completions").encode(), PLAIN, {"route": "/custom", "enable-streaming": "x"}, "header"
    )
    assert routed is not None and routed.target.decode() == PREDICT and routed.headers == ()


@pytest.mark.parametrize(
    ("ocid", "region", "expected"),
    [
        (DEPLOYMENT, "us-ashburn-1", BASE_URL),
        (DEPLOYMENT, "iad", BASE_URL),
        (
            "ocid1.datasciencemodeldeployment.oc1.eu-frankfurt-1.aaaa",
            "eu-frankfurt-1",
            "https://modeldeployment.eu-frankfurt-1.oci.customer-oci.com/"
            "ocid1.datasciencemodeldeployment.oc1.eu-frankfurt-1.aaaa/predict/v1",
        ),
        (
            "ocid1.datasciencemodeldeployment.oc2.us-langley-1.aaaa",
            "us-langley-1",
            "https://md.datascience.us-langley-1.oci.oraclegovcloud.com/"
            "ocid1.datasciencemodeldeployment.oc2.us-langley-1.aaaa/predict/v1",
        ),
    ],
)
def test_the_base_url_of_a_deployment_is_in_its_realm(ocid: str, region: str, expected: str) -> None:
    assert deployment_base_url(ocid, region) == expected


# -- signed as sent, byte for byte with oci.signer ---------------------------------------


def _first_request(auth: Any, request: httpx.Request) -> httpx.Request:
    """The request the auth hands to the transport (its flow's first yield)."""
    flow = auth.sync_auth_flow(request)
    sent = next(flow)
    flow.close()
    return sent  # type: ignore[no-any-return]


@pytest.mark.parametrize("mode", ["header", "path"])
@pytest.mark.parametrize("body", [PLAIN, STREAMED], ids=["plain", "streamed"])
def test_the_routed_request_is_signed_as_oci_signer_signs_it(tmp_path: Path, mode: str, body: bytes) -> None:
    with OciTestEndpoint() as endpoint:
        profile = make_api_key_profile(tmp_path, endpoint.verifier)
    auth = OciUserPrincipalAuth(config_file=profile.config_file, deployment_routing=mode)
    request = httpx.Request(
        "POST",
        BASE_URL + "/chat/completions",
        content=body,
        headers={"date": email.utils.formatdate(usegmt=True), "content-type": "application/json"},
    )
    sent = _first_request(auth, request)
    expected_path = STREAMING if body == STREAMED else PREDICT
    if mode == "path":
        expected_path += "/v1/chat/completions"
    assert sent.url.raw_path.decode() == expected_path
    if mode == "header":
        assert sent.headers["route"] == "/v1/chat/completions"
        assert sent.headers["enable-streaming"] == ("true" if body == STREAMED else "false")
    headers = {k.lower(): v for k, v in sent.headers.items() if k.lower() not in ("authorization", "x-content-sha256")}
    oracle = Signer(profile.tenancy, profile.user, profile.fingerprint, profile.key_file)
    theirs = oci_signed_headers(oracle, "POST", str(sent.url), headers, sent.content)
    assert sent.headers["authorization"] == theirs["authorization"]
    # The routed target is what was signed: the endpoint's verifier accepts it, and no other.
    received = {k.lower(): v for k, v in sent.headers.items()}
    assert endpoint.verifier.verify("POST", expected_path, received, sent.content).key_id == profile.key_id
    with pytest.raises(VerificationError):
        endpoint.verifier.verify("POST", PREDICT + "/v1/chat/completions?x", received, sent.content)


def test_the_log_says_once_where_streamed_requests_went(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from oci_openai_patch.transport.request_rewrite import LOGGED_ROUTING

    LOGGED_ROUTING.clear()
    with OciTestEndpoint() as endpoint:
        profile = make_api_key_profile(tmp_path, endpoint.verifier)
    auth = OciUserPrincipalAuth(config_file=profile.config_file)
    with caplog.at_level(logging.INFO, logger="oci_openai_patch"):
        for _ in range(3):
            _first_request(auth, httpx.Request("POST", BASE_URL + "/chat/completions", content=STREAMED))
    lines = [r.getMessage() for r in caplog.records if "predictWithResponseStream" in r.getMessage()]
    assert len(lines) == 1 and "OCI_OPENAI_DEPLOYMENT_ROUTING=off" in lines[0], lines


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_a_routed_request_keeps_its_host_and_query_and_gets_the_headers(
    library: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``route_deployment`` on the request object itself, as the auth flow calls it before
    signing: target replaced (query kept), routing headers set, one log line per change."""
    from oci_openai_patch.transport.request_rewrite import LOGGED_ROUTING, route_deployment

    module = pytest.importorskip(library)
    LOGGED_ROUTING.clear()

    def routed(mode: str, body: bytes) -> Any:
        request = module.Request("POST", BASE_URL + "/chat/completions?api-version=2", content=body)
        route_deployment(request, mode)
        return request

    with caplog.at_level(logging.INFO, logger="oci_openai_patch"):
        first = routed("header", STREAMED)
        routed("header", PLAIN)
        moved = routed("path", STREAMED)
        routed("path", STREAMED)
    assert (first.url.host, first.url.raw_path) == (HOST, (STREAMING + "?api-version=2").encode())
    assert (first.headers["route"], first.headers["enable-streaming"]) == ("/v1/chat/completions", "true")
    assert moved.url.raw_path == (STREAMING + "/v1/chat/completions?api-version=2").encode()
    assert "route" not in moved.headers and "enable-streaming" not in moved.headers
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("model deployment: requests go to /<OCID>/predict or /predictWithResponseStream")
    assert "(deployment_routing=header; OCI_OPENAI_DEPLOYMENT_ROUTING=off sends them as they are)" in lines[0]
    assert lines[1].startswith("model deployment: streamed requests go to /<OCID>/predictWithResponseStream")
    assert "(deployment_routing=path;" in lines[1]
    assert sorted(LOGGED_ROUTING) == ["header routing", "streaming endpoint"]


@pytest.mark.parametrize(
    ("mode", "url"),
    [
        ("path", BASE_URL + "/chat/completions"),  # a plain body stays on /predict
        ("off", BASE_URL + "/chat/completions"),
        ("header", "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions"),
    ],
)
def test_a_request_with_nowhere_else_to_go_is_left_as_it_is(mode: str, url: str) -> None:
    from oci_openai_patch.transport.request_rewrite import route_deployment

    request = httpx.Request("POST", url, content=PLAIN if mode == "path" else STREAMED)
    before, headers = request.url, list(request.headers.raw)
    route_deployment(request, mode)
    assert request.url is before and list(request.headers.raw) == headers


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
@pytest.mark.parametrize(
    "target", [b"/ocid1.x/predictWithResponseStream", b"/ocid1.x/predict?n=1&m=2", b"/a%20b/predict?q=%2F"]
)
def test_a_new_target_replaces_the_path_and_query_and_nothing_else(library: str, target: bytes) -> None:
    from oci_openai_patch.transport.request_rewrite import _with_target

    module = pytest.importorskip(library)
    url = module.URL(f"https://user:pw@{HOST}:8443/ocid1.x/predict/v1/chat?n=1&m=2#frag")
    moved = _with_target(url, target)
    assert type(moved) is type(url) and moved.raw_path == target
    assert (moved.scheme, moved.userinfo, moved.host, moved.port, moved.fragment) == (
        "https",
        b"user:pw",
        HOST,
        8443,
        "frag",
    )
    assert url.raw_path == b"/ocid1.x/predict/v1/chat?n=1&m=2"  # the original is not changed


def test_a_url_type_without_a_parsed_reference_is_copied_by_its_own_method() -> None:
    from oci_openai_patch.transport.request_rewrite import _with_target

    class OtherUrl:
        def __init__(self, raw_path: bytes) -> None:
            self.raw_path = raw_path

        def copy_with(self, *, raw_path: bytes) -> OtherUrl:
            return OtherUrl(raw_path)

    moved = _with_target(OtherUrl(b"/ocid1.x/predict"), b"/ocid1.x/predictWithResponseStream?n=1")
    assert isinstance(moved, OtherUrl) and moved.raw_path == b"/ocid1.x/predictWithResponseStream?n=1"


def test_a_url_whose_parsed_reference_has_another_shape_is_copied_by_its_own_method() -> None:
    """The fast path relies on httpx's internals (a named tuple with a ``path``): a URL
    type that holds something else there is copied with ``copy_with``, not guessed at."""
    from types import SimpleNamespace

    from oci_openai_patch.transport.request_rewrite import _with_target

    class OtherUrl:
        def __init__(self, raw_path: bytes, reference: object) -> None:
            self.raw_path = raw_path
            self._uri_reference = reference

        def copy_with(self, *, raw_path: bytes) -> OtherUrl:
            return OtherUrl(raw_path, self._uri_reference)

    for reference in (SimpleNamespace(path="/ocid1.x/predict"), "a parsed URL of another library"):
        moved = _with_target(OtherUrl(b"/ocid1.x/predict", reference), b"/ocid1.x/predictWithResponseStream")
        assert isinstance(moved, OtherUrl) and moved.raw_path == b"/ocid1.x/predictWithResponseStream"


# -- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"model_deployment_id": "ocid1.datasciencemodel.oc1.iad.aaaa"},
            "model_deployment_id= is not a model deployment OCID",
        ),
        ({"model_deployment_id": "<deployment OCID>"}, "model_deployment_id= is not a model deployment OCID"),
        (
            {"model_deployment_id": DEPLOYMENT, "region": "us-chicago-1"},
            "model_deployment_id= is a deployment in us-ashburn-1, but region= is us-chicago-1",
        ),
        (
            {"model_deployment_id": DEPLOYMENT, "region": "us-langley-1"},
            "is a deployment of the realm oc1, but region= is us-langley-1, of the realm oc2",
        ),
        ({"model_deployment_id": DEPLOYMENT, "base_url": BASE_URL}, "model_deployment_id= and base_url= both name"),
        ({"model_deployment_id": DEPLOYMENT, "api": "control"}, "a model deployment takes no api="),
        (
            {"base_url": BASE_URL, "deployment_routing": "headers"},
            "deployment_routing='headers' is not a deployment routing mode",
        ),
    ],
)
def test_a_bad_deployment_argument_is_one_line_at_construction(
    tmp_path: Path, arguments: dict[str, str], message: str
) -> None:
    with OciTestEndpoint() as endpoint:
        profile = make_api_key_profile(tmp_path, endpoint.verifier)
    with pytest.raises(ConfigurationError) as raised:
        OciOpenAI(auth=OciUserPrincipalAuth(config_file=profile.config_file), **arguments)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_an_ocid_without_a_region_takes_the_principals(tmp_path: Path) -> None:
    from oci_openai_patch.testing.profiles import TEST_REGION

    with OciTestEndpoint() as endpoint:
        profile = make_api_key_profile(tmp_path, endpoint.verifier)
    regionless = "ocid1.datasciencemodeldeployment.oc1..aaaa"
    client = OciOpenAI(auth=OciUserPrincipalAuth(config_file=profile.config_file), model_deployment_id=regionless)
    assert str(client.base_url) == deployment_base_url(regionless, TEST_REGION) + "/"


def test_deployment_routing_with_a_foreign_auth_is_refused() -> None:
    import openai

    library: Any = importlib.import_module("httpx2" if openai.__version__.startswith("3.") else "httpx")
    Foreign = type("Foreign", (library.Auth,), {})

    with pytest.raises(ConfigurationError, match="deployment_routing= needs one of this package's auths"):
        OciOpenAI(auth=Foreign(), base_url=BASE_URL, deployment_routing="header")


# -- the local endpoint ------------------------------------------------------------------


def test_the_endpoint_checks_the_signature_before_the_deployment(tmp_path: Path) -> None:
    with OciTestEndpoint() as endpoint:
        reply = httpx.post(endpoint.model_deployment_base_url + "/chat/completions", json={"model": "m"})
    assert reply.status_code == 401 and reply.json()["code"] == "NotAuthenticated"


def test_an_unknown_deployment_is_ocis_404(tmp_path: Path) -> None:
    with OciTestEndpoint() as endpoint:
        profile = make_api_key_profile(tmp_path, endpoint.verifier)
        auth = OciUserPrincipalAuth(config_file=profile.config_file, hosts=[endpoint.host])
        other = f"{endpoint.origin}/ocid1.datasciencemodeldeployment.oc1.iad.unknown/predict/v1/chat/completions"
        reply = httpx.post(other, json={"model": "m", "messages": []}, auth=auth)
    assert reply.status_code == 404
    assert reply.json() == {
        "code": "NotAuthorizedOrNotFound",
        "message": "Authorization failed or requested resource not found.",
    }
    assert endpoint.requests[-1].verified


def test_a_streamed_request_on_predict_is_refused_and_a_finding(tmp_path: Path) -> None:
    with OciTestEndpoint() as endpoint:
        profile = make_api_key_profile(tmp_path, endpoint.verifier)
        auth = OciUserPrincipalAuth(config_file=profile.config_file, hosts=[endpoint.host], deployment_routing="off")
        payload = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
        reply = httpx.post(endpoint.model_deployment_base_url + "/chat/completions", json=payload, auth=auth)
        routed = httpx.post(
            endpoint.model_deployment_base_url + "/chat/completions",
            json=payload,
            auth=OciUserPrincipalAuth(config_file=profile.config_file, hosts=[endpoint.host]),
        )
    assert reply.status_code == 400 and "predictWithResponseStream" in reply.json()["message"]
    assert endpoint.requests[0].findings == (
        "streamed request sent to /predict, which does not stream: send it to /predictWithResponseStream",
    )
    assert routed.status_code == 200 and routed.headers["content-type"] == "text/event-stream"
    assert "data: [DONE]" in routed.text and endpoint.requests[1].findings == ()


def test_header_routing_without_a_route_is_refused(tmp_path: Path) -> None:
    with OciTestEndpoint() as endpoint:
        profile = make_api_key_profile(tmp_path, endpoint.verifier)
        auth = OciUserPrincipalAuth(config_file=profile.config_file, hosts=[endpoint.host])
        bare = endpoint.model_deployment_base_url.removesuffix("/v1")
        reply = httpx.post(bare, json={"model": "m"}, auth=auth)
    assert reply.status_code == 400 and reply.json()["code"] == "MissingParameter"


# -- as users run it: real host name, TLS, fresh interpreters ------------------------------


@dataclass
class Deployment:
    endpoint: OciTestEndpoint
    ca_file: Path
    root: Path

    @property
    def port(self) -> int:
        return int(self.endpoint.host.rpartition(":")[2])

    def prelude(self) -> str:
        routes = {HOST: self.port}
        return f"from oci_openai_patch.testing.names import route_to_loopback\nroute_to_loopback({routes!r})\n"

    def env(self, *, zero_code: bool, **extra: str) -> dict[str, str]:
        profile = make_session_profile(self.root / "session", self.endpoint.verifier)
        shim = {"OCI_OPENAI_AUTH": "session", "OCI_OPENAI_CONFIG_FILE": profile.config_file} if zero_code else {}
        return clean_env(
            OPENAI_API_KEY=APP_KEY,
            SSL_CERT_FILE=str(self.ca_file),
            SESSION_CONFIG=profile.config_file,
            # anyio connects to the URL's port whatever the name resolves to: async programs name it.
            BASE_URL_WITH_PORT=f"https://{HOST}:{self.port}/{DEPLOYMENT}/predict/v1",
            **shim,
            **extra,
        )

    def run(self, code: str, *, zero_code: bool, **extra: str) -> list[str]:
        out = run_program(self.prelude() + textwrap.dedent(code), self.env(zero_code=zero_code, **extra))
        return out.splitlines()

    def targets(self) -> list[str]:
        """The targets received, after checking every request was signed, and carried no app key."""
        requests = self.endpoint.requests
        assert requests
        for request in requests:
            assert request.verified, (request.target, request.reason)
            assert not request.findings, request.findings
            assert APP_KEY not in repr(request.headers) and APP_KEY not in request.target
            assert request.headers["host"] in (HOST, f"{HOST}:{self.port}")
        return [request.target for request in requests]


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    authority = TestCertificateAuthority()
    context = authority.server_context(tmp_path / "tls", HOST)
    with OciTestEndpoint(ssl_context=context, model_deployments=(DEPLOYMENT,)) as endpoint:
        yield Deployment(endpoint, authority.write_certificate(tmp_path / "ca.pem"), tmp_path)


CHAT_TWICE = """
    reply = client.chat.completions.create(model="odsc-llm", messages=[{"role": "user", "content": "plain"}])
    print(reply.choices[0].message.content)
    stream = client.chat.completions.create(
        model="odsc-llm", messages=[{"role": "user", "content": "streamed"}], stream=True
    )
    print("".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices))
"""

EXPLICIT = (
    f"""
    import os
    from oci_openai_patch import OciOpenAI, OciSessionAuth
    client = OciOpenAI(base_url={BASE_URL!r}, auth=OciSessionAuth(config_file=os.environ["SESSION_CONFIG"]))
"""
    + CHAT_TWICE
)

ZERO_CODE = (
    f"""
    from openai import OpenAI
    client = OpenAI(base_url={BASE_URL!r})
"""
    + CHAT_TWICE
)

OWN_HTTP_CLIENT = (
    f"""
    import os
    import openai
    from oci_openai_patch import OciSessionAuth
    if openai.__version__.startswith("3."):
        import httpx2 as httpx
    else:
        import httpx
    auth = OciSessionAuth(config_file=os.environ["SESSION_CONFIG"])
    client = openai.OpenAI(api_key="OCI", base_url={BASE_URL!r}, http_client=httpx.Client(auth=auth))
"""
    + CHAT_TWICE
)

ASYNC_EXPLICIT = """
    import asyncio, os
    from oci_openai_patch import AsyncOciOpenAI, OciSessionAuth

    async def main():
        auth = OciSessionAuth(config_file=os.environ["SESSION_CONFIG"])
        client = AsyncOciOpenAI(base_url=os.environ["BASE_URL_WITH_PORT"], auth=auth)
        said = [{"role": "user", "content": "plain"}]
        reply = await client.chat.completions.create(model="odsc-llm", messages=said)
        print(reply.choices[0].message.content)
        stream = await client.chat.completions.create(
            model="odsc-llm", messages=[{"role": "user", "content": "streamed"}], stream=True
        )
        print("".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]))

    asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("program", "zero_code"),
    [(EXPLICIT, False), (ASYNC_EXPLICIT, False), (ZERO_CODE, True), (OWN_HTTP_CLIENT, False)],
    ids=["explicit", "async-explicit", "zero-code", "auth-on-own-http-client"],
)
def test_plain_requests_go_to_predict_and_streamed_ones_to_the_streaming_endpoint(
    deployment: Deployment, program: str, zero_code: bool
) -> None:
    lines = deployment.run(program, zero_code=zero_code)
    assert lines[0].endswith("You said: plain") and lines[1].endswith("You said: streamed"), lines
    assert deployment.targets() == [PREDICT + "/v1/chat/completions", STREAMING + "/v1/chat/completions"]


@pytest.mark.parametrize(
    ("program", "zero_code", "extra"),
    [
        (ZERO_CODE, True, {"OCI_OPENAI_DEPLOYMENT_ROUTING": "header"}),
        (EXPLICIT.replace("OciOpenAI(base_url=", 'OciOpenAI(deployment_routing="header", base_url='), False, {}),
        (OWN_HTTP_CLIENT, False, {"OCI_OPENAI_DEPLOYMENT_ROUTING": "header"}),
    ],
    ids=["zero-code-environment", "explicit-argument", "auth-from-environment"],
)
def test_header_routing_sends_route_and_enable_streaming(
    deployment: Deployment, program: str, zero_code: bool, extra: dict[str, str]
) -> None:
    lines = deployment.run(program, zero_code=zero_code, **extra)
    assert lines[0].endswith("You said: plain") and lines[1].endswith("You said: streamed"), lines
    assert deployment.targets() == [PREDICT, STREAMING]
    routes = [(r.headers.get("route"), r.headers.get("enable-streaming")) for r in deployment.endpoint.requests]
    assert routes == [("/v1/chat/completions", "false"), ("/v1/chat/completions", "true")]


def test_routing_off_sends_requests_as_they_are(deployment: Deployment) -> None:
    code = f"""
    from openai import OpenAI
    client = OpenAI(base_url={BASE_URL!r})
    print(client.chat.completions.create(model="odsc-llm", messages=[{{"role": "user", "content": "x"}}]).id)
    try:
        client.chat.completions.create(model="odsc-llm", messages=[{{"role": "user", "content": "x"}}], stream=True)
    except Exception as error:
        print(type(error).__name__)
    """
    lines = deployment.run(code, zero_code=True, OCI_OPENAI_DEPLOYMENT_ROUTING="off")
    assert lines[1] == "BadRequestError"
    assert [r.target for r in deployment.endpoint.requests] == [PREDICT + "/v1/chat/completions"] * 2
    assert deployment.endpoint.requests[1].findings


def test_a_client_built_from_the_deployment_ocid_reaches_it(deployment: Deployment) -> None:
    code = f"""
    import os
    from oci_openai_patch import OciOpenAI, OciSessionAuth
    auth = OciSessionAuth(config_file=os.environ["SESSION_CONFIG"])
    for client in (
        OciOpenAI(model_deployment_id={DEPLOYMENT!r}, region="us-ashburn-1", auth=auth),
        OciOpenAI(model_deployment_id={DEPLOYMENT!r}, auth=auth),
    ):
        print(client.base_url)
        print(client.completions.create(model="odsc-llm", prompt="from the OCID").choices[0].text)
    """
    lines = deployment.run(code, zero_code=False)
    assert lines[0] == lines[2] == BASE_URL + "/"
    assert lines[1].endswith("You said: from the OCID") and lines[3] == lines[1]
    assert deployment.targets() == [PREDICT + "/v1/completions"] * 2


def test_the_shim_points_a_client_with_no_base_url_at_the_deployment(deployment: Deployment) -> None:
    code = """
    from openai import OpenAI
    client = OpenAI()
    print(client.base_url)
    stream = client.completions.create(model="odsc-llm", prompt="no base url", stream=True)
    print("".join(chunk.choices[0].text for chunk in stream))
    """
    lines = deployment.run(code, zero_code=True, OCI_OPENAI_MODEL_DEPLOYMENT_ID=DEPLOYMENT)
    assert lines[0] == BASE_URL + "/" and lines[1].endswith("You said: no base url"), lines
    assert deployment.targets() == [STREAMING + "/v1/completions"]


AQUA_LIKE = (
    f"""
    import json
    import openai

    class AquaLikeOpenAI(openai.OpenAI):
        '''Header routing done by the client, as Oracle ADS's AquaOpenAI does (patch_headers).'''

        def _prepare_request(self, request):
            super()._prepare_request(request)
            body = json.loads(request.content or b"{{}}")
            request.headers["route"] = "/v1/chat/completions"
            request.headers["enable-streaming"] = "true" if body.get("stream") else "false"
            request.headers["x-prepared-by"] = "subclass"
            request.url = request.url.copy_with(path="/{DEPLOYMENT}/predict")

    client = AquaLikeOpenAI(base_url={BASE_URL!r})
"""
    + CHAT_TWICE
)


def test_a_subclass_prepare_request_runs_and_what_it_produces_is_signed(deployment: Deployment) -> None:
    lines = deployment.run(AQUA_LIKE, zero_code=True)
    assert lines[0].endswith("You said: plain") and lines[1].endswith("You said: streamed"), lines
    # The subclass sent both to /predict; the streamed one moves to the streaming endpoint.
    assert deployment.targets() == [PREDICT, STREAMING]
    assert all(r.headers.get("x-prepared-by") == "subclass" for r in deployment.endpoint.requests)
    assert [r.headers["enable-streaming"] for r in deployment.endpoint.requests] == ["false", "true"]


def test_an_unknown_deployment_is_a_not_found_error(deployment: Deployment) -> None:
    other = BASE_URL.replace("exampledeployment", "otherdeployment")
    code = f"""
    from openai import OpenAI, NotFoundError
    try:
        OpenAI(base_url={other!r}).chat.completions.create(model="m", messages=[])
    except NotFoundError as error:
        print(error.status_code, error.body["code"] if isinstance(error.body, dict) else error.body)
    """
    assert deployment.run(code, zero_code=True) == ["404 NotAuthorizedOrNotFound"]
    assert deployment.endpoint.requests[0].verified


def test_the_doctor_explains_the_deployment(deployment: Deployment) -> None:
    lines = run_program(
        "",
        deployment.env(
            zero_code=True, OCI_OPENAI_MODEL_DEPLOYMENT_ID=DEPLOYMENT, OCI_OPENAI_DEPLOYMENT_ROUTING="header"
        ),
        sys.executable,
        "-m",
        "oci_openai_patch.commands.cli",
        "doctor",
    ).splitlines()
    assert f"model deployment: {DEPLOYMENT} (OCI_OPENAI_MODEL_DEPLOYMENT_ID)" in lines
    assert any(line.startswith(f"url: {BASE_URL}: an OCI service host") for line in lines), lines
    assert any(line.startswith("plane: Data Science model deployment; deployment routing header") for line in lines)
    assert json.dumps(lines).count("doctor: usable") == 1
