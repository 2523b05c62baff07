"""A token fetch that gives up names the endpoint, what it last did, and how to fix it.

The SDK retries every failure silently, so each cause is produced for real against a
loopback endpoint (a certificate from another CA, a closed port, an HTTP error with
OCI's error document, a server that never answers). The DNS case is the one exception:
no name may be looked up from a test, so ``socket.getaddrinfo`` fails for that one
name as a resolver would, in a fresh interpreter that ends before the SDK's retries do.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import oci.auth.signers  # noqa: F401 - imported before any deadline: the 1 s ones below time the fetch
import pytest
from fresh import clean_env, closed_port, run_program

from oci_openai_patch import CredentialsError, OciInstancePrincipalAuth, OciWorkloadIdentityAuth
from oci_openai_patch.credentials.fetch_failures import FetchFailure, classify
from oci_openai_patch.testing import FakeProxymux, TestCertificateAuthority


def _failure(build: Callable[[], object]) -> str:
    started = time.monotonic()
    with pytest.raises(CredentialsError) as caught:
        build()
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_certificate_that_does_not_verify_is_named_with_its_reason(
    oci_proxymux: FakeProxymux, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = TestCertificateAuthority("some other CA").write_certificate(tmp_path / "wrong-ca.crt")
    monkeypatch.setenv("OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH", str(stranger))
    message = _failure(lambda: OciWorkloadIdentityAuth(timeout=1))
    assert "https://127.0.0.1:12250/resourcePrincipalSessionTokens" in message
    assert "TLS certificate verification failed (unable to get local issuer certificate)" in message
    assert "set OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH to the cluster's CA bundle" in message
    assert "did not answer" not in message


def test_a_refused_connection_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    metadata = f"http://127.0.0.1:{closed_port()}/opc/v2"
    monkeypatch.setenv("OCI_METADATA_BASE_URL", metadata)
    message = _failure(lambda: OciInstancePrincipalAuth(timeout=1))
    assert f"the last attempt failed: {metadata}/" in message
    assert "connection refused; nothing listens there; on an OCI instance leave OCI_METADATA_BASE_URL unset" in message


def test_a_name_that_does_not_resolve_is_named() -> None:
    # In a fresh interpreter: the SDK goes on retrying after our deadline, and only the
    # end of the process stops it from ever asking a real resolver for the name.
    unresolvable = "metadata.oci-openai-patch.invalid"
    code = f"""
    import json, socket, time
    resolve = socket.getaddrinfo

    def failing_resolver(host, *args, **kwargs):
        if host == {unresolvable!r}:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    socket.getaddrinfo = failing_resolver
    import oci.auth.signers  # its import (slow on a loaded machine) is not what the deadline times
    from oci_openai_patch import CredentialsError, OciInstancePrincipalAuth
    started = time.monotonic()
    try:
        OciInstancePrincipalAuth(timeout=2)
    except CredentialsError as error:
        print(json.dumps([str(error), time.monotonic() - started]))
    """
    out = run_program(code, clean_env(OCI_METADATA_BASE_URL=f"http://{unresolvable}/opc/v2"))
    message, elapsed = json.loads(out.strip().splitlines()[-1])
    assert elapsed < 10 and "\n" not in message
    assert f"DNS lookup of {unresolvable} failed (Name or service not known)" in message
    assert "check the host name and this machine's DNS" in message


def test_an_http_error_is_named_with_ocis_error_code(oci_proxymux: FakeProxymux) -> None:
    oci_proxymux.fail_next(500, count=1000)  # the SDK retries a 500 until our deadline
    message = _failure(lambda: OciWorkloadIdentityAuth(timeout=1))
    assert "gave no token within 1 s" in message
    assert "/resourcePrincipalSessionTokens: HTTP 500 InjectedFailure: injected 500" in message


def test_a_refusal_the_sdk_gives_up_on_carries_the_url_and_the_advice(oci_instance_identity) -> None:  # type: ignore[no-untyped-def]
    oci_instance_identity.fail_next(401, count=10)
    message = _failure(lambda: OciInstancePrincipalAuth(timeout=10))
    assert message.startswith("instance_principal: could not obtain an OCI security token")
    assert f"{oci_instance_identity.federation_endpoint}: HTTP 401 InjectedFailure: injected 401" in message
    assert "check that a dynamic group matches this instance" in message


def test_only_a_silent_endpoint_did_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        metadata = f"http://127.0.0.1:{listener.getsockname()[1]}/opc/v2"
        monkeypatch.setenv("OCI_METADATA_BASE_URL", metadata)
        message = _failure(lambda: OciInstancePrincipalAuth(timeout=1))
    assert message.startswith(f"instance metadata ({metadata})")
    assert "did not answer within 1 s" in message and "last attempt" not in message


def test_the_transport_failure_is_found_under_the_wrappers() -> None:
    verification = ssl.SSLCertVerificationError(1, "certificate verify failed")
    verification.verify_message = "Missing Authority Key Identifier"
    wrapped = ConnectionError("HTTPSConnectionPool: Max retries exceeded")
    wrapped.__context__ = OSError("urllib3 SSLError")
    wrapped.__context__.__cause__ = verification
    assert classify("https://h/p", wrapped) == FetchFailure(
        "https://h/p", "tls", "TLS certificate verification failed (Missing Authority Key Identifier)"
    )
    reason_holder = RuntimeError("MaxRetryError")
    reason_holder.reason = ConnectionRefusedError(111, "Connection refused")  # type: ignore[attr-defined]
    assert classify("http://h/p", reason_holder).kind == "refused"
    assert classify("http://h/p", RuntimeError("token ST$abc")).reason == "RuntimeError"


def test_the_test_certificates_pass_strict_verification(tmp_path: Path) -> None:
    """Python 3.13 verifies with VERIFY_X509_STRICT by default; every Python does here."""
    authority = TestCertificateAuthority()
    server_context = authority.server_context(tmp_path, "127.0.0.1")
    client_context = ssl.create_default_context(cafile=str(authority.write_certificate(tmp_path / "ca.pem")))
    client_context.verify_flags |= ssl.VERIFY_X509_STRICT
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        server_side, _ = listener.accept()
        with server_side, client:
            server_side.setblocking(False)
            tls_client = client_context.wrap_socket(client, server_hostname="127.0.0.1", do_handshake_on_connect=False)
            tls_server = server_context.wrap_socket(server_side, server_side=True, do_handshake_on_connect=False)
            tls_client.setblocking(False)
            done = {"client": False, "server": False}
            deadline = time.monotonic() + 5
            while not all(done.values()) and time.monotonic() < deadline:
                for name, side in (("client", tls_client), ("server", tls_server)):
                    if done[name]:
                        continue
                    try:
                        side.do_handshake()
                        done[name] = True
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        time.sleep(0.001)
            assert all(done.values())
            assert tls_client.getpeercert()["subject"] == ((("commonName", "127.0.0.1"),),)
