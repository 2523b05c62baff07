"""Every principal kind against loopback fakes of OCI's identity services.

Instance principal: fake instance metadata and X.509 federation, issuing tokens bound to
the session key the SDK sent. Resource principal 2.2: token and key from variables and
from files the platform rewrites. OKE workload identity: a fake proxymux over TLS with a
test CA. Tokens last seconds, so refreshes happen during the tests; the endpoint verifies
every request with the session public key carried in the token.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fresh import clean_env, closed_port, run_program
from openai_versions import error_of_ours

from oci_openai_patch import (
    AsyncOciOpenAI,
    ConfigurationError,
    CredentialsError,
    OciInstancePrincipalAuth,
    OciOpenAI,
    OciResourcePrincipalAuth,
    OciWorkloadIdentityAuth,
)
from oci_openai_patch.credentials import DEFAULT_TOKEN_TIMEOUT_SECONDS, token_timeout
from oci_openai_patch.credentials.sdk_signer import SdkSignerCredentials
from oci_openai_patch.testing import (
    FakeInstanceIdentity,
    FakeProxymux,
    OciTestEndpoint,
    ResourcePrincipalFiles,
    make_api_key_profile,
    make_session_profile,
)
from oci_openai_patch.testing.loop import blocking_calls_on_loop, longest_stall

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def _client(endpoint: OciTestEndpoint, auth: object, compartment_id: str) -> OciOpenAI:
    return OciOpenAI(auth=auth, base_url=endpoint.base_url, compartment_id=compartment_id, max_retries=0)


def _all_verified(endpoint: OciTestEndpoint) -> bool:
    return all(r.verified for r in endpoint.requests)


# -- instance principal ----------------------------------------------------------------


def test_instance_principal_federates_with_the_session_key(oci_endpoint, oci_instance_identity, compartment_id) -> None:  # type: ignore[no-untyped-def]
    auth = OciInstancePrincipalAuth(hosts=[oci_endpoint.host])
    client = _client(oci_endpoint, auth, compartment_id)
    client.chat.completions.create(**CHAT)
    client.embeddings.create(model="m", input="x")
    assert oci_instance_identity.token_requests == 1
    assert [r.verified for r in oci_endpoint.requests] == [True, True]
    assert oci_endpoint.requests[0].key_id == "ST$" + oci_instance_identity.issued[0]


def test_federation_endpoint_from_argument_wins_over_environment(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_instance_identity, monkeypatch, compartment_id
) -> None:
    monkeypatch.setenv("OCI_OPENAI_FEDERATION_ENDPOINT", "http://127.0.0.1:9/v1/x509")
    auth = OciInstancePrincipalAuth(
        hosts=[oci_endpoint.host], federation_endpoint=oci_instance_identity.federation_endpoint
    )
    _client(oci_endpoint, auth, compartment_id).models.list()
    assert oci_instance_identity.token_requests == 1 and _all_verified(oci_endpoint)


def test_short_lived_tokens_refresh_ahead_of_expiry_across_threads(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_instance_identity, compartment_id
) -> None:
    oci_instance_identity.token_ttl = 3.0
    client = _client(oci_endpoint, OciInstancePrincipalAuth(hosts=[oci_endpoint.host]), compartment_id)
    errors: list[BaseException] = []
    started = time.monotonic()

    def worker() -> None:
        while time.monotonic() - started < 5.0:
            try:
                client.models.list()
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)
            time.sleep(0.05)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert errors == []
    assert _all_verified(oci_endpoint), {r.reason for r in oci_endpoint.requests if not r.verified}
    # Refreshed at half life (1.5 s) and single flight: a handful, not one per thread.
    assert 3 <= oci_instance_identity.token_requests <= 2 + elapsed / 1.0
    assert len({r.key_id for r in oci_endpoint.requests}) == oci_instance_identity.token_requests


def test_revoked_token_is_replaced_by_one_federation(oci_endpoint, oci_instance_identity, compartment_id) -> None:  # type: ignore[no-untyped-def]
    client = _client(oci_endpoint, OciInstancePrincipalAuth(hosts=[oci_endpoint.host]), compartment_id)
    client.models.list()
    oci_endpoint.issuer.revoke(oci_instance_identity.issued[-1])
    client.models.list()
    assert [r.verified for r in oci_endpoint.requests] == [True, False, True]
    assert oci_instance_identity.token_requests == 2


# -- resource principal 2.2 ------------------------------------------------------------


def test_resource_principal_22_from_files_follows_rotation(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_resource_principal: ResourcePrincipalFiles, compartment_id
) -> None:
    client = _client(oci_endpoint, OciResourcePrincipalAuth(hosts=[oci_endpoint.host]), compartment_id)
    client.models.list()
    new_token = oci_resource_principal.rotate()  # the platform rewrites the file, the old token dies
    client.models.list()
    assert [r.verified for r in oci_endpoint.requests] == [True, False, True]
    assert oci_endpoint.requests[-1].key_id == "ST$" + new_token


def test_resource_principal_22_inline_in_variables(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_resource_principal: ResourcePrincipalFiles, monkeypatch, compartment_id
) -> None:
    for name, value in oci_resource_principal.environ(inline=True).items():
        monkeypatch.setenv(name, value)
    client = _client(oci_endpoint, OciResourcePrincipalAuth(hosts=[oci_endpoint.host]), compartment_id)
    client.chat.completions.create(**CHAT)
    assert oci_endpoint.requests[0].key_id == "ST$" + oci_resource_principal.token
    assert _all_verified(oci_endpoint)


def test_resource_principal_needs_its_variables(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match="OCI_RESOURCE_PRINCIPAL_VERSION is not set"):
        OciResourcePrincipalAuth()
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    with pytest.raises(ConfigurationError, match="OCI_RESOURCE_PRINCIPAL_RPST is not set"):
        OciResourcePrincipalAuth()


def test_async_requests_survive_rotation_every_half_second(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_resource_principal: ResourcePrincipalFiles, compartment_id
) -> None:
    stop = threading.Event()

    def platform() -> None:
        # A new 2 s token every 0.5 s; the one before the previous is revoked, so a client
        # that kept an old token gets a 401 and must re-read the file.
        superseded: list[str] = []
        while not stop.wait(0.5):
            superseded.append(oci_resource_principal.token)
            oci_resource_principal.rotate(ttl=2.0, revoke_old=False)
            if len(superseded) > 1:
                oci_endpoint.issuer.revoke(superseded.pop(0))

    async def main() -> int:
        client = AsyncOciOpenAI(
            auth=OciResourcePrincipalAuth(hosts=[oci_endpoint.host]),
            base_url=oci_endpoint.base_url,
            compartment_id=compartment_id,
            max_retries=0,
        )
        done = 0
        started = time.monotonic()
        # At least 2.5 s, and on until three tokens have signed: on a loaded machine a
        # batch of 20 can take longer than a rotation (bounded at 30 s, which a client
        # that never picked up a new token reaches).
        while time.monotonic() - started < 2.5 or (keys_seen() < 3 and time.monotonic() - started < 30):
            await asyncio.gather(*(client.models.list() for _ in range(20)))
            done += 20
        return done

    def keys_seen() -> int:
        return len({r.key_id for r in list(oci_endpoint.requests) if r.verified})

    rotator = threading.Thread(target=platform)
    rotator.start()
    try:
        done = asyncio.run(main())
    finally:
        stop.set()
        rotator.join()
    verified = oci_endpoint.verified_count
    assert verified == done  # every request succeeded, some after one 401 and a re-read
    assert keys_seen() >= 3


# -- OKE workload identity -------------------------------------------------------------


def test_workload_identity_exchanges_the_service_account_token(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_proxymux: FakeProxymux, compartment_id
) -> None:
    client = _client(oci_endpoint, OciWorkloadIdentityAuth(hosts=[oci_endpoint.host]), compartment_id)
    client.chat.completions.create(**CHAT)
    oci_endpoint.issuer.revoke(oci_proxymux.issued[-1])
    client.chat.completions.create(**CHAT)
    assert [r.verified for r in oci_endpoint.requests] == [True, False, True]
    assert oci_proxymux.token_requests == 2


def test_workload_identity_token_path_and_host_are_checked(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match="KUBERNETES_SERVICE_HOST is not set"):
        OciWorkloadIdentityAuth()
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH"):
        OciWorkloadIdentityAuth()


# -- every kind, zero code -------------------------------------------------------------

ZERO_CODE_APP = """
import asyncio
from openai import OpenAI, AsyncOpenAI
client = OpenAI()
client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
print(len(list(client.chat.completions.create(model="m", messages=[{"role": "user", "content": "s"}], stream=True))))
async def main():
    await AsyncOpenAI().embeddings.create(model="m", input="x")
asyncio.run(main())
"""


@pytest.mark.parametrize(
    "kind", ["user_principal", "session", "instance_principal", "resource_principal", "workload_identity"]
)
def test_every_principal_kind_signs_an_unmodified_program(  # type: ignore[no-untyped-def]
    kind: str, tmp_path: Path, oci_endpoint: OciTestEndpoint, request: pytest.FixtureRequest
) -> None:
    extra: dict[str, str] = {}
    if kind == "user_principal":
        extra["OCI_OPENAI_CONFIG_FILE"] = make_api_key_profile(tmp_path / "u", oci_endpoint.verifier).config_file
    elif kind == "session":
        extra["OCI_OPENAI_CONFIG_FILE"] = make_session_profile(tmp_path / "s", oci_endpoint.verifier).config_file
    elif kind == "instance_principal":
        identity: FakeInstanceIdentity = request.getfixturevalue("oci_instance_identity")
        extra["OCI_METADATA_BASE_URL"] = identity.metadata_base_url
        extra["OCI_OPENAI_FEDERATION_ENDPOINT"] = identity.federation_endpoint
    elif kind == "resource_principal":
        extra.update(request.getfixturevalue("oci_resource_principal").environ())
    else:
        proxymux: FakeProxymux = request.getfixturevalue("oci_proxymux")
        token_file = tmp_path / "sa-token"
        extra.update(
            KUBERNETES_SERVICE_HOST="127.0.0.1",
            OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH=proxymux.ca_file,
            OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH=str(token_file),
        )
    env = clean_env(
        OCI_OPENAI_AUTH=kind, OCI_OPENAI_HOSTS=oci_endpoint.host, OPENAI_BASE_URL=oci_endpoint.base_url, **extra
    )
    assert int(run_program(ZERO_CODE_APP, env)) > 1  # stream chunks received
    assert len(oci_endpoint.requests) == 3 and _all_verified(oci_endpoint)
    key_ids = {r.key_id for r in oci_endpoint.requests}
    assert len(key_ids) == 1 and (kind == "user_principal") != next(iter(key_ids)).startswith("ST$")


# -- the event loop never waits for a token ---------------------------------------------


def test_async_refresh_runs_off_the_event_loop(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_instance_identity, compartment_id, monkeypatch
) -> None:
    federation_delay = 0.5
    loads_on_loop_thread: list[bool] = []
    original_load = SdkSignerCredentials._load

    def recorded_load(self: SdkSignerCredentials, *, force: bool) -> Any:
        loads_on_loop_thread.append(threading.get_ident() == loop_thread)
        return original_load(self, force=force)

    monkeypatch.setattr(SdkSignerCredentials, "_load", recorded_load)
    loop_thread = threading.get_ident()

    async def main() -> tuple[list[str], float]:
        client = AsyncOciOpenAI(
            auth=OciInstancePrincipalAuth(hosts=[oci_endpoint.host]),
            base_url=oci_endpoint.base_url,
            compartment_id=compartment_id,
            max_retries=0,
        )
        await client.models.list()
        oci_instance_identity.delay = federation_delay
        oci_endpoint.issuer.revoke(oci_instance_identity.issued[-1])  # forces a refresh on the next 401
        work = asyncio.gather(*(client.models.list() for _ in range(10)))
        stall: list[float] = []

        async def measured() -> None:
            stall.append(await longest_stall(work, tick=0.002))

        # A full garbage collection stops every thread, the loop's too, for as long as
        # the heap takes to walk (90-110 ms in a process holding the test fakes; measured
        # with gc.callbacks, tools/stall_probe.py); it is not the refresh's doing.
        gc.disable()
        try:
            blocking = await blocking_calls_on_loop(measured())
        finally:
            gc.enable()
        return blocking, stall[0]

    blocking, stall = asyncio.run(main())
    print(f"longest event-loop stall during a 500 ms federation: {stall * 1000:.1f} ms")
    # Structural: every token was fetched in a worker, the first one too (a principal
    # built inside a coroutine leaves it to the first request), and the loop's thread
    # opened no file, made no blocking connect, look-up or sleep while the refresh ran
    # (a token-file read on the loop would).
    assert loads_on_loop_thread == [False, False]
    assert blocking == []
    assert oci_instance_identity.token_requests == 2  # one refresh for all ten tasks
    assert oci_endpoint.verified_count == 11
    # How long the loop stalled is printed above and measured in benchmarks/ (a number of
    # milliseconds is the machine's load as much as the code's, so it is not asserted here).


def test_a_principal_built_inside_a_coroutine_fetches_its_first_token_off_the_loop(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_instance_identity, compartment_id
) -> None:
    oci_instance_identity.delay = 0.3

    async def main() -> tuple[list[str], int, list[str]]:
        built: list[OciInstancePrincipalAuth] = []

        async def build() -> None:
            built.append(OciInstancePrincipalAuth(hosts=[oci_endpoint.host]))

        while_building = await blocking_calls_on_loop(build())
        fetched_while_building = oci_instance_identity.token_requests
        client = AsyncOciOpenAI(auth=built[0], base_url=oci_endpoint.base_url, compartment_id=compartment_id)
        during_first_request = await blocking_calls_on_loop(client.models.list())
        await client.close()
        return while_building, fetched_while_building, during_first_request

    while_building, fetched_while_building, during_first_request = asyncio.run(main())
    assert while_building == [] and fetched_while_building == 0
    assert during_first_request == []
    assert oci_instance_identity.token_requests == 1 and oci_endpoint.verified_count == 1


def test_built_outside_a_loop_a_principal_fetches_where_it_is_built(oci_instance_identity) -> None:  # type: ignore[no-untyped-def]
    OciInstancePrincipalAuth()
    assert oci_instance_identity.token_requests == 1  # so a principal that cannot get one fails there


def test_a_first_token_that_cannot_be_fetched_inside_a_coroutine_fails_the_first_request(  # type: ignore[no-untyped-def]
    oci_endpoint, compartment_id, monkeypatch
) -> None:
    monkeypatch.setenv("OCI_METADATA_BASE_URL", f"http://127.0.0.1:{closed_port()}/opc/v2")

    async def main() -> None:
        auth = OciInstancePrincipalAuth(hosts=[oci_endpoint.host], timeout=2)
        client = AsyncOciOpenAI(auth=auth, base_url=oci_endpoint.base_url, compartment_id=compartment_id)
        try:
            await client.models.list()
        finally:
            await client.close()

    with pytest.raises(Exception) as raised:
        asyncio.run(main())
    error = error_of_ours(raised.value)
    assert isinstance(error, CredentialsError)
    assert "connection refused" in str(error) and oci_endpoint.requests == []


# -- fork ------------------------------------------------------------------------------

FORK_APP = """
import os, sys
from oci_openai_patch import OciOpenAI, OciUserPrincipalAuth, OciInstancePrincipalAuth
kind, base_url, host, config = sys.argv[1:5]
if kind == "user":
    auth = OciUserPrincipalAuth(config_file=config, hosts=[host])
else:
    auth = OciInstancePrincipalAuth(hosts=[host])
client = OciOpenAI(auth=auth, base_url=base_url, compartment_id="ocid1.compartment.oc1..aaaafork", max_retries=0)
client.models.list()
auth.credentials._lock.acquire()  # another thread is mid-refresh when the process forks
pid = os.fork()
if pid == 0:
    try:
        auth.credentials.refresh(None)
        client.models.list()
    except BaseException as error:
        print("child failed:", type(error).__name__, error, file=sys.stderr)
        os._exit(1)
    os._exit(0)
auth.credentials._lock.release()
_, status = os.waitpid(pid, 0)  # (parent and child share pooled sockets: take turns)
client.models.list()
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.parametrize("kind", ["user", "instance"])
def test_client_built_before_fork_works_in_the_child(  # type: ignore[no-untyped-def]
    kind: str, tmp_path: Path, oci_endpoint, request
) -> None:
    env = clean_env()
    config = make_api_key_profile(tmp_path, oci_endpoint.verifier).config_file
    if kind == "instance":
        identity = request.getfixturevalue("oci_instance_identity")
        env.update(
            OCI_METADATA_BASE_URL=identity.metadata_base_url,
            OCI_OPENAI_FEDERATION_ENDPOINT=identity.federation_endpoint,
        )
    run_program("", env, sys.executable, "-c", FORK_APP, kind, oci_endpoint.base_url, oci_endpoint.host, config)
    assert oci_endpoint.verified_count == 3 and _all_verified(oci_endpoint)


# -- bounded, clear failure ------------------------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def _timed_failure(build: object) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(CredentialsError) as caught:
        build()  # type: ignore[operator]
    return str(caught.value), time.monotonic() - started


def test_silent_instance_metadata_fails_within_the_timeout(silent_port: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    metadata = f"http://127.0.0.1:{silent_port}/opc/v2"
    monkeypatch.setenv("OCI_METADATA_BASE_URL", metadata)
    monkeypatch.setenv("OCI_OPENAI_AUTH_TIMEOUT", "1")
    message, elapsed = _timed_failure(OciInstancePrincipalAuth)
    assert elapsed < 10  # the SDK alone waits 60 s per read and retries for minutes
    assert metadata in message and "OCI_OPENAI_AUTH_TIMEOUT" in message and "1 s" in message


def test_slow_federation_fails_within_the_timeout(oci_instance_identity) -> None:  # type: ignore[no-untyped-def]
    oci_instance_identity.delay = 5.0
    message, elapsed = _timed_failure(lambda: OciInstancePrincipalAuth(timeout=0.5))
    assert elapsed < 4.5 and oci_instance_identity.federation_endpoint in message


def test_refused_federation_is_reported_with_its_reason(oci_instance_identity) -> None:  # type: ignore[no-untyped-def]
    oci_instance_identity.fail_next(401, count=10)
    message, _ = _timed_failure(lambda: OciInstancePrincipalAuth(timeout=10))
    assert message.startswith("instance_principal: could not obtain an OCI security token") and "401" in message


def test_unreachable_proxymux_fails_within_the_timeout(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = tmp_path / "token"
    token.write_text("x.y.z", encoding="utf-8")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH", str(token))
    message, elapsed = _timed_failure(lambda: OciWorkloadIdentityAuth(timeout=1))
    assert elapsed < 10 and "proxymux" in message


def test_timeout_setting(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert token_timeout(None) == DEFAULT_TOKEN_TIMEOUT_SECONDS == 30.0
    assert token_timeout(2.5) == 2.5
    monkeypatch.setenv("OCI_OPENAI_AUTH_TIMEOUT", "12")
    assert token_timeout(None) == 12.0
    for bad in ("soon", "0", "-3", "nan"):
        monkeypatch.setenv("OCI_OPENAI_AUTH_TIMEOUT", bad)
        with pytest.raises(ConfigurationError, match="OCI_OPENAI_AUTH_TIMEOUT"):
            token_timeout(None)
    with pytest.raises(ConfigurationError, match="timeout"):
        token_timeout(0)


def test_a_401_after_another_callers_reload_loads_again(oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    from oci_openai_patch.credentials import SessionCredentials

    credentials = SessionCredentials(config_file=oci_session_profile.config_file)
    first = credentials.get()
    refused_early = time.monotonic()
    second = credentials.refresh(first)  # another caller's 401 made it reload
    # A 401 received before that reload: the reload already answers it.
    assert credentials.refresh(first, refused_early) is second
    # A 401 received after it: the source may have moved on again, so load again.
    third = credentials.refresh(first, time.monotonic())
    assert third is not second and third.loaded_at > second.loaded_at


@pytest.mark.parametrize("inline", [False, True])
def test_resource_principal_22_reads_what_the_sdk_reads(  # type: ignore[no-untyped-def]
    inline: bool, oci_resource_principal: ResourcePrincipalFiles, monkeypatch
) -> None:
    from oci.auth.signers import get_resource_principals_signer

    from oci_openai_patch.credentials import ResourcePrincipalV22Credentials, resource_principal

    for name, value in oci_resource_principal.environ(inline=inline).items():
        monkeypatch.setenv(name, value)
    ours = resource_principal()
    assert isinstance(ours, ResourcePrincipalV22Credentials)  # no oci import on this path
    sdk = get_resource_principals_signer()
    key = ours.get()
    assert key.key_id == sdk.api_key
    assert key.private_key.private_numbers() == sdk.private_key.private_numbers()


def test_resource_principal_22_errors_name_the_variable(tmp_path: Path, oci_resource_principal, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", str(tmp_path / "gone.pem"))
    with pytest.raises(CredentialsError, match=r"OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM names .*gone\.pem"):
        OciResourcePrincipalAuth()
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", oci_resource_principal.key_file)
    Path(oci_resource_principal.token_file).write_text("not-a-token", encoding="utf-8")
    with pytest.raises(CredentialsError, match="is not a valid security token; check OCI_RESOURCE_PRINCIPAL_RPST"):
        OciResourcePrincipalAuth()
    oci_resource_principal.rotate(ttl=-10, revoke_old=False)
    with pytest.raises(CredentialsError, match="has expired"):
        OciResourcePrincipalAuth()


def test_session_reload_reads_a_file_being_rewritten_again(oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    from oci_openai_patch.credentials import SessionCredentials

    credentials = SessionCredentials(config_file=oci_session_profile.config_file)
    first = credentials.get()
    fresh = oci_session_profile.verifier.issuer.issue(oci_session_profile.private_key.public_key())
    Path(oci_session_profile.token_file).write_text("", encoding="utf-8")  # a rewrite has begun
    writer = threading.Timer(0.03, lambda: Path(oci_session_profile.token_file).write_text(fresh, encoding="utf-8"))
    writer.start()
    second = credentials.refresh(first)
    writer.join()
    assert second.key_id == "ST$" + fresh
    Path(oci_session_profile.token_file).write_text("", encoding="utf-8")  # and one that never ends
    with pytest.raises(ConfigurationError, match="is empty"):
        credentials.refresh(second)
