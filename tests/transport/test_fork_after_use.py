"""Fork after use: a child never sends on a pooled connection it inherited.

A parent that used a client and then forked (``multiprocessing`` with ``fork``, a
pre-fork server's workers) shares its pooled sockets with the child. Before the change
1-4 of every 4 runs below had a request fail: bodies interleaved on one stream (the
endpoint rejected the signature), ``BAD_RECORD_MAC`` on TLS, and for async clients the
connections of the parent's ended event loop. Each run here sends 40 signed requests
from four children and the parent at once (``max_retries=0``, so no retry hides one).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fresh import clean_env, run_program

from oci_openai_patch.testing import OciTestEndpoint
from oci_openai_patch.testing.profiles import make_api_key_profile
from oci_openai_patch.testing.tls import TestCertificateAuthority

PROJECT = "ocid1.generativeaiproject.oc1.us-chicago-1.aaaaforkafteruse"

PROGRAM = """
import asyncio, faulthandler, multiprocessing, os, sys
import openai

# A child that crashes or hangs says where, on the stderr the test shows: a lost or stuck
# child otherwise surfaces only as the parent's timeout, with no trace of its own.
faulthandler.enable()

MODE, ROUTE, RUNS = os.environ["MODE"], os.environ["ROUTE"], int(os.environ.get("RUNS", "4"))
CHAT = dict(model="m", messages=[{"role": "user", "content": "x" * 2000}])


def build():
    if ROUTE == "explicit":
        from oci_openai_patch import OciOpenAI, AsyncOciOpenAI, OciUserPrincipalAuth
        auth = OciUserPrincipalAuth(config_file=os.environ["CONFIG"])
        kind = AsyncOciOpenAI if MODE == "async" else OciOpenAI
        return kind(auth=auth, base_url=os.environ["BASE_URL"], project=os.environ["PROJECT"], max_retries=0)
    if ROUTE == "own":
        http = __import__(os.environ.get("LIBRARY", "httpx2"))
        from oci_openai_patch import OciUserPrincipalAuth
        auth = OciUserPrincipalAuth(config_file=os.environ["CONFIG"], hosts=[os.environ["HOST"]])
        kind = http.AsyncClient if MODE == "async" else http.Client
        return kind(auth=auth, base_url=os.environ["BASE_URL"])
    kind = openai.AsyncOpenAI if MODE == "async" else openai.OpenAI
    return kind(max_retries=0)


client = build()


def send_sync():
    if ROUTE == "own":
        return client.post("/chat/completions", json=CHAT).raise_for_status()
    return client.chat.completions.create(**CHAT)


async def send_async():
    if ROUTE == "own":
        return (await client.post("/chat/completions", json=CHAT)).raise_for_status()
    return await client.chat.completions.create(**CHAT)


def burst(count):
    faulthandler.dump_traceback_later(40)  # every thread's stack, if this burst is stuck
    try:
        return _burst(count)
    finally:
        faulthandler.cancel_dump_traceback_later()


def _burst(count):
    errors = []
    if MODE == "async":
        async def run():
            for outcome in await asyncio.gather(*(send_async() for _ in range(count)), return_exceptions=True):
                if isinstance(outcome, BaseException):
                    errors.append(f"{type(outcome).__name__}: {str(outcome)[:120]}")
        asyncio.run(run())
    else:
        for _ in range(count):
            try:
                send_sync()
            except Exception as error:
                errors.append(f"{type(error).__name__}: {str(error)[:120]}")
    return errors


burst(4)  # the parent uses the client: its pool now holds connections
failures = 0
if os.environ.get("SERVER") == "prefork":
    # As a pre-fork server (gunicorn --preload) starts its workers: the master built and
    # used the client at import, then forks; the workers serve at once, side by side.
    for run in range(RUNS):
        workers = []
        for _ in range(4):
            pid = os.fork()
            if pid == 0:
                errors = burst(8)
                for error in errors[:3]:
                    print("error", error, file=sys.stderr)
                os._exit(1 if errors else 0)
            workers.append(pid)
        failures += any(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in workers)
    print("runs with a failed request:", failures, "of", RUNS)
    sys.exit(0)
context = multiprocessing.get_context("fork")
for run in range(RUNS):
    with context.Pool(4) as pool:
        children = pool.map_async(burst, [8] * 4)
        # A sync parent goes on using its connections while the children run; an async
        # one's connections belong to the event loop that ended (as a pre-fork server's
        # warm-up at import leaves them).
        parent = burst(8) if MODE == "sync" else []
        errors = parent + [e for child in children.get(60) for e in child]
    failures += bool(errors)
    for error in errors[:3]:
        print("error", error, file=sys.stderr)
print("runs with a failed request:", failures, "of", RUNS)
"""


def _run(endpoint, config: str, *, ca_file: str | None = None, runs: int = 4, **choices: str) -> str:  # type: ignore[no-untyped-def]
    env = clean_env(
        RUNS=str(runs),
        OCI_OPENAI_AUTH="user_principal",
        OCI_OPENAI_CONFIG_FILE=config,
        OCI_OPENAI_HOSTS=endpoint.host,
        OCI_OPENAI_PROJECT_ID=PROJECT,
        OPENAI_BASE_URL=endpoint.base_url,
        BASE_URL=endpoint.base_url,
        CONFIG=config,
        HOST=endpoint.host,
        PROJECT=PROJECT,
        **choices,
    )
    if ca_file:
        env["SSL_CERT_FILE"] = ca_file
    out = run_program(PROGRAM, env, timeout=240).strip()
    assert all(request.verified for request in endpoint.requests)
    return out


ROUTES = ["zero-code", "explicit", "own-httpx", "own-httpx2"]


def _route(route: str) -> dict[str, str]:
    if route.startswith("own-"):
        library = route[4:]
        pytest.importorskip(library)
        return {"ROUTE": "own", "LIBRARY": library}
    return {"ROUTE": route}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("route", ROUTES)
def test_over_http(oci_endpoint, oci_api_key_profile, mode: str, route: str) -> None:  # type: ignore[no-untyped-def]
    out = _run(oci_endpoint, oci_api_key_profile.config_file, MODE=mode, **_route(route))
    assert out == "runs with a failed request: 0 of 4"
    assert len(oci_endpoint.requests) == 4 + 4 * (32 + (8 if mode == "sync" else 0))


@pytest.fixture
def tls_endpoint(tmp_path: Path):  # type: ignore[no-untyped-def]
    authority = TestCertificateAuthority()
    ca_file = str(authority.write_certificate(tmp_path / "ca.pem"))
    with OciTestEndpoint(ssl_context=authority.server_context(tmp_path / "tls")) as endpoint:
        endpoint.ca_file = ca_file
        yield endpoint


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("route", ["zero-code", "own-httpx"])
def test_over_tls(tls_endpoint, tmp_path: Path, mode: str, route: str) -> None:  # type: ignore[no-untyped-def]
    config = make_api_key_profile(tmp_path / "profile", tls_endpoint.verifier).config_file
    out = _run(tls_endpoint, config, ca_file=tls_endpoint.ca_file, MODE=mode, **_route(route))
    assert out == "runs with a failed request: 0 of 4"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_pre_fork_servers_workers(tls_endpoint, tmp_path: Path, mode: str) -> None:  # type: ignore[no-untyped-def]
    config = make_api_key_profile(tmp_path / "profile", tls_endpoint.verifier).config_file
    out = _run(tls_endpoint, config, ca_file=tls_endpoint.ca_file, MODE=mode, ROUTE="zero-code", SERVER="prefork")
    assert out == "runs with a failed request: 0 of 4"
    assert len(tls_endpoint.requests) == 4 + 4 * 32


@pytest.mark.soak
def test_many_runs(tls_endpoint, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = make_api_key_profile(tmp_path / "profile", tls_endpoint.verifier).config_file
    out = _run(tls_endpoint, config, ca_file=tls_endpoint.ca_file, runs=25, MODE="sync", ROUTE="zero-code")
    print(out)
    assert out == "runs with a failed request: 0 of 25"


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_a_wrapped_transports_pool_is_found_and_the_next_request_opens_its_own(oci_endpoint, library: str) -> None:  # type: ignore[no-untyped-def]
    http = pytest.importorskip(library)
    from oci_openai_patch.transport import inherited_connections

    class Logging(http.BaseTransport):  # type: ignore[misc,name-defined]
        def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
            self.inner = inner

        def handle_request(self, request):  # type: ignore[no-untyped-def]
            return self.inner.handle_request(request)

    inner = http.HTTPTransport()
    endpoint = OciTestEndpoint(require_signature=False)
    with endpoint, http.Client(transport=Logging(inner), mounts={"all://other": http.HTTPTransport()}) as client:
        client.get(endpoint.base_url + "/models")
        assert len(inner._pool._connections) == 1
        inherited = inner._pool._connections[0]
        assert inherited_connections.drop_inherited(client) == 1
        assert inner._pool._connections == []
        client.get(endpoint.base_url + "/models")
        assert len(inner._pool._connections) == 1 and inner._pool._connections[0] is not inherited


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_an_auth_on_the_callers_own_client_learns_it_from_the_first_signed_request(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_api_key_profile, library: str
) -> None:
    import asyncio

    http = pytest.importorskip(library)
    from oci_openai_patch import OciUserPrincipalAuth
    from oci_openai_patch.transport import inherited_connections

    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file, hosts=[oci_endpoint.host])
    with http.Client(auth=auth) as client:
        assert client not in inherited_connections._CLIENTS
        client.get(oci_endpoint.base_url + "/models")
        assert client in inherited_connections._CLIENTS

    async def main() -> None:
        async with http.AsyncClient(auth=auth) as client:
            await client.get(oci_endpoint.base_url + "/models")
            assert client in inherited_connections._CLIENTS

    asyncio.run(main())
    assert oci_endpoint.verified_count == 2
