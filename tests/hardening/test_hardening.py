"""Findings of the adversarial review, one test each: proxies, fork, public-suffix
wildcards, secrets in reprs and tracebacks, OCI headers on foreign requests, per-client
trust on a shared http client, 401s from other hosts, file permissions, and where async
reloads run. Each failed before its fix.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from fresh import clean_env, run_program
from libraries import LIBRARIES

from oci_openai_patch import (
    AsyncOciOpenAI,
    ConfigurationError,
    OciOpenAI,
    OciSessionAuth,
    OciUserPrincipalAuth,
)
from oci_openai_patch.errors import InsecurePermissionsWarning
from oci_openai_patch.testing import OciTestEndpoint
from oci_openai_patch.trust.hosts import HostPattern, HostPolicy, parse_host_list, region_base_url


@pytest.fixture
def foreign() -> Iterator[OciTestEndpoint]:
    with OciTestEndpoint(require_signature=False) as endpoint:
        yield endpoint


@pytest.fixture
def proxy() -> Iterator[OciTestEndpoint]:
    """A loopback server standing in for an HTTP proxy: it records whatever reaches it."""
    with OciTestEndpoint(require_signature=False) as endpoint:
        yield endpoint


# -- 1. plain http through a proxy -----------------------------------------------------


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_plain_http_through_a_configured_proxy_is_refused(  # type: ignore[no-untyped-def]
    library_name: str, oci_endpoint, oci_session_profile, proxy
) -> None:
    library = importlib.import_module(library_name)
    auth = OciSessionAuth(config_file=oci_session_profile.config_file, hosts=[oci_endpoint.host])
    with library.Client(auth=auth, proxy=proxy.origin) as http, pytest.raises(ConfigurationError, match="proxy"):
        http.get(oci_endpoint.base_url + "/models")
    assert proxy.requests == [] and oci_endpoint.requests == []


def test_plain_http_through_an_environment_proxy_fails_where_the_client_is_built(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_session_profile, proxy, monkeypatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://user:hunter2@{proxy.host}")
    auth = OciSessionAuth(config_file=oci_session_profile.config_file)
    with pytest.raises(ConfigurationError, match="NO_PROXY") as caught:
        OciOpenAI(auth=auth, base_url=oci_endpoint.base_url)
    assert "hunter2" not in str(caught.value)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    OciOpenAI(auth=auth, base_url=oci_endpoint.base_url).models.list()
    # HTTP_PROXY is process-wide while it is set: another test's abandoned token worker (an
    # instance-principal fetch still retrying its metadata fake) may pass through this proxy
    # too, so only what was bound for this endpoint counts.
    through_proxy = [seen.target for seen in proxy.requests if seen.target.startswith(oci_endpoint.origin)]
    assert through_proxy == [] and oci_endpoint.verified_count == 1


def test_zero_code_client_with_http_proxy_is_refused(oci_endpoint, oci_session_profile, proxy) -> None:  # type: ignore[no-untyped-def]
    code = """
    import openai
    try:
        openai.OpenAI().models.list()
    except ValueError as error:
        print(type(error).__name__, error)
    """
    env = clean_env(
        OCI_OPENAI_AUTH="session",
        OCI_OPENAI_CONFIG_FILE=oci_session_profile.config_file,
        OCI_OPENAI_HOSTS=oci_endpoint.host,
        OPENAI_BASE_URL=oci_endpoint.base_url,
        HTTP_PROXY=proxy.origin,
    )
    out = run_program(code, env)
    assert out.startswith("ConfigurationError ") and "NO_PROXY" in out
    assert proxy.requests == [] and oci_endpoint.requests == []


# -- 2. the caller's own auth is pinned in test_real_programs; 3. fork ---------------------


def test_fork_while_every_lock_is_held_does_not_hang_the_child(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = """
    import os, signal, threading, openai
    from oci_openai_patch import key_cache
    from oci_openai_patch.shim import patch
    from oci_openai_patch.openai_clients.client_signing import signing_auth
    client = openai.OpenAI()
    credentials = signing_auth(client).credentials
    credentials.invalidate()  # the child must reload, which takes the provider's lock
    held = [patch._state._lock, credentials._lock, key_cache._lock]
    entered, release = threading.Event(), threading.Event()
    def hold():
        for lock in held:
            lock.acquire()
        entered.set()
        release.wait()
        for lock in held:
            lock.release()
    threading.Thread(target=hold, daemon=True).start()
    entered.wait()
    pid = os.fork()
    if pid == 0:
        signal.alarm(20)
        openai.OpenAI().models.list()
        client.models.list()
        os._exit(0)
    release.set()
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status))
    """
    env = clean_env(
        OCI_OPENAI_AUTH="user_principal",
        OCI_OPENAI_CONFIG_FILE=oci_api_key_profile.config_file,
        OCI_OPENAI_HOSTS=oci_endpoint.host,
        OPENAI_BASE_URL=oci_endpoint.base_url,
    )
    assert run_program(code, env).strip() == "0"
    assert oci_endpoint.verified_count == 2


# -- 4. wildcards over public suffixes -------------------------------------------------


@pytest.mark.parametrize("entry", ["*.co.uk", "*.github.io", "*.amazonaws.com", "*.com.cn", "*.ngrok-free.app"])
def test_wildcard_over_a_public_suffix_is_refused(entry: str) -> None:
    with pytest.raises(ConfigurationError, match="public suffix") as caught:
        parse_host_list(entry)
    assert "OCI_OPENAI_HOSTS" in str(caught.value) and "publicsuffixlist" in str(caught.value)


def test_wildcard_inside_one_domain_is_accepted() -> None:
    policy = HostPolicy.from_hosts(["*.llm.corp.example.com"])
    assert policy.allows("https", "a.llm.corp.example.com", None)
    assert not policy.allows("https", "llm.corp.example.com.evil.io", None)


# -- hosts: cases no test covered ------------------------------------------------------


def test_plain_http_localhost_default_ports_ipv6_and_port_range() -> None:
    policy = HostPolicy.from_hosts(["localhost:8080", "gateway.example.com:443", "[::1]", "[2001:db8::1]:8443"])
    assert policy.allows("http", "localhost", 8080)
    assert not policy.allows("http", "localhost", 8081)
    assert policy.allows("https", "gateway.example.com", None)  # 443 is https's default
    assert not policy.allows("http", "gateway.example.com", None)  # plain http only for loopback
    assert policy.allows("http", "::1", 80)
    assert policy.allows("https", "2001:db8::1", 8443)
    assert not policy.allows("http", "2001:db8::1", 8443)
    for bad in ("x.example.com:65536", "x.example.com:0"):
        with pytest.raises(ConfigurationError):
            HostPattern.parse(bad)
    with pytest.raises(ConfigurationError, match="bogus"):
        region_base_url("us-chicago-1", "bogus")


# -- 5. secrets ------------------------------------------------------------------------


def test_session_token_is_in_no_repr_dump_or_traceback(oci_endpoint, oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    token = oci_session_profile.token
    auth = OciSessionAuth(config_file=oci_session_profile.config_file)
    key = auth.credentials.get()
    assert token not in repr(key) and token not in str(key) and "ST$..." in repr(key)
    assert token not in repr(vars(auth.credentials)) and token not in repr(vars(auth))
    Path(oci_session_profile.token_file).write_text("not a token", encoding="utf-8")
    rendered = _failed_refresh_with_locals(auth)
    assert "ConfigurationError" in rendered and "security token file" in rendered
    assert token not in rendered and token[:40] not in rendered


def _failed_refresh_with_locals(auth: OciSessionAuth) -> str:
    """A failed refresh rendered as error reporters do, every frame's locals included
    (from this frame on: the test's own locals hold the token on purpose)."""
    key = auth.credentials.get()
    try:
        auth.credentials.refresh(key)
    except ConfigurationError as error:
        exception = traceback.TracebackException.from_exception(error, capture_locals=True)
        return "".join(exception.format(chain=True))
    raise AssertionError("the refresh did not fail")


def test_resource_principal_values_are_held_redacted(oci_resource_principal, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from oci_openai_patch import OciResourcePrincipalAuth

    for name, value in oci_resource_principal.environ(inline=True).items():
        monkeypatch.setenv(name, value)
    auth = OciResourcePrincipalAuth()
    dump = repr(vars(auth.credentials))
    assert oci_resource_principal.token not in dump and "PRIVATE KEY" not in dump


def test_doctor_hides_url_userinfo(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    launcher = str(Path(sys.executable).with_name("oci-openai-patch"))
    env = clean_env(OCI_OPENAI_AUTH="user_principal", OCI_OPENAI_CONFIG_FILE=oci_api_key_profile.config_file)
    result = subprocess.run(
        [launcher, "doctor", "--url", "https://user:hunter2@api.example.com/v1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "hunter2" not in result.stdout + result.stderr
    assert "***@api.example.com" in result.stdout


# -- 6. OCI headers only to signed hosts; 7. per-client trust ---------------------------


def test_oci_headers_and_placeholder_key_stay_off_foreign_hosts(oci_endpoint, oci_api_key_profile, foreign) -> None:  # type: ignore[no-untyped-def]
    client = OciOpenAI(
        auth=OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file),
        base_url=oci_endpoint.base_url,
        compartment_id="ocid1.compartment.oc1..aaaa",
        conversation_store_id="ocid1.conversationstore.oc1..bbbb",
        max_retries=0,
    )
    client.models.list()
    client.with_options(base_url=foreign.base_url).models.list()
    assert oci_endpoint.requests[0].headers["opc-compartment-id"] == "ocid1.compartment.oc1..aaaa"
    sent = foreign.requests[0].headers
    assert not {"compartmentid", "opc-compartment-id", "opc-conversation-store-id", "authorization"} & set(sent)


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_clients_sharing_an_http_client_keep_their_own_trust(  # type: ignore[no-untyped-def]
    library_name: str, oci_api_key_profile
) -> None:
    library = importlib.import_module(library_name)
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
    key = auth.credentials.get()
    with OciTestEndpoint() as first, OciTestEndpoint() as second:
        for endpoint in (first, second):
            endpoint.verifier.register_key(key.key_id, key.private_key.public_key())
        shared = library.Client()
        try:
            a = OciOpenAI(auth=auth, base_url=first.base_url, http_client=shared)
        except TypeError:
            pytest.skip(f"openai {openai.__version__} takes no {library_name} client")
        b = OciOpenAI(auth=auth, base_url=second.base_url, http_client=shared)
        for _ in range(2):
            a.models.list()
            b.models.list()
        assert first.verified_count == 2 and second.verified_count == 2
        assert shared.auth is None  # the caller's http client is not changed


# -- 8. only the signed host's 401 reloads ------------------------------------------------


def _count_loads(credentials: Any) -> list[str]:
    loads: list[str] = []
    original = credentials._load

    def load(*, force: bool) -> Any:
        loads.append(threading.current_thread().name)
        return original(force=force)

    credentials._load = load
    return loads


def test_a_401_from_a_host_reached_by_redirect_reloads_nothing(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_api_key_profile, foreign
) -> None:
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
    loads = _count_loads(auth.credentials)
    client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url, max_retries=0)

    async def alist() -> Any:
        async with AsyncOciOpenAI(auth=auth, base_url=oci_endpoint.base_url, max_retries=0) as aclient:
            return await aclient.models.list()

    for send in (client.models.list, lambda: asyncio.run(alist())):
        oci_endpoint.redirect_next(foreign.base_url + "/models")
        foreign.fail_next(401, code="NotAuthenticated")
        with pytest.raises(openai.AuthenticationError):
            send()
    assert loads == []
    assert len(foreign.requests) == 2  # no re-send after the foreign 401


# -- 9. loose permissions -------------------------------------------------------------


def test_loose_permissions_warn_once_and_can_be_silenced(oci_api_key_profile, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from oci_openai_patch import permissions

    monkeypatch.setattr(permissions, "_warned", set())  # runners may reuse temporary paths across sessions
    os.chmod(oci_api_key_profile.key_file, 0o644)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InsecurePermissionsWarning)
        OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
        OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
    messages = [str(w.message) for w in caught if issubclass(w.category, InsecurePermissionsWarning)]
    assert len(messages) == 1
    assert oci_api_key_profile.key_file in messages[0] and "chmod 600" in messages[0]
    os.chmod(oci_api_key_profile.config_file, 0o640)
    monkeypatch.setenv("OCI_OPENAI_SUPPRESS_PERMISSION_WARNING", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecurePermissionsWarning)
        OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)


# -- 10. async reloads run in a worker, never on the loop -----------------------------


def test_async_reloads_run_in_worker_threads(oci_endpoint, oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    auth = OciSessionAuth(config_file=oci_session_profile.config_file)
    loads = _count_loads(auth.credentials)
    client = AsyncOciOpenAI(auth=auth, base_url=oci_endpoint.base_url, max_retries=0)

    async def main() -> str:
        loop_thread = threading.current_thread().name
        auth.credentials.invalidate()
        await client.models.list()  # due: reloaded before signing
        oci_session_profile.rotate()  # revokes the old token: the next request gets a 401
        await client.models.list()
        await client.close()
        return loop_thread

    loop_thread = asyncio.run(main())
    assert len(loads) == 2 and loop_thread not in loads
    assert oci_endpoint.verified_count == 2


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_async_client_does_not_sign_a_foreign_host(library_name: str, oci_api_key_profile, foreign) -> None:  # type: ignore[no-untyped-def]
    library = importlib.import_module(library_name)
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)

    async def main() -> None:
        async with library.AsyncClient(auth=auth) as client:
            await client.get(foreign.base_url + "/models", headers={"authorization": "Bearer sk-own"})

    asyncio.run(main())
    assert foreign.requests[0].headers["authorization"] == "Bearer sk-own"
    assert "x-content-sha256" not in foreign.requests[0].headers and "date" not in foreign.requests[0].headers
