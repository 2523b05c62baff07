"""Cloud Shell's principal: the instance's federation plus the user's delegation token.

Against the loopback fakes: instance metadata and federation (``oci_instance_identity``)
and a Cloud-Shell-like profile naming the delegation token file (``oci_delegation_token``).
The signature is compared byte for byte with the SDK's ``InstancePrincipalsDelegationTokenSigner``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fresh import clean_env, run_program
from oracle import oci_signed_headers

from oci_openai_patch import ConfigurationError, CredentialsError, OciDelegationTokenAuth, OciOpenAI
from oci_openai_patch.transport.auto_auth import choose

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def test_signs_with_the_obo_token(oci_endpoint, oci_delegation_token, compartment_id) -> None:  # type: ignore[no-untyped-def]
    auth = OciDelegationTokenAuth(hosts=[oci_endpoint.host])
    client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url, compartment_id=compartment_id, max_retries=0)
    client.chat.completions.create(**CHAT)  # type: ignore[arg-type]
    request = oci_endpoint.requests[-1]
    assert request.verified and request.key_id.startswith("ST$")  # type: ignore[union-attr]
    assert request.headers["opc-obo-token"] == oci_delegation_token.token
    assert 'headers="date (request-target) host opc-obo-token content-length' in request.headers["authorization"]
    assert "delegation_token" in repr(auth.delegation_token) and oci_delegation_token.token not in repr(
        auth.delegation_token
    )


def test_byte_for_byte_with_the_sdk_signer(oci_delegation_token) -> None:  # type: ignore[no-untyped-def]
    auth = OciDelegationTokenAuth()
    sdk_signer = auth.credentials._signer  # the SDK's InstancePrincipalsDelegationTokenSigner our keys come from
    assert type(sdk_signer).__name__ == "InstancePrincipalsDelegationTokenSigner"
    url = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/chat/completions?x=1"
    body = b'{"model":"m"}'
    fixed = {"date": "Thu, 26 Nov 2026 10:00:00 GMT", "content-type": "application/json", "content-length": "13"}
    ours = next(auth.sync_auth_flow(httpx.Request("POST", url, headers=fixed, content=body)))
    theirs = oci_signed_headers(sdk_signer, "POST", url, dict(fixed), body)
    assert ours.headers["authorization"] == theirs["authorization"]
    assert ours.headers["opc-obo-token"] == theirs["opc-obo-token"] == oci_delegation_token.token


def test_a_renewed_token_file_is_read_again(oci_endpoint, oci_delegation_token, compartment_id) -> None:  # type: ignore[no-untyped-def]
    client = OciOpenAI(
        auth=OciDelegationTokenAuth(hosts=[oci_endpoint.host]),
        base_url=oci_endpoint.base_url,
        compartment_id=compartment_id,
        max_retries=0,
    )
    client.chat.completions.create(**CHAT)  # type: ignore[arg-type]
    renewed = oci_delegation_token.rotate()
    client.chat.completions.create(**CHAT)  # type: ignore[arg-type]
    assert [r.headers["opc-obo-token"] for r in oci_endpoint.requests][-1] == renewed
    assert all(r.verified for r in oci_endpoint.requests)


def test_zero_code_with_cloud_shells_variable(
    oci_endpoint, oci_instance_identity, oci_delegation_token, compartment_id
) -> None:  # type: ignore[no-untyped-def]
    assert choose() == ("delegation_token", "OCI_CLI_AUTH=instance_obo_user")
    env = clean_env(
        OCI_OPENAI_AUTH="instance_obo_user",
        OCI_CONFIG_FILE=oci_delegation_token.config_file,
        OCI_METADATA_BASE_URL=oci_instance_identity.metadata_base_url,
        OCI_OPENAI_FEDERATION_ENDPOINT=oci_instance_identity.federation_endpoint,
        OCI_OPENAI_HOSTS=oci_endpoint.host,
        OCI_OPENAI_COMPARTMENT_ID=compartment_id,
        OPENAI_BASE_URL=oci_endpoint.base_url,
    )
    program = (
        "import openai\nopenai.OpenAI().chat.completions.create(model='m', messages=[{'role': 'user', 'content': 'x'}])"
    )
    run_program(program, env)
    assert oci_endpoint.requests[-1].verified
    assert oci_endpoint.requests[-1].headers["opc-obo-token"] == oci_delegation_token.token


def test_a_profile_without_the_token_file_says_so(tmp_path: Path, oci_instance_identity, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config"
    config.write_text("[DEFAULT]\nregion=us-chicago-1\n", encoding="utf-8")
    config.chmod(0o600)
    monkeypatch.setenv("OCI_CONFIG_FILE", str(config))
    with pytest.raises(ConfigurationError) as missing:
        OciDelegationTokenAuth()
    assert str(missing.value) == (
        f"{config}: profile [DEFAULT] has no 'delegation_token_file' entry (Cloud Shell's profiles name the "
        "delegation token file); add it to the profile"
    )
    empty = tmp_path / "empty-token"
    empty.write_text("", encoding="utf-8")
    empty.chmod(0o600)
    with pytest.raises(CredentialsError, match=f"^delegation token file {empty} is empty"):
        OciDelegationTokenAuth(delegation_token_file=str(empty))


FIFO_PROGRAM = """
import asyncio, os, threading
import {library} as httpx
from oci_openai_patch import OciDelegationTokenAuth

URL, TOKEN_FILE = os.environ["URL"], os.environ["TOKEN_FILE"]
auth = OciDelegationTokenAuth(config_file=os.environ["CONFIG"], hosts=[os.environ["HOST"]])


async def main():
    async with httpx.AsyncClient(auth=auth) as client:
        print("before", (await client.post(URL, json={"model": "m"})).status_code)
        # The file becomes a FIFO nobody writes to: opening it blocks until a writer comes.
        os.remove(TOKEN_FILE)
        os.mkfifo(TOKEN_FILE, 0o600)
        statuses = []
        for _ in range(15):
            statuses.append((await asyncio.wait_for(client.post(URL, json={"model": "m"}), 10)).status_code)
            await asyncio.sleep(0.1)
        print("fifo", statuses)
        # The platform writes a renewal: the worker blocked on the FIFO reads it.
        threading.Thread(target=lambda: open(TOKEN_FILE, "w").write(os.environ["RENEWED"]), daemon=True).start()
        for _ in range(25):
            await client.post(URL, json={"model": "m", "renewal": True})
            await asyncio.sleep(0.1)

asyncio.run(main())
"""


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_the_token_file_is_never_read_on_the_event_loop(
    oci_endpoint, oci_instance_identity, oci_delegation_token, library: str
) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip(library)
    renewed = oci_delegation_token.issuer.issue_claims(3600.0, sub="ocid1.user.oc1..renewed", ptype="delegation")
    env = clean_env(
        URL=oci_endpoint.base_url + "/chat/completions",
        HOST=oci_endpoint.host,
        CONFIG=oci_delegation_token.config_file,
        TOKEN_FILE=oci_delegation_token.token_file,
        RENEWED=renewed,
        OCI_METADATA_BASE_URL=oci_instance_identity.metadata_base_url,
        OCI_OPENAI_FEDERATION_ENDPOINT=oci_instance_identity.federation_endpoint,
    )
    first = oci_delegation_token.token
    out = run_program(FIFO_PROGRAM.replace("{library}", library), env, timeout=60)
    lines = out.splitlines()
    assert lines[0] == "before 200" and lines[1].startswith("fifo [" + ", ".join(["200"] * 15) + "]"), out
    # Had the loop opened the FIFO, it would hang there for good: no request after it would
    # have completed, nor the 10 s timeouts around them fired.
    tokens = [r.headers["opc-obo-token"] for r in oci_endpoint.requests]
    assert all(r.verified for r in oci_endpoint.requests)
    assert tokens[:16] == [first] * 16
    assert tokens[-1] == renewed, "the renewal read by the worker is used"


def test_a_failed_check_fails_the_loops_requests_until_one_succeeds(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import time

    from oci_openai_patch.credentials import delegation

    monkeypatch.setattr(delegation, "RECHECK_INTERVAL", 0.0)
    path = tmp_path / "token"
    path.write_text("first-token", encoding="utf-8")
    path.chmod(0o600)
    token = delegation.DelegationToken.find(None, str(path), None, None)

    def settled() -> None:
        deadline = time.monotonic() + 5
        while token._checking_in is not None and time.monotonic() < deadline:
            time.sleep(0.01)

    path.unlink()
    assert token.on_loop() == "first-token"  # the check of the missing file runs in a worker
    settled()
    with pytest.raises(CredentialsError, match=f"^delegation token file {path} cannot be read"):
        token.on_loop()
    settled()
    path.write_text("second-token", encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(CredentialsError):
        token.on_loop()  # still the last check's verdict; this call starts a new check
    settled()
    assert token.on_loop() == "second-token"


def test_on_the_loop_a_given_token_starts_no_check_and_a_file_at_most_one_per_interval(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch
) -> None:
    import threading

    from oci_openai_patch.credentials import delegation

    started: list[str] = []
    daemons: list[bool] = []
    real_thread = threading.Thread

    def recording_thread(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(kwargs.get("name"))
        thread = real_thread(*args, **kwargs)
        daemons.append(thread.daemon)
        return thread

    monkeypatch.setattr(delegation.threading, "Thread", recording_thread)
    given = delegation.DelegationToken(value="given-token")
    assert [given.on_loop(), given.on_loop()] == ["given-token", "given-token"]
    assert started == []  # a token given as a value has no file to check
    path = tmp_path / "token"
    path.write_text("file-token", encoding="utf-8")
    path.chmod(0o600)
    token = delegation.DelegationToken.find(None, str(path), None, None)
    monkeypatch.setattr(delegation, "RECHECK_INTERVAL", 60.0)
    assert [token.on_loop() for _ in range(5)] == ["file-token"] * 5
    assert started == []  # read at construction: the next check is an interval away
    monkeypatch.setattr(delegation, "RECHECK_INTERVAL", 0.0)
    token.on_loop()
    assert started == ["oci-openai-patch delegation token"]  # named, for thread dumps
    assert daemons == [True]  # a check that never returns must not hold the interpreter at exit


def test_a_check_that_does_not_return_is_reported_once(tmp_path: Path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging
    import threading
    import time

    from oci_openai_patch.credentials import delegation

    path = tmp_path / "token"
    path.write_text("file-token", encoding="utf-8")
    path.chmod(0o600)
    token = delegation.DelegationToken.find(None, str(path), None, None)
    release = threading.Event()
    monkeypatch.setattr(token, "value", lambda: release.wait(10) and "file-token")
    monkeypatch.setattr(delegation, "RECHECK_INTERVAL", 0.0)
    monkeypatch.setattr(delegation, "SLOW_CHECK", 0.05)
    caplog.set_level(logging.WARNING, logger="oci_openai_patch")
    try:
        assert token.on_loop() == "file-token"  # starts the check, which hangs
        time.sleep(0.1)
        assert [token.on_loop(), token.on_loop()] == ["file-token", "file-token"]
    finally:
        release.set()
    slow = [r.getMessage() for r in caplog.records if "has not returned" in r.getMessage()]
    assert slow == [
        f"reading the delegation token file {path} has not returned in 0 s; the token read before it is "
        "used until it does (check delegation_token_file)"
    ]


def test_every_argument_reaches_the_principal(  # type: ignore[no-untyped-def]
    tmp_path: Path, oci_endpoint, oci_instance_identity, monkeypatch
) -> None:
    from oci_openai_patch.testing.profiles import make_delegation_token_profile

    # A named profile in a file of its own, and an environment that names neither.
    named = make_delegation_token_profile(tmp_path / "named", oci_instance_identity.issuer, profile="CLOUD")
    monkeypatch.setenv("OCI_CONFIG_FILE", str(tmp_path / "absent-config"))
    # The federation endpoint only as an argument: the environment's is a closed port.
    monkeypatch.setenv("OCI_OPENAI_FEDERATION_ENDPOINT", "http://127.0.0.1:9")
    from_file = OciDelegationTokenAuth(
        120,
        profile_name="CLOUD",
        config_file=named.config_file,
        hosts=[oci_endpoint.host],
        deployment_routing="header",
        federation_endpoint=oci_instance_identity.federation_endpoint,
    )
    assert from_file.credentials.max_age == 120
    assert from_file.deployment_routing == "header"
    given = OciDelegationTokenAuth(
        delegation_token="a-given-delegation-token",
        hosts=[oci_endpoint.host],
        federation_endpoint=oci_instance_identity.federation_endpoint,
    )
    for auth, expected in ((from_file, named.token), (given, "a-given-delegation-token")):
        with httpx.Client(auth=auth) as client:  # no OciOpenAI: only hosts= makes the endpoint signed for
            assert client.get(oci_endpoint.base_url + "/models").status_code == 200
        assert oci_endpoint.requests[-1].verified and oci_endpoint.requests[-1].headers["opc-obo-token"] == expected


def test_an_async_request_takes_the_token_without_reading_the_file(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_delegation_token, monkeypatch
) -> None:
    import asyncio

    auth = OciDelegationTokenAuth(hosts=[oci_endpoint.host])
    read_on_the_loop: list[bool] = []
    real_value = auth.delegation_token.value

    def recording_value() -> str:
        read_on_the_loop.append(True)
        return real_value()

    monkeypatch.setattr(auth.delegation_token, "value", recording_value)

    async def main() -> int:
        async with httpx.AsyncClient(auth=auth) as client:
            return (await client.get(oci_endpoint.base_url + "/models")).status_code

    assert asyncio.run(main()) == 200
    assert read_on_the_loop == []  # the value read at construction, from on_loop()
    assert oci_endpoint.requests[-1].headers["opc-obo-token"] == oci_delegation_token.token


def test_the_region_of_a_key_source_that_knows_none() -> None:
    from oci_openai_patch.credentials import principal_region

    class NoRegion:
        pass

    class NotCallable:
        region = None

    assert principal_region(NoRegion()) is None
    assert principal_region(NotCallable()) is None


def test_a_token_file_others_can_read_is_warned_about(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import warnings

    from oci_openai_patch import permissions
    from oci_openai_patch.credentials.delegation import DelegationToken

    monkeypatch.setattr(permissions, "_warned", set())
    path = tmp_path / "token"
    path.write_text("file-token", encoding="utf-8")
    path.chmod(0o644)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DelegationToken.find(None, str(path), None, None)
    assert [str(warning.message) for warning in caught] == [
        f"delegation token file {path} is readable by other users (mode 0644); run: chmod 600 {path} "
        "(or set OCI_OPENAI_SUPPRESS_PERMISSION_WARNING=1)"
    ]
