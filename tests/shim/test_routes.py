"""Zero-code past the openai client: raw requests through each HTTP stack, in fresh
interpreters with environment variables only and the app's key set. Every request to the
local OCI endpoint is verified by it, none carries the app's key, an already-signed one
arrives with its one signature, a switched-off route is left alone, and a request to a
host the shim does not sign for is untouched."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest
from fresh import clean_env, run_program

from oci_openai_patch.testing import ApiKeyProfile, OciTestEndpoint

APP_KEY = "sk-app-secret-never-to-oci"
PROJECT = "ocid1.generativeaiproject.oc1.us-chicago-1.routes"

CHAT = '{"model": "m", "messages": [{"role": "user", "content": "hi"}]}'
STREAMED = '{"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
RESPONSE = '{"model": "m", "input": "hi"}'

#: Per route: a program that sends a chat completion, a streamed one and a response to
#: ``URL`` (the endpoint's /openai/v1) with the app's key, printing one line per reply.
PROGRAMS = {
    "requests": """
        import os, requests
        URL, KEY = os.environ["URL"], os.environ["OPENAI_API_KEY"]
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        print(requests.post(URL + "/chat/completions", data=CHAT, headers=headers).json()["id"])
        with requests.post(URL + "/chat/completions", data=STREAMED, headers=headers, stream=True) as reply:
            print(sum(1 for line in reply.iter_lines() if line.startswith(b"data:")))
        with requests.Session() as session:
            print(session.post(URL + "/responses", json={"model": "m", "input": "hi"}, headers=headers).json()["id"])
    """,
    "httpx": """
        import asyncio, os, httpx
        URL, KEY = os.environ["URL"], os.environ["OPENAI_API_KEY"]
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        print(httpx.post(URL + "/chat/completions", content=CHAT, headers=headers).json()["id"])
        with httpx.stream("POST", URL + "/chat/completions", content=STREAMED, headers=headers) as reply:
            print(sum(1 for line in reply.iter_lines() if line.startswith("data:")))
        async def main():
            async with httpx.AsyncClient() as client:
                reply = await client.post(URL + "/responses", content=RESPONSE, headers=headers)
                print(reply.json()["id"])
        asyncio.run(main())
    """,
    "aiohttp": """
        import asyncio, os, aiohttp
        URL, KEY = os.environ["URL"], os.environ["OPENAI_API_KEY"]
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        async def main():
            async with aiohttp.ClientSession() as session:
                async with session.post(URL + "/chat/completions", data=CHAT.encode(), headers=headers) as reply:
                    print((await reply.json())["id"])
                async with session.post(URL + "/chat/completions", data=STREAMED.encode(), headers=headers) as reply:
                    print(sum([1 async for line in reply.content if line.startswith(b"data:")]))
                async with session.post(URL + "/responses", json={"model": "m", "input": ""}, headers=headers) as reply:
                    print((await reply.json())["id"])
        asyncio.run(main())
    """,
    "urllib": """
        import json, os, urllib.request
        URL, KEY = os.environ["URL"], os.environ["OPENAI_API_KEY"]
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        def post(path, body):
            return urllib.request.urlopen(urllib.request.Request(URL + path, data=body.encode(), headers=headers))
        print(json.load(post("/chat/completions", CHAT))["id"])
        print(sum(1 for line in post("/chat/completions", STREAMED) if line.startswith(b"data:")))
        print(json.load(post("/responses", RESPONSE))["id"])
    """,
}
PROGRAMS["httpx2"] = PROGRAMS["httpx"].replace("httpx", "httpx2")
PROGRAMS["lm15"] = """
    import asyncio, json, os
    from dspy._vendor.lm15.transports import StdlibAsyncTransport, StdlibTransport, TransportRequest
    URL, KEY = os.environ["URL"], os.environ["OPENAI_API_KEY"]
    headers = [("Authorization", f"Bearer {KEY}"), ("Content-Type", "application/json")]
    def post(path, body):
        with StdlibTransport().stream(TransportRequest("POST", URL + path, list(headers), body.encode())) as reply:
            return reply.read()
    print(json.loads(post("/chat/completions", CHAT))["id"])
    print(post("/chat/completions", STREAMED).count(b"data:"))
    async def main():
        async with StdlibAsyncTransport() as transport:
            request = TransportRequest("POST", URL + "/responses", list(headers), RESPONSE.encode())
            async with transport.stream(request) as reply:
                print(json.loads(b"".join([chunk async for chunk in reply]))["id"])
    asyncio.run(main())
"""
LIBRARY = {"urllib": "urllib", "lm15": "dspy"}


def _program(route: str) -> str:
    constants = f"CHAT, STREAMED, RESPONSE = {CHAT!r}, {STREAMED!r}, {RESPONSE!r}\n"
    return constants + textwrap.dedent(PROGRAMS[route])


def _env(endpoint: OciTestEndpoint, profile: ApiKeyProfile, **extra: str) -> dict[str, str]:
    settings = {
        "OCI_OPENAI_AUTH": "user_principal",
        "OCI_OPENAI_CONFIG_FILE": profile.config_file,
        "OCI_OPENAI_HOSTS": endpoint.host,
        "OCI_OPENAI_PROJECT_ID": PROJECT,
        "OPENAI_API_KEY": APP_KEY,
        "URL": endpoint.base_url,
    }
    return clean_env(**{**settings, **extra})


def _needs(route: str) -> None:
    name = LIBRARY.get(route, route)
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed with this openai")


def _keyless(endpoint: OciTestEndpoint) -> None:
    for request in endpoint.requests:
        assert APP_KEY not in repr(request.headers), request.headers


@pytest.mark.parametrize("route", sorted(PROGRAMS))
def test_each_route_signs_every_request_and_the_key_never_arrives(oci_endpoint, oci_api_key_profile, route) -> None:  # type: ignore[no-untyped-def]
    _needs(route)
    out = run_program(_program(route), _env(oci_endpoint, oci_api_key_profile)).split()
    assert out[0].startswith("chatcmpl") and int(out[1]) > 1 and out[2].startswith("resp"), out
    assert len(oci_endpoint.requests) == 3, [(r.method, r.target) for r in oci_endpoint.requests]
    assert all(r.verified for r in oci_endpoint.requests), [r.reason for r in oci_endpoint.requests]
    assert all(r.headers.get("openai-project") == PROJECT for r in oci_endpoint.requests)
    _keyless(oci_endpoint)


#: Per route: one chat completion with the app's key, whatever the endpoint answers.
ONE_REQUEST = {
    "requests": "import os, requests\nrequests.post(os.environ['URL'] + PATH, data=CHAT, headers=HEADERS)",
    "httpx": "import os, httpx\nhttpx.post(os.environ['URL'] + PATH, content=CHAT, headers=HEADERS)",
    "httpx2": "import os, httpx2\nhttpx2.post(os.environ['URL'] + PATH, content=CHAT, headers=HEADERS)",
    "aiohttp": """import asyncio, os, aiohttp
async def main():
    async with aiohttp.ClientSession() as session:
        async with session.post(os.environ['URL'] + PATH, data=CHAT.encode(), headers=HEADERS) as reply:
            await reply.read()
asyncio.run(main())""",
    "lm15": """from dspy._vendor.lm15.transports import StdlibTransport, TransportRequest
request = TransportRequest("POST", os.environ['URL'] + PATH, list(HEADERS.items()), CHAT.encode())
with StdlibTransport().stream(request) as reply:
    reply.read()""",
    "urllib": """import os, urllib.error, urllib.request
try:
    urllib.request.urlopen(urllib.request.Request(os.environ['URL'] + PATH, data=CHAT.encode(), headers=HEADERS))
except urllib.error.HTTPError as error:
    print(error.code)""",
}


def _one_request(route: str, headers: str = "") -> str:
    key = "{'Authorization': 'Bearer ' + os.environ['OPENAI_API_KEY'], 'Content-Type': 'application/json'}"
    prelude = f"import os\nCHAT, PATH = {CHAT!r}, '/chat/completions'\nHEADERS = {headers or key}\n"
    return prelude + ONE_REQUEST[route]


@pytest.mark.parametrize("route", sorted(PROGRAMS))
def test_a_switched_off_route_is_left_alone(oci_endpoint, oci_api_key_profile, route) -> None:  # type: ignore[no-untyped-def]
    """``OCI_OPENAI_DISABLED_ROUTES`` names the route (and the stacks below it, which would
    otherwise sign the same request one level down): the request goes as the app sent it."""
    _needs(route)
    below = {"requests": ",urllib"}.get(route, "")
    env = _env(oci_endpoint, oci_api_key_profile, OCI_OPENAI_DISABLED_ROUTES=f"{route}{below}")
    run_program(_one_request(route), env)
    (request,) = oci_endpoint.requests
    assert not request.verified and request.headers.get("authorization") == f"Bearer {APP_KEY}"


@pytest.mark.parametrize("route", sorted(PROGRAMS))
def test_a_host_the_shim_does_not_sign_for_is_untouched(oci_endpoint, oci_api_key_profile, route) -> None:  # type: ignore[no-untyped-def]
    _needs(route)
    with OciTestEndpoint() as other:
        env = _env(oci_endpoint, oci_api_key_profile, URL=other.base_url)
        run_program(_one_request(route), env)
        (request,) = other.requests
    assert not request.verified and request.headers.get("authorization") == f"Bearer {APP_KEY}"
    assert "openai-project" not in request.headers and not oci_endpoint.requests


URLLIB_TURNS = """
import http.client, os, urllib.request
KEY = {"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"}
def send(base):
    request = urllib.request.Request(base + "/chat/completions", data=CHAT.encode(), headers=KEY)
    urllib.request.urlopen(request).read()
first = http.client.HTTPConnection.__dict__["request"]
"""


def test_urllibs_steady_method_decides_each_request_as_the_first_call_did(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    """The first call puts the route's steady method on the class (one frame for a host
    already decided foreign): foreign, foreign, OCI, foreign after it are untouched,
    untouched, signed, untouched, and the steady method wraps the same original."""
    program = (
        URLLIB_TURNS
        + """
send(os.environ["OTHER"])
steady = http.client.HTTPConnection.__dict__["request"]
print(steady is not first, steady.__wrapped__ is first.__wrapped__, steady.__name__)
for base in (os.environ["OTHER"], os.environ["URL"], os.environ["OTHER"]):
    send(base)
"""
    )
    with OciTestEndpoint(require_signature=False) as other:
        out = run_program(f"CHAT = {CHAT!r}\n" + program, _env(oci_endpoint, oci_api_key_profile, OTHER=other.base_url))
        foreign = other.requests
    assert out.split() == ["True", "True", "request"], out
    assert len(foreign) == 3 and all(request.headers.get("authorization") == f"Bearer {APP_KEY}" for request in foreign)
    assert not any(request.verified or "openai-project" in request.headers for request in foreign)
    (signed,) = oci_endpoint.requests
    assert signed.verified, signed.reason
    _keyless(oci_endpoint)


def test_urllibs_route_stays_under_a_wrapper_put_on_it_after_the_hook(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    """Another instrumentation wrapped ``HTTPConnection.request`` after the hook and before
    the first request: the first call must not put the steady method over that wrapper,
    and every OCI request still goes through the route, signed."""
    program = (
        URLLIB_TURNS
        + """
calls = []
def instrumented(self, *args, **kwargs):
    calls.append(args[1])
    return first(self, *args, **kwargs)
http.client.HTTPConnection.request = instrumented
for base in (os.environ["URL"], os.environ["OTHER"], os.environ["URL"]):
    send(base)
print(http.client.HTTPConnection.__dict__["request"] is instrumented, len(calls))
"""
    )
    with OciTestEndpoint(require_signature=False) as other:
        out = run_program(f"CHAT = {CHAT!r}\n" + program, _env(oci_endpoint, oci_api_key_profile, OTHER=other.base_url))
        (foreign,) = other.requests
    assert out.split() == ["True", "3"], out
    assert foreign.headers.get("authorization") == f"Bearer {APP_KEY}" and not foreign.verified
    assert len(oci_endpoint.requests) == 2 and all(request.verified for request in oci_endpoint.requests)
    _keyless(oci_endpoint)


@pytest.mark.parametrize("route", sorted(PROGRAMS))
def test_an_already_signed_request_keeps_its_one_signature(oci_endpoint, oci_api_key_profile, route) -> None:  # type: ignore[no-untyped-def]
    """Signed as LiteLLM's ``oci/`` provider and langchain-oci sign, headers first: the
    route leaves it exactly as it is, so the endpoint verifies the caller's signature."""
    _needs(route)
    sign = f"""
from oci_openai_patch.credentials import ApiKeyCredentials
from oci_openai_patch.signature.signing import sign_request
key = ApiKeyCredentials("DEFAULT", {oci_api_key_profile.config_file!r}).get()
url = os.environ['URL'] + '/chat/completions'
host = url.split('/')[2]
TYPE = {{'content-type': 'application/json'}}
SIGNED = sign_request(method='POST', target=url.split(host, 1)[1], host=host, headers=TYPE,
                      body=CHAT.encode(), key_id=key.key_id, private_key=key.private_key)
HEADERS.update({{**TYPE, **SIGNED}})
"""
    program = _one_request(route, headers="{}").replace("HEADERS = {}\n", "HEADERS = {}\n" + sign)
    run_program(program, _env(oci_endpoint, oci_api_key_profile))
    (request,) = oci_endpoint.requests
    assert request.verified, request.reason
    assert request.headers["authorization"].count("Signature ") == 1 and "openai-project" not in request.headers


@pytest.mark.parametrize("route", ["requests", "urllib"])
def test_a_body_that_cannot_be_hashed_is_refused_naming_the_route(oci_endpoint, oci_api_key_profile, route) -> None:  # type: ignore[no-untyped-def]
    _needs(route)
    program = {
        "requests": "import requests\n"
        "requests.post(os.environ['URL'] + PATH, data=iter([CHAT.encode()]), headers=HEADERS)",
        "urllib": "import http.client, urllib.parse\nu = urllib.parse.urlsplit(os.environ['URL'])\n"
        "c = http.client.HTTPConnection(u.hostname, u.port)\n"
        "c.request('POST', u.path + PATH, body=iter([b'{}']), headers=HEADERS)",
    }[route]
    code = _one_request(route).split("\n", 3)
    code = (
        "\n".join(code[:3])
        + "\n"
        + f"""
try:
{textwrap.indent(program, "    ")}
except Exception as error:
    print(type(error).__name__, error)
"""
    )
    out = run_program(code, _env(oci_endpoint, oci_api_key_profile))
    assert out.startswith("ConfigurationError") and f"{route}: refusing to send POST" in out, out
    assert f"OCI_OPENAI_DISABLED_ROUTES={route}" in out and APP_KEY not in out and not oci_endpoint.requests


def test_litellms_own_oci_provider_stays_single_signed(oci_endpoint, oci_api_key_profile, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """LiteLLM's native ``oci/`` provider signs with the OCI SDK and sends through httpx:
    the httpx route leaves it as it is. Signed with another key than the shim's, the
    endpoint sees that key, once."""
    _needs("litellm")
    import importlib.metadata

    version = tuple(int(part) for part in importlib.metadata.version("litellm").split(".")[:2])
    if version < (1, 110):
        pytest.skip("litellm's oci/ provider before 1.110 does not send to api_base: it would call OCI itself")
    from oci_openai_patch.testing import make_api_key_profile

    theirs = make_api_key_profile(tmp_path / "litellm", oci_endpoint.verifier)
    assert theirs.key_id != oci_api_key_profile.key_id
    code = f"""
    import oci, litellm
    config = oci.config.from_file({theirs.config_file!r})
    signer = oci.signer.Signer(config["tenancy"], config["user"], config["fingerprint"], config["key_file"])
    try:
        litellm.completion(model="oci/xai.grok-4", messages=[{{"role": "user", "content": "hi"}}],
                           api_base={oci_endpoint.origin!r}, oci_signer=signer,
                           oci_compartment_id="ocid1.compartment.oc1..litellm", oci_region="us-chicago-1")
    except litellm.NotFoundError:
        print("not found")  # the local endpoint serves no /actions/chat; the signature is what counts
    """
    env = _env(oci_endpoint, oci_api_key_profile, LITELLM_LOCAL_MODEL_COST_MAP="True")
    assert run_program(code, env).strip().endswith("not found")
    (request,) = oci_endpoint.requests
    assert request.verified and request.key_id == theirs.key_id, request.reason
    assert request.headers["authorization"].count("Signature ") == 1


def test_doctor_lists_the_routes_and_those_switched_off(oci_endpoint, oci_api_key_profile, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from oci_openai_patch.commands.cli import main

    for name, value in _env(oci_endpoint, oci_api_key_profile, OCI_OPENAI_DISABLED_ROUTES="aiohttp, Requests").items():
        monkeypatch.setenv(name, value)
    assert main(["doctor", "--url", oci_endpoint.base_url]) == 0
    out = capsys.readouterr().out
    assert "routes: openai clients, httpx, httpx2, urllib, lm15\n" in out
    assert "routes switched off: requests, aiohttp (OCI_OPENAI_DISABLED_ROUTES)" in out


def test_an_unknown_route_name_is_a_configuration_error_on_every_path(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    """Named in one line; and at start-up, where errors are kept, every OCI-bound request
    through any route is refused rather than sent unsigned."""
    env = _env(oci_endpoint, oci_api_key_profile, OCI_OPENAI_DISABLED_ROUTES="requests,curl")
    code = """
    import os, httpx
    try:
        key = {"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]}
        httpx.post(os.environ["URL"] + "/chat/completions", json={"model": "m"}, headers=key)
    except Exception as error:
        print(type(error).__name__, error)
    """
    out = run_program(code, env).strip()
    assert out == (
        "ConfigurationError OCI_OPENAI_DISABLED_ROUTES: 'curl' is not a route; "
        "the routes are httpx, httpx2, requests, aiohttp, urllib, lm15"
    ), out
    assert not oci_endpoint.requests


def test_the_log_names_the_route_that_signed(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    _needs("requests")
    env = _env(oci_endpoint, oci_api_key_profile, OCI_OPENAI_LOG="debug")
    code = """
    import os, requests, httpx
    requests.get(os.environ["URL"] + "/models")
    httpx.get(os.environ["URL"] + "/models")
    """
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    signed = [line for line in result.stderr.splitlines() if "signed GET" in line]
    assert len(signed) == 2 and signed[0].endswith("(route requests)") and signed[1].endswith("(route httpx)"), signed


def test_with_a_broken_configuration_other_hosts_are_left_alone(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    """A kept configuration error refuses requests to the hosts the shim would sign, and
    only those: the program's other traffic goes on."""
    with OciTestEndpoint() as other:
        env = _env(oci_endpoint, oci_api_key_profile, OCI_OPENAI_DISABLED_ROUTES="curl", OTHER=other.base_url)
        code = """
        import os, httpx
        print(httpx.get(os.environ["OTHER"] + "/models").status_code)
        """
        assert run_program(code, env).strip() == "401"
        assert len(other.requests) == 1 and not oci_endpoint.requests


@pytest.mark.parametrize("route", sorted(PROGRAMS))
def test_the_model_map_applies_on_every_route(oci_endpoint, oci_api_key_profile, route) -> None:  # type: ignore[no-untyped-def]
    """The body is rewritten before signing, and what the stack sends is the rewritten body."""
    _needs(route)
    env = _env(oci_endpoint, oci_api_key_profile, OCI_OPENAI_MODEL_MAP="m=openai.gpt-oss-120b")
    run_program(_one_request(route), env)
    (request,) = oci_endpoint.requests
    assert request.verified, request.reason
    assert request.json()["model"] == "openai.gpt-oss-120b"


def test_the_route_names_and_the_hooked_methods_are_one_table() -> None:
    """``OCI_OPENAI_DISABLED_ROUTES`` accepts exactly the routes that hook something, and
    every hook names a factory its route module has."""
    import importlib

    from oci_openai_patch import settings
    from oci_openai_patch.shim import bootstrap

    assert tuple(bootstrap.ROUTE_HOOKS) == settings.ROUTES
    for hooks in bootstrap.ROUTE_HOOKS.values():
        for _module, _cls, _method, target, _is_async in hooks:
            name, _, factory = target.partition(":")
            assert callable(getattr(importlib.import_module(f"oci_openai_patch.shim.routes.{name}"), factory)), target


def test_importing_a_stack_loads_nothing_of_ours_until_its_first_request(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    """The hook is put in place inside the program's import with what start-up loaded; the
    route's own module comes with the first request (which it signs)."""
    for route in ("requests", "httpx", "aiohttp"):
        _needs(route)
    program = (
        """
import sys
def ours():
    return sorted(name for name in sys.modules if name.startswith("oci_openai_patch"))
at_start = ours()
import urllib.request, requests, httpx, aiohttp
print(ours() == at_start, at_start)
import http.client
print(getattr(http.client.HTTPConnection.request, "_oci_openai_patch_route", False))
"""
        + _one_request("urllib").replace("import os,", "import os, sys,")
        + """
print("oci_openai_patch.shim.routes.urllib_route" in sys.modules)
"""
    )
    out = run_program(program, _env(oci_endpoint, oci_api_key_profile)).splitlines()
    assert out[0].startswith("True ") and "oci_openai_patch.shim.bootstrap" in out[0], out
    assert out[1:] == ["True", "True"], out
    (request,) = oci_endpoint.requests
    assert request.verified


def test_after_unpatch_a_stack_imported_later_is_left_alone(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    """``unpatch()`` switches the routes off too, for a stack the program imports after it:
    the request goes as the app sent it."""
    _needs("requests")
    program = "from oci_openai_patch.shim import patch\npatch.unpatch()\n" + _one_request("requests")
    run_program(program, _env(oci_endpoint, oci_api_key_profile))
    (request,) = oci_endpoint.requests
    assert not request.verified and request.headers.get("authorization") == f"Bearer {APP_KEY}"
