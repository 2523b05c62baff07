"""The third adversarial review's findings, each as a test that failed before its fix.

(Redirects and ``auth_flow`` are in ``test_redirects.py``.)
"""

from __future__ import annotations

import importlib.resources
import re

import pytest
from fresh import clean_env, run_program

from oci_openai_patch.errors import ConfigurationError
from oci_openai_patch.trust.hosts import parse_host_list
from oci_openai_patch.trust.public_suffixes import covered_public_suffix

# -- the suffix list's wildcard and exception rules ---------------------------------------


@pytest.mark.parametrize(
    "entry",
    ["*.us-ashburn-1.oci.customer-oci.com", "*.com.np", "*.co.ck", "*.customer-oci.com", "*.s3.amazonaws.com"],
)
def test_a_wildcard_over_a_child_of_a_wildcard_rule_is_refused(entry: str) -> None:
    with pytest.raises(ConfigurationError, match="covers the public suffix"):
        parse_host_list(entry)


def test_an_exception_rule_is_not_public() -> None:
    # ``*.ck`` makes every child of ck public, except ``!www.ck``.
    assert covered_public_suffix("www.ck") is None
    assert parse_host_list("*.llm.www.ck")[0].host == "llm.www.ck"


def _vectors() -> list[tuple[str, str]]:
    """The list's own test vectors (shipped with publicsuffixlist): domain -> registrable domain."""
    text = (importlib.resources.files("publicsuffixlist") / "test_psl.txt").read_text(encoding="utf-8")
    found = re.findall(r"^checkPublicSuffix\('([^']+)', '([^']+)'\);", text, re.M)
    return [(domain.lower(), registrable) for domain, registrable in found if not domain.startswith(".")]


def test_the_lists_own_vectors() -> None:
    vectors = _vectors()
    assert len(vectors) > 30
    for domain, registrable in vectors:
        public = registrable.partition(".")[2]
        # A wildcard over the public suffix above a registrable domain covers others' hosts.
        assert covered_public_suffix(public) is not None, (domain, public)
        # One over the registrable domain itself stays inside it (no vector has a rule below it).
        assert covered_public_suffix(registrable) is None, (domain, registrable)


def test_the_shim_refuses_such_a_wildcard_in_a_fresh_interpreter(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = """
    import openai
    try:
        openai.OpenAI(base_url="https://tenant.us-ashburn-1.oci.customer-oci.com/v1")
    except Exception as error:
        print(type(error).__name__, error)
    """
    env = clean_env(OCI_OPENAI_AUTH="instance_principal", OCI_OPENAI_HOSTS="*.us-ashburn-1.oci.customer-oci.com")
    out = run_program(code, env).strip()
    assert out.startswith("ConfigurationError OCI_OPENAI_HOSTS: '*.us-ashburn-1.oci.customer-oci.com' covers"), out


# -- userinfo is never echoed -------------------------------------------------------------

PASSWORD = "hunter2-proxy-secret"


def test_no_password_in_the_proxy_refusal_or_a_hosts_error(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = f"""
    import logging, sys
    logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
    import openai
    for base_url in ("http://me:{PASSWORD}@{oci_endpoint.host}/openai/v1",):
        try:
            openai.OpenAI(base_url=base_url)
        except Exception as error:
            print("ERROR", error)
    from oci_openai_patch.trust.hosts import parse_host_list
    try:
        parse_host_list("me:{PASSWORD}@gateway.example.com")
    except Exception as error:
        print("ERROR", error)
    """
    env = clean_env(
        OCI_OPENAI_AUTH="user_principal",
        OCI_OPENAI_CONFIG_FILE=oci_api_key_profile.config_file,
        OCI_OPENAI_HOSTS=oci_endpoint.host,
        OCI_OPENAI_PROJECT_ID="ocid1.generativeaiproject.oc1.us-chicago-1.aaaa",
        HTTP_PROXY=f"http://proxyuser:{PASSWORD}@127.0.0.1:9",
    )
    out = run_program(code, env)
    errors = [line for line in out.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 2, out
    assert "would go through the proxy http://127.0.0.1:9" in errors[0] and "***@" in errors[0], errors[0]
    assert "'***@gateway.example.com' is not a host" in errors[1], errors[1]
    assert PASSWORD not in out


# -- a transport the package cannot see through counts as proxied ---------------------------

WRAPPED = """
import os, sys
import {library} as http
from oci_openai_patch import OciUserPrincipalAuth

class Retrying(http.BaseTransport):
    '''A retry wrapper, as real code puts around a transport.'''
    def __init__(self, inner):
        self.inner = inner
    def handle_request(self, request):
        return self.inner.handle_request(request)

inner = http.HTTPTransport(proxy=os.environ.get("INNER_PROXY") or None)
auth = OciUserPrincipalAuth(config_file=os.environ["CONFIG"], hosts=[os.environ["HOST"]])
with http.Client(transport=Retrying(inner), auth=auth, trust_env=False) as client:
    try:
        print(client.get(os.environ["URL"]).status_code)
    except Exception as error:
        print(type(error).__name__, error)
"""


def _run_wrapped(endpoint, profile, library: str, **extra: str) -> str:  # type: ignore[no-untyped-def]
    pytest.importorskip(library)
    env = clean_env(CONFIG=profile.config_file, HOST=endpoint.host, URL=endpoint.base_url + "/models", **extra)
    return run_program(WRAPPED.format(library=library), env).strip()


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_a_wrapped_proxy_transport_is_refused(oci_endpoint, oci_api_key_profile, library: str) -> None:  # type: ignore[no-untyped-def]
    out = _run_wrapped(oci_endpoint, oci_api_key_profile, library, INNER_PROXY="http://127.0.0.1:9")
    assert out.startswith("ConfigurationError refusing to sign http://127.0.0.1:"), out
    assert "the transport __main__.Retrying" in out and "OCI_OPENAI_DIRECT_TRANSPORTS=__main__.Retrying" in out
    assert oci_endpoint.requests == []


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_a_transport_named_direct_signs(oci_endpoint, oci_api_key_profile, library: str) -> None:  # type: ignore[no-untyped-def]
    assert (
        _run_wrapped(oci_endpoint, oci_api_key_profile, library, OCI_OPENAI_DIRECT_TRANSPORTS="__main__.Retrying")
        == "200"
    )
    # Only the program's own request: a token fetch an earlier test in this process gave up on
    # may still be retrying against a port the endpoint now has (the SDK's metadata GETs).
    ours = [request for request in oci_endpoint.requests if request.target.endswith("/models")]
    assert len(ours) == 1 and ours[0].verified


# -- no secret in a traceback rendered with its locals -----------------------------------

LOCALS_PROGRAM = """
import asyncio, os, traceback
import {library} as http
from oci_openai_patch import OciSessionAuth, OciUserPrincipalAuth
import oci_openai_patch.transport.auth as auth_module

URL = os.environ["URL"]


def render(name, error):
    # As Sentry and rich render an error: every frame's locals, by repr, causes included.
    text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    print(f"=== {name}: {type(error).__name__} ({text.count(chr(10))} lines)")
    print(text)


def call(auth, **headers):
    with http.Client(auth=auth, headers=headers) as client:
        return client.post(URL, json={"model": "m"})


for name, config in (("expired token", "EXPIRED"), ("fingerprint mismatch", "MISMATCH"), ("bad pass phrase", "PHRASE")):
    try:
        kind = OciSessionAuth if name == "expired token" else OciUserPrincipalAuth
        call(kind(config_file=os.environ[config]))
    except Exception as error:
        render(name, error)

# A refresh that fails: the endpoint refuses the first signature, the token file is garbage by then.
auth = OciSessionAuth(config_file=os.environ["SESSION"])
call(auth)
with open(os.environ["SESSION_TOKEN_FILE"], "w") as handle:
    handle.write("garbage")
os.utime(os.environ["SESSION_TOKEN_FILE"], (0, 0))
try:
    auth.credentials.refresh(auth.credentials.get(), None)
    call(auth)
except Exception as error:
    render("failed refresh", error)

# A request cancelled while it waits for a signing worker; the signing string holds a
# delegation token (signed as a header, as Cloud Shell's principal signs opc-obo-token).
async def never(*args):
    await asyncio.sleep(3600)

auth_module.async_rsa_sign = never
obo = OciSessionAuth(
    config_file=os.environ["SESSION_OBO"],
    generic_headers=["date", "(request-target)", "host", "opc-obo-token"],
)

async def cancelled():
    async with http.AsyncClient(auth=obo, headers={"opc-obo-token": os.environ["DELEGATION"]}) as client:
        task = asyncio.ensure_future(client.post(URL, json={"model": "m"}))
        await asyncio.sleep(0.5)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError as error:
            render("cancelled async request", error)

asyncio.run(cancelled())
"""


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_no_secret_in_tracebacks_rendered_with_locals(oci_endpoint, tmp_path, library: str) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    pytest.importorskip(library)

    from oci_openai_patch.testing.profiles import make_api_key_profile, make_session_profile

    verifier = oci_endpoint.verifier
    expired = make_session_profile(tmp_path / "expired", verifier, ttl=-120)
    session = make_session_profile(tmp_path / "session", verifier)
    obo = make_session_profile(tmp_path / "obo", verifier)
    mismatch = make_api_key_profile(tmp_path / "mismatch", verifier)
    text = Path(mismatch.config_file).read_text(encoding="utf-8")
    Path(mismatch.config_file).write_text(text.replace(mismatch.fingerprint, "00:" * 15 + "00"), encoding="utf-8")
    phrase = make_api_key_profile(tmp_path / "phrase", verifier, pass_phrase="the-right-phrase-4711")
    text = Path(phrase.config_file).read_text(encoding="utf-8")
    wrong = "a-wrong-pass-phrase-0815"
    Path(phrase.config_file).write_text(text.replace("the-right-phrase-4711", wrong), encoding="utf-8")
    delegation = "delegation-token-eyJhbGciOi-secret"
    session_token = session.token
    env = clean_env(
        URL=oci_endpoint.base_url + "/chat/completions",
        OCI_OPENAI_HOSTS=oci_endpoint.host,
        EXPIRED=expired.config_file,
        MISMATCH=mismatch.config_file,
        PHRASE=phrase.config_file,
        SESSION=session.config_file,
        SESSION_TOKEN_FILE=session.token_file,
        SESSION_OBO=obo.config_file,
        DELEGATION=delegation,
    )
    out = run_program(LOCALS_PROGRAM.replace("{library}", library), env)
    sections = {line.partition(":")[0][4:] for line in out.splitlines() if line.startswith("=== ")}
    assert sections == {
        "expired token",
        "fingerprint mismatch",
        "bad pass phrase",
        "failed refresh",
        "cancelled async request",
    }, out[:3000]
    assert "PendingSignature(names=" in out  # the pending signature was a local, shown by its repr
    assert "Profile(" in out and "pass_phrase=Secret('…')" in out
    secrets = {
        "the session token": session_token,
        "the token signing the cancelled request": obo.token,
        "the expired token": Path(expired.token_file).read_text(encoding="utf-8").strip(),
        "a pass phrase": wrong,
        "the delegation token": delegation,
    }
    for key_file in (session.key_file, obo.key_file, mismatch.key_file, phrase.key_file, expired.key_file):
        secrets[f"a line of {key_file}"] = Path(key_file).read_text(encoding="utf-8").splitlines()[3]
    for what, secret in secrets.items():
        assert secret not in out, f"{what} is in a rendered traceback"
        if secret.count(".") == 2:  # a JWT: not even its payload
            assert secret.split(".")[1] not in out, what


# -- websockets fail closed ------------------------------------------------------------------

APP_KEY = "sk-app-key-for-openai-only"

REALTIME = """
import asyncio, os
import openai

def build():
    kwargs = {}
    if os.environ.get("WS_BASE_URL"):
        kwargs["websocket_base_url"] = os.environ["WS_BASE_URL"]
    if os.environ.get("EXPLICIT"):
        from oci_openai_patch import OciOpenAI, AsyncOciOpenAI, OciUserPrincipalAuth
        auth = OciUserPrincipalAuth(config_file=os.environ["CONFIG"])
        classes = (OciOpenAI, AsyncOciOpenAI)
        kwargs.update(auth=auth, base_url=os.environ["BASE_URL"], project=os.environ["PROJECT"])
    else:
        classes = (openai.OpenAI, openai.AsyncOpenAI)
    return classes[0](**kwargs), classes[1](**kwargs)

sync_client, async_client = build()
try:
    with sync_client.realtime.connect(model="gpt-realtime") as connection:
        print("sync: connected")
except Exception as error:
    print("sync:", type(error).__name__, str(error)[:300])

async def main():
    try:
        async with async_client.realtime.connect(model="gpt-realtime") as connection:
            print("async: connected")
    except Exception as error:
        print("async:", type(error).__name__, str(error)[:300])

asyncio.run(main())
"""

PROJECT = "ocid1.generativeaiproject.oc1.us-chicago-1.aaaawebsocket"


def _realtime_env(endpoint, profile, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return clean_env(
        OCI_OPENAI_AUTH="user_principal",
        OCI_OPENAI_CONFIG_FILE=profile.config_file,
        OCI_OPENAI_HOSTS=endpoint.host,
        OCI_OPENAI_PROJECT_ID=PROJECT,
        OCI_OPENAI_COMPARTMENT_ID="ocid1.compartment.oc1..aaaawebsocket",
        OPENAI_BASE_URL=endpoint.base_url,
        OPENAI_API_KEY=APP_KEY,
        CONFIG=profile.config_file,
        BASE_URL=endpoint.base_url,
        PROJECT=PROJECT,
        **extra,
    )


@pytest.mark.parametrize("explicit", ["", "1"], ids=["zero-code", "explicit"])
def test_a_realtime_websocket_to_the_signed_host_is_refused(oci_endpoint, oci_api_key_profile, explicit) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("websockets")
    out = run_program(REALTIME, _realtime_env(oci_endpoint, oci_api_key_profile, EXPLICIT=explicit))
    lines = out.strip().splitlines()
    assert len(lines) == 2, out
    for mode, line in zip(("sync", "async"), lines, strict=True):
        # openai 1.x asks for wss:// whatever the base URL's scheme.
        assert re.match(rf"{mode}: ConfigurationError refusing the websocket to wss?://127\.0\.0\.1:", line), line
    assert oci_endpoint.requests == []  # nothing was sent: not the handshake, not the app's key


def test_no_oci_header_goes_to_a_foreign_websocket_base_url(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("websockets")
    from oci_openai_patch.testing import OciTestEndpoint

    with OciTestEndpoint(require_signature=False) as foreign:
        ws_base = foreign.base_url.replace("http://", "ws://")
        run_program(REALTIME, _realtime_env(oci_endpoint, oci_api_key_profile, WS_BASE_URL=ws_base))
    handshakes = [r for r in foreign.requests if r.headers.get("upgrade", "").lower() == "websocket"]
    assert len(handshakes) == 2, [r.target for r in foreign.requests]
    for handshake in handshakes:
        headers = handshake.headers
        assert "opc-compartment-id" not in headers and "compartmentid" not in headers
        assert not headers.get("openai-project", "").startswith("ocid1."), headers
    assert oci_endpoint.requests == []


# -- a fork while any lock of the package is held ------------------------------------------

FORK_WHILE_HELD = """
import os, signal, sys, threading, warnings
import openai
import oci_openai_patch.credentials.fetch_failures
import oci_openai_patch.key_cache
import oci_openai_patch.transport.websocket_guard
from oci_openai_patch import permissions
from oci_openai_patch.transport import websocket_guard
from oci_openai_patch.process_locks import process_locks

client = openai.OpenAI()  # the zero-code auth is built on first use: nothing fetched yet
held = process_locks()
print("locks", ",".join(sorted(lock.name for lock in held)))
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
    signal.alarm(20)  # a lock still held in the child ends it here, with a non-zero status
    client.models.list()  # builds the auth, and the first token fetch installs its observer
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        permissions.warn_if_readable_by_others(os.environ["READABLE"], "test file")
    websocket_guard.trust(())
    websocket_guard.install()
    os._exit(0 if len(caught) == 1 else 3)
release.set()
_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status))

"""


IMPORT_SPY = """
import sys
import oci_openai_patch.credentials.fetch_failures


class ImportSpy:
    # Whether the token-fetch observer's lock is held while the SDK (and its requests) is imported.
    held = set()
    def find_spec(self, name, path=None, target=None):
        if name.startswith("oci"):
            self.held.add(oci_openai_patch.credentials.fetch_failures._install_lock.locked())
        return None

assert "oci" not in sys.modules
sys.meta_path.insert(0, ImportSpy())
with oci_openai_patch.credentials.fetch_failures.recording(oci_openai_patch.credentials.fetch_failures.FetchLog()):
    pass
print("observer lock held during an import:", sorted(ImportSpy.held))
"""


def test_a_fork_while_any_lock_is_held_leaves_the_child_working(oci_endpoint, oci_instance_identity, tmp_path) -> None:  # type: ignore[no-untyped-def]
    readable = tmp_path / "readable"
    readable.write_text("x", encoding="utf-8")
    readable.chmod(0o644)
    env = clean_env(
        OCI_OPENAI_AUTH="instance_principal",
        OCI_METADATA_BASE_URL=oci_instance_identity.metadata_base_url,
        OCI_OPENAI_FEDERATION_ENDPOINT=oci_instance_identity.federation_endpoint,
        OCI_OPENAI_HOSTS=oci_endpoint.host,
        OCI_OPENAI_COMPARTMENT_ID="ocid1.compartment.oc1..aaaafork",
        OPENAI_BASE_URL=oci_endpoint.base_url,
        READABLE=str(readable),
    )
    out = run_program(FORK_WHILE_HELD, env).splitlines()
    out += run_program(IMPORT_SPY, clean_env()).splitlines()
    names = {"key cache", "permission warnings", "token-fetch observer", "websocket guard", "zero-code auth"}
    assert out[0].startswith("locks ") and names <= set(out[0][6:].split(",")), out
    assert out[1:] == ["child 0", "observer lock held during an import: [False]"], out
    assert oci_endpoint.verified_count == 1  # the child's request


# -- the caller's own endpoint choices win -----------------------------------------------

COPIES = """
import inspect, openai
from oci_openai_patch.shim.patch import INJECTED_BASE_URL
from oci_openai_patch.openai_clients.client_signing import ATTRIBUTE

def show(label, client):
    left_alone = vars(client).get(ATTRIBUTE) is False
    print(f"{label}: {client.base_url} {'left alone' if left_alone else 'shim'} {INJECTED_BASE_URL in vars(client)}")

base = openai.OpenAI()
show("injected", base)
show("other key", base.with_options(api_key="sk-other"))
show("copy", base.copy(timeout=3))
show("caller's url", base.copy(base_url="https://gateway.example.com/v1"))
if "data_residency" in inspect.signature(openai.OpenAI.__init__).parameters:
    show("residency", openai.OpenAI(data_residency="eu"))
    show("copy onto a residency", base.copy(data_residency="eu"))
    provider = {"token_type": "jwt", "get_token": lambda: "x.y.z"}
    identity = {"identity_provider_id": "idp", "service_account_id": "sa", "provider": provider}
    show("copy onto a workload identity", base.with_options(workload_identity=identity))
    async_base = openai.AsyncOpenAI()
    show("async copy onto a workload identity", async_base.copy(workload_identity=identity))
    show("async residency", openai.AsyncOpenAI(data_residency="eu"))
show("async other key", openai.AsyncOpenAI().with_options(api_key="sk-other"))
"""

REGION_URL = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/"


def test_data_residency_and_copies_onto_another_identity_are_the_callers(oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    import openai

    env = clean_env(
        OCI_OPENAI_AUTH="user_principal",
        OCI_OPENAI_CONFIG_FILE=oci_api_key_profile.config_file,
        OCI_OPENAI_REGION="us-chicago-1",
        OCI_OPENAI_PROJECT_ID=PROJECT,
        OPENAI_API_KEY=APP_KEY,
    )
    lines = run_program(COPIES, env).splitlines()
    assert lines[:4] == [
        f"injected: {REGION_URL} shim True",
        f"other key: {REGION_URL} shim True",  # decided again as a new client: injected again
        f"copy: {REGION_URL} shim True",
        "caller's url: https://gateway.example.com/v1/ shim False",
    ]
    assert lines[-1] == f"async other key: {REGION_URL} shim True"
    if openai.__version__.startswith(("1.", "2.")):
        assert len(lines) == 5
        return
    assert lines[4:-1] == [
        "residency: https://eu.api.openai.com/v1/ left alone False",
        "copy onto a residency: https://eu.api.openai.com/v1/ shim False",  # a foreign host: never signed
        "copy onto a workload identity: https://api.openai.com/v1/ left alone False",
        "async copy onto a workload identity: https://api.openai.com/v1/ left alone False",
        "async residency: https://eu.api.openai.com/v1/ left alone False",
    ]
