"""A signature never leaves for a foreign host, and foreign requests are not touched.

Two layers. First, hostile URLs sent through real httpx / httpx2 clients carrying the
auth (transport recording what would go on the wire): lookalike, suffix and prefix
tricks, ``userinfo@``, internationalised and punycode names, letter case, ports, IP
literals, plain http, and tricks on the user's own extra hosts. Each foreign request must
leave exactly as the same client without the auth sends it (the caller's own Bearer key
included); a few genuine OCI hosts are the control that signing does happen. Second,
live loopback servers and the real openai client: a redirect from the OCI host to
another host, ``with_options(base_url=<other host>)`` on an OCI client, and one shared
http client serving an OCI and a non-OCI base URL.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from libraries import LIBRARIES

from oci_openai_patch import OciAuth, OciOpenAI, OciUserPrincipalAuth
from oci_openai_patch.credentials import ApiKeyCredentials
from oci_openai_patch.testing import OciTestEndpoint

OCI = "inference.generativeai.us-chicago-1.oci.oraclecloud.com"
EXTRA_HOSTS = ["gateway.example.com", "*.svc.example.org", "127.0.0.1:8443"]

HOSTILE_URLS = [
    # lookalike domains
    f"https://{OCI}.evil.com/openai/v1/chat/completions",
    f"https://{OCI}.attacker.net/openai/v1/chat/completions",
    "https://inference-generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions",
    "https://inference.generativeai.us-chicago-1.oci.oraclecloud.co/openai/v1/chat/completions",
    "https://inference.generativeai.us-chicago-1.oci.oracle-cloud.com/openai/v1/chat/completions",
    "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com.cn/openai/v1/chat/completions",
    "https://inference.generativeai.us-chicago-1.oraclecloud.com/openai/v1/chat/completions",
    "https://inference.generativeai.us-chicago-1.oci.oraclecloudapps.com/openai/v1/chat/completions",
    "https://oraclecloud.com/openai/v1/chat/completions",
    "https://oci.oraclecloud.com/openai/v1/chat/completions",
    # suffix and prefix tricks
    f"https://evil{OCI}/openai/v1/chat/completions",
    f"https://evil-{OCI}/openai/v1/chat/completions",
    "https://evil-oraclecloud.com/openai/v1/chat/completions",
    "https://xinference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions",
    "https://inference.generativeai.us-chicago-1.oci.oraclecloud.comx/openai/v1/chat/completions",
    "https://modeldeployment.us-ashburn-1.oci.customer-oci.com.evil.io/predict",
    "https://evilmodeldeployment.us-ashburn-1.oci.customer-oci.com/predict",
    "https://modeldeployment.us-ashburn-1.customer-oci.com/predict",
    # the OCI name somewhere other than the host
    f"https://evil.com/{OCI}/openai/v1/chat/completions",
    f"https://evil.com/openai/v1/chat/completions?host={OCI}",
    f"https://{OCI}@evil.com/openai/v1/chat/completions",
    f"https://user:pass@evil.com/{OCI}",
    f"https://{OCI}:443@evil.com/openai/v1",
    # internationalised and punycode names
    "https://inference.generativeai.us-chicago-1.oci.oraclecl\u043eud.com/openai/v1/chat/completions",
    "https://inference.generativeai.us-chicago-1.oci.xn--oraclecld-6zb.com/openai/v1/chat/completions",
    "https://\u043eraclecloud.com/openai/v1/chat/completions",
    "https://inference.generativeai.us-chicago-1.oci.oraclecloud.c\u043em/openai/v1",
    # IP literals
    "https://169.254.169.254/opc/v2/instance/",
    "https://10.0.0.1/openai/v1/chat/completions",
    "https://[::1]/openai/v1/chat/completions",
    "https://[fd00:c1::a9fe:a9fe]/openai/v1",
    "http://127.0.0.1:9/openai/v1/chat/completions",
    # plain http to OCI names
    f"http://{OCI}/openai/v1/chat/completions",
    "http://modeldeployment.us-ashburn-1.oci.customer-oci.com/predict",
    f"http://{OCI.upper()}/openai/v1/chat/completions",
    # the user's extra hosts, abused
    "https://evilgateway.example.com/v1/chat/completions",
    "https://gateway.example.com.evil.net/v1/chat/completions",
    "https://gateway.example.co/v1/chat/completions",
    "https://svc.example.org/v1/chat/completions",
    "https://a.svc.example.org.evil.com/v1/chat/completions",
    "https://asvc.example.org/v1/chat/completions",
    "https://127.0.0.1:8444/v1/chat/completions",
    "https://127.0.0.1/v1/chat/completions",
    "https://localhost:8443/v1/chat/completions",
    "http://gateway.example.com/v1/chat/completions",
    # other schemes are never sent by these clients; ports on foreign names
    "https://evil.com:443/openai/v1/chat/completions",
    "https://evil.com:8443/openai/v1/chat/completions",
]
GENUINE_URLS = [
    f"https://{OCI}/openai/v1/chat/completions",
    f"https://{OCI.upper()}/openai/v1/chat/completions",
    "https://inference.generativeai.eu-frankfurt-2.oci.oraclecloud.eu/openai/v1/chat/completions",
    "https://modeldeployment.us-ashburn-1.oci.customer-oci.com/ocid1.x/predict",
    "https://gateway.example.com/v1/chat/completions",
    "https://a.b.svc.example.org/v1/chat/completions",
    "https://127.0.0.1:8443/v1/chat/completions",
]


def _wire(library: Any, url: str, auth: Any) -> dict[str, str]:
    """The headers a client of ``library`` would send for a POST to ``url`` (nothing is sent)."""
    seen: list[Any] = []

    def record(request: Any) -> Any:
        seen.append(request)
        return library.Response(200, json={})

    with library.Client(transport=library.MockTransport(record), auth=auth, follow_redirects=False) as client:
        client.post(url, json={"model": "m"}, headers={"authorization": "Bearer sk-caller-own-key"})
    (request,) = seen
    return {k.lower(): v for k, v in request.headers.items()}


@pytest.fixture(scope="module")
def auth(tmp_path_factory: pytest.TempPathFactory) -> OciAuth:
    from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile

    profile = make_api_key_profile(tmp_path_factory.mktemp("hosts"), SignatureVerifier())
    return OciAuth(ApiKeyCredentials(config_file=profile.config_file), hosts=EXTRA_HOSTS)


def test_the_suite_is_large_enough() -> None:
    assert len(HOSTILE_URLS) >= 40 and len(set(HOSTILE_URLS)) == len(HOSTILE_URLS)


@pytest.mark.parametrize("library_name", LIBRARIES)
@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_url_leaves_untouched(library_name: str, url: str, auth: OciAuth) -> None:
    library = importlib.import_module(library_name)
    with_auth = _wire(library, url, auth)
    without = _wire(library, url, None)
    assert with_auth == without  # byte for byte what the client sends without the auth
    assert not with_auth["authorization"].startswith("Signature")


@pytest.mark.parametrize("library_name", LIBRARIES)
@pytest.mark.parametrize("url", GENUINE_URLS)
def test_genuine_url_is_signed(library_name: str, url: str, auth: OciAuth) -> None:
    headers = _wire(importlib.import_module(library_name), url, auth)
    assert headers["authorization"].startswith('Signature algorithm="rsa-sha256"')
    assert "sk-caller-own-key" not in " ".join(headers.values())


# -- live, through the openai client --------------------------------------------------


@pytest.fixture
def foreign() -> Iterator[OciTestEndpoint]:
    """Another loopback server, on a port nobody trusts."""
    with OciTestEndpoint(require_signature=False) as endpoint:
        yield endpoint


def _signatures(endpoint: OciTestEndpoint) -> int:
    return sum("keyid=" in r.headers.get("authorization", "").lower() for r in endpoint.requests)


def test_redirect_from_the_oci_host_to_another_host_carries_no_signature(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_api_key_profile, foreign
) -> None:
    client = OciOpenAI(
        auth=OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file),
        base_url=oci_endpoint.base_url,
        max_retries=0,
    )
    oci_endpoint.redirect_next(foreign.base_url + "/models")
    client.models.list()  # followed by the http client to the foreign host
    assert [r.reason for r in oci_endpoint.requests] == ["injected"]
    assert oci_endpoint.requests[0].headers["authorization"].startswith("Signature ")
    assert len(foreign.requests) == 1 and _signatures(foreign) == 0
    assert "authorization" not in foreign.requests[0].headers


def test_with_options_to_another_host_is_not_signed(oci_endpoint, oci_api_key_profile, foreign) -> None:  # type: ignore[no-untyped-def]
    client = OciOpenAI(
        auth=OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file),
        base_url=oci_endpoint.base_url,
        max_retries=0,
    )
    client.with_options(base_url=foreign.base_url).models.list()
    client.copy(base_url=foreign.base_url).chat.completions.create(model="m", messages=[])
    client.models.list()
    assert len(foreign.requests) == 2 and _signatures(foreign) == 0
    assert oci_endpoint.verified_count == 1


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_one_shared_http_client_for_oci_and_non_oci(  # type: ignore[no-untyped-def]
    library_name: str, oci_endpoint, oci_api_key_profile, foreign
) -> None:
    library = importlib.import_module(library_name)
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file, hosts=[oci_endpoint.host])
    shared = library.Client(auth=auth)
    try:
        oci_client = openai.OpenAI(api_key="sk-oci-placeholder", base_url=oci_endpoint.base_url, http_client=shared)
    except TypeError:
        pytest.skip(f"openai {openai.__version__} takes no {library_name} client")
    other = openai.OpenAI(api_key="sk-their-real-key", base_url=foreign.base_url, http_client=shared)
    for _ in range(3):
        oci_client.models.list()
        other.models.list()
    assert oci_endpoint.verified_count == 3
    assert _signatures(foreign) == 0
    assert {r.headers["authorization"] for r in foreign.requests} == {"Bearer sk-their-real-key"}
