"""The auth classes' httpx / httpx2 base: taken from the libraries as they are imported, so
a program on httpx2 alone never imports httpx, and an auth built before ``import httpx``
still works in an ``httpx.Client`` (fresh interpreters: the point is what is imported)."""

from __future__ import annotations

import importlib.util

import pytest
from fresh import clean_env, run_program
from openai_versions import OPENAI_MAJOR

from oci_openai_patch.testing import ApiKeyProfile, OciTestEndpoint

HTTPX2_INSTALLED = importlib.util.find_spec("httpx2") is not None


def test_an_auth_built_before_its_library_is_imported_signs_in_that_library(
    oci_endpoint: OciTestEndpoint, oci_api_key_profile: ApiKeyProfile
) -> None:
    code = f"""
    import sys
    from oci_openai_patch import OciUserPrincipalAuth
    auth = OciUserPrincipalAuth(config_file={oci_api_key_profile.config_file!r}, hosts=[{oci_endpoint.host!r}])
    print("httpx" in sys.modules, "httpx2" in sys.modules)
    libraries = ["httpx"] + (["httpx2"] if {HTTPX2_INSTALLED!r} else [])
    for name in libraries:
        library = __import__(name)
        assert isinstance(auth, library.Auth), name
        with library.Client(auth=auth) as client:
            body = {{"model": "m", "messages": [{{"role": "user", "content": name}}]}}
            print(name, client.post({oci_endpoint.base_url + "/chat/completions"!r}, json=body).status_code)
    """
    before = len(oci_endpoint.requests)
    out = run_program(code, clean_env()).split()
    assert out[:2] == ["False", "False"]
    expected = 2 if HTTPX2_INSTALLED else 1
    assert out[2:] == [word for name in ("httpx", "httpx2")[:expected] for word in (name, "200")]
    signed = oci_endpoint.requests[before:]
    assert len(signed) == expected
    assert all(request.verified and request.key_id == oci_api_key_profile.key_id for request in signed)


@pytest.mark.skipif(OPENAI_MAJOR < 3, reason="openai before 3.x runs on httpx")
def test_the_shim_on_httpx2_does_not_import_httpx(
    oci_endpoint: OciTestEndpoint, oci_api_key_profile: ApiKeyProfile
) -> None:
    code = f"""
    import sys, openai
    client = openai.OpenAI(base_url={oci_endpoint.base_url!r})
    client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "hi"}}])
    print("httpx" in sys.modules, "oci_openai_patch.transport.auth" in sys.modules)
    """
    env = clean_env(
        OCI_OPENAI_AUTH="user_principal",
        OCI_OPENAI_CONFIG_FILE=oci_api_key_profile.config_file,
        OCI_OPENAI_HOSTS=oci_endpoint.host,
    )
    assert importlib.util.find_spec("httpx") is not None, "the check needs httpx installed beside httpx2"
    assert run_program(code, env).split() == ["False", "True"]
    assert oci_endpoint.requests[-1].verified
