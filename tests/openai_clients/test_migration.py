"""oci-openai's call forms, unchanged, against the local endpoint (which verifies every signature).

Each test is a call as the older package's users write it: its positional order
``(config_file, profile_name, refresh_interval)``, ``service_endpoint=``, ``region=``
beside ``base_url=``, ``generic_headers`` / ``body_headers``, ``HttpxOciAuth``, and any
httpx auth given to ``auth=``. What cannot carry over fails at construction, in one line.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from oracle import oci_signed_headers

from oci_openai_patch import (
    AsyncOciOpenAI,
    ConfigurationError,
    HttpxOciAuth,
    OciInstancePrincipalAuth,
    OciOpenAI,
    OciResourcePrincipalAuth,
    OciSessionAuth,
    OciUserPrincipalAuth,
    OciWorkloadIdentityAuth,
)
from oci_openai_patch.testing import OciTestEndpoint

MESSAGES: Any = [{"role": "user", "content": "hi"}]


def _chat(client: Any) -> None:
    client.chat.completions.create(model="m", messages=MESSAGES)


def _client(endpoint: OciTestEndpoint, auth: Any, **kwargs: Any) -> OciOpenAI:
    return OciOpenAI(auth=auth, base_url=endpoint.base_url, max_retries=0, **kwargs)


def test_the_old_positional_order(oci_endpoint, oci_api_key_profile, oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    for auth in (
        OciUserPrincipalAuth(oci_api_key_profile.config_file, "DEFAULT", 3600, hosts=[oci_endpoint.host]),
        OciSessionAuth(oci_session_profile.config_file, "DEFAULT", 3600, hosts=[oci_endpoint.host]),
        OciSessionAuth(config_file=oci_session_profile.config_file, profile_name="DEFAULT", refresh_interval=60),
    ):
        _chat(_client(oci_endpoint, auth))
    assert len(oci_endpoint.requests) == 3 and all(r.verified for r in oci_endpoint.requests)
    assert isinstance(auth, HttpxOciAuth) and isinstance(auth, httpx.Auth)


def test_a_profile_name_where_the_config_file_goes_says_so() -> None:
    with pytest.raises(ConfigurationError) as caught:
        OciSessionAuth("DEFAULT")
    assert str(caught.value) == (
        "config_file='DEFAULT' looks like a profile name, not a file; the first argument is the config file "
        "(as in oci-openai): pass profile_name='DEFAULT'"
    )


def test_refresh_interval_bounds_a_tokens_age(oci_endpoint, oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    bounded = OciSessionAuth(oci_session_profile.config_file, refresh_interval=0.3, hosts=[oci_endpoint.host])
    by_expiry = OciSessionAuth(oci_session_profile.config_file, hosts=[oci_endpoint.host])
    first = oci_session_profile.token
    _chat(_client(oci_endpoint, bounded))
    _chat(_client(oci_endpoint, by_expiry))
    rotated = oci_session_profile.rotate(revoke_old=False)  # both tokens stay valid: no 401 forces a reload
    time.sleep(0.4)
    _chat(_client(oci_endpoint, bounded))
    _chat(_client(oci_endpoint, by_expiry))
    key_ids = [r.key_id for r in oci_endpoint.requests]
    assert all(r.verified for r in oci_endpoint.requests)
    assert key_ids == ["ST$" + first, "ST$" + first, "ST$" + rotated, "ST$" + first]


@pytest.mark.parametrize(
    "build",
    [
        lambda value: OciUserPrincipalAuth(refresh_interval=value),
        lambda value: OciSessionAuth(refresh_interval=value),
        lambda value: OciInstancePrincipalAuth(refresh_interval=value),
        lambda value: OciResourcePrincipalAuth(refresh_interval=value),
        lambda value: OciWorkloadIdentityAuth(refresh_interval=value),
    ],
    ids=["user", "session", "instance", "resource", "workload"],
)
@pytest.mark.parametrize("value", [0, -5, "1h", True])
def test_a_bad_refresh_interval_is_refused_before_anything_is_read(build, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match=r"^refresh_interval=.* must be a positive number of seconds"):
        build(value)


def test_refresh_interval_reaches_no_sdk_signer(oci_resource_principal, oci_endpoint, compartment_id) -> None:  # type: ignore[no-untyped-def]
    """oci-openai's resource-principal auth took it; the SDK signer does not."""
    auth = OciResourcePrincipalAuth(refresh_interval=1800, hosts=[oci_endpoint.host])
    _chat(_client(oci_endpoint, auth, compartment_id=compartment_id))
    assert oci_endpoint.requests[-1].verified


def test_generic_and_body_headers_sign_as_the_sdk_signer_does(oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    import oci

    generic = ["date", "(request-target)", "host"]
    body = ["content-length", "content-type", "x-content-sha256", "opc-request-id"]
    auth = OciSessionAuth(oci_session_profile.config_file, generic_headers=generic, body_headers=body)
    sdk = oci.auth.signers.SecurityTokenSigner(
        oci_session_profile.token,
        oci.signer.load_private_key_from_file(oci_session_profile.key_file),
        generic_headers=generic,
        body_headers=body,
    )
    url = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions"
    body_bytes = b'{"model":"m"}'
    fixed = {
        "date": "Thu, 26 Nov 2026 10:00:00 GMT",
        "opc-request-id": "req-1",
        "content-type": "application/json",
        "content-length": str(len(body_bytes)),
    }
    request = httpx.Request("POST", url, headers=fixed, content=body_bytes)
    signed = next(auth.sync_auth_flow(request))
    expected = oci_signed_headers(sdk, "POST", url, dict(fixed), body_bytes)
    assert signed.headers["authorization"] == expected["authorization"]
    assert (
        'headers="date (request-target) host content-length content-type x-content-sha256 opc-request-id"'
        in (signed.headers["authorization"])
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"generic_headers": ["date", "host"]},
            "generic_headers=['date', 'host'] must list each header once and include (request-target)",
        ),
        ({"body_headers": ["content-type"]}, "include content-length, x-content-sha256"),
    ],
)
def test_headers_oci_would_refuse_fail_at_construction(oci_session_profile, arguments, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        OciSessionAuth(oci_session_profile.config_file, **arguments)


def test_service_endpoint_and_the_old_precedence(oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    auth = OciUserPrincipalAuth(oci_api_key_profile.config_file)
    endpoint = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com"
    assert str(OciOpenAI(auth=auth, service_endpoint=endpoint + "/ ", compartment_id=compartment_id).base_url) == (
        endpoint + "/openai/v1/"
    )
    # base_url > service_endpoint > region, and region beside either is not an error.
    both = OciOpenAI(
        auth=auth,
        region="eu-frankfurt-1",
        service_endpoint=endpoint,
        base_url="https://example.oci.oraclecloud.com/v9",
        compartment_id=compartment_id,
    )
    assert str(both.base_url) == "https://example.oci.oraclecloud.com/v9/"
    regional = AsyncOciOpenAI(
        auth=auth, region="eu-frankfurt-1", service_endpoint=endpoint, compartment_id=compartment_id
    )
    assert str(regional.base_url) == endpoint + "/openai/v1/"
    # Nothing given: the principal's region (the profile's) gives the endpoint.
    assert str(OciOpenAI(auth=auth, compartment_id=compartment_id).base_url) == endpoint + "/openai/v1/"


def _http_library() -> Any:
    """The HTTP library openai sends with: httpx2 from openai 3 on, httpx before."""
    import importlib

    import openai

    return importlib.import_module("httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx")


def _header_auth(library: Any) -> Any:
    class HeaderAuth(library.Auth):  # type: ignore[misc, name-defined]
        """A custom auth of the kind oci-openai accepted in ``auth=``."""

        def auth_flow(self, request: Any) -> Any:
            request.headers["x-custom-auth"] = "mine"
            yield request

    return HeaderAuth()


def test_any_httpx_auth_is_used_as_is(oci_endpoint, compartment_id) -> None:  # type: ignore[no-untyped-def]
    auth = _header_auth(_http_library())
    client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url, compartment_id=compartment_id, max_retries=0)
    for each in (client, client.with_options(timeout=5)):
        with pytest.raises(Exception, match="401"):  # not signed: the endpoint refuses, but it got our header
            _chat(each)
    assert [r.headers.get("x-custom-auth") for r in oci_endpoint.requests] == ["mine", "mine"]
    with pytest.raises(ConfigurationError, match="auth= must be an httpx or httpx2 Auth"):
        OciOpenAI(auth="session", base_url=oci_endpoint.base_url)


def test_an_auth_of_the_other_http_library_fails_at_construction(oci_endpoint) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    used = _http_library().__name__
    other = "httpx" if used == "httpx2" else "httpx2"
    if importlib.util.find_spec(other) is None:
        pytest.skip(f"{other} is not installed here")
    with pytest.raises(ConfigurationError) as caught:
        OciOpenAI(auth=_header_auth(importlib.import_module(other)), base_url=oci_endpoint.base_url)
    assert str(caught.value) == (
        f"auth= is a {other} auth, but this openai sends with {used}; derive it from {used}.Auth "
        "(this package's auths fit both)"
    )


@pytest.mark.parametrize("name", ["compartment_id", "conversation_store_id"])
@pytest.mark.parametrize("value", ["ocid1.compartment.oc1..aaaa…", "<compartment ocid>", ""])
def test_placeholder_ocids_fail_at_construction(oci_api_key_profile, name, value) -> None:  # type: ignore[no-untyped-def]
    auth = OciUserPrincipalAuth(oci_api_key_profile.config_file)
    arguments = {"compartment_id": "ocid1.compartment.oc1..aaaatestcompartment", name: value}
    with pytest.raises(ConfigurationError, match=f"^{name}= is not an OCID; set it to the"):
        OciOpenAI(auth=auth, region="us-chicago-1", **arguments)
