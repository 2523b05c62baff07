"""Behaviours the mutation run on the folder layout found unasserted: each test pins one.

They are the survivors of ``make mutate`` that a user could tell apart: the fix each
workload-identity failure names, the principal kind and token source that head an SDK
failure, the cause a reload is logged with, the region of a session profile, a host
decision for a URL, an async streamed body, basic auth kept on a foreign hop, the
argument an invalid header list is reported under, the model-deployment path rewrite
that must not parse the URL again, and the delegation-token file read only when it
changes. The survivors that no test can tell apart are listed, with the reason, in
``docs/mutation.md``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from oci_openai_patch import ConfigurationError, CredentialsError, OciUserPrincipalAuth, OciWorkloadIdentityAuth
from oci_openai_patch.credentials import SessionCredentials, resource_principal
from oci_openai_patch.credentials.delegation import SLOW_CHECK, DelegationToken
from oci_openai_patch.signature.signing import signed_header_policy
from oci_openai_patch.testing import FakeProxymux, OciTestEndpoint, SignatureVerifier, make_session_profile
from oci_openai_patch.testing.identity import PROXYMUX_PORT
from oci_openai_patch.testing.ports import ExclusivePort
from oci_openai_patch.testing.tls import TestCertificateAuthority
from oci_openai_patch.transport.request_rewrite import _with_target
from oci_openai_patch.trust.hosts import HostPattern, HostPolicy

# -- OKE workload identity: each failure comes with the fix in the pod's own settings ----

TLS_FIX = (
    "set OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH to the cluster's CA bundle "
    "(default /var/run/secrets/kubernetes.io/serviceaccount/ca.crt)"
)
REFUSED_FIX = (
    "nothing listens there; check KUBERNETES_SERVICE_HOST and that the cluster is an enhanced OKE cluster "
    "with workload identity"
)
HTTP_FIX = "the proxymux refused the service account; check its token file and the policy that names this workload"


def _fails_with_fix(fix: str) -> None:
    """Building the auth fails with ``fix`` closing its message (the SDK's retries end at
    the deadline, "... the last attempt failed: <why>; <fix>"; a failure it does not
    retry is "workload_identity: could not obtain ... (<why>; <fix>)")."""
    with pytest.raises(CredentialsError) as caught:
        OciWorkloadIdentityAuth(timeout=3)
    assert str(caught.value).endswith(("; " + fix, "; " + fix + ")")), str(caught.value)


def test_a_proxymux_with_an_unknown_certificate_names_the_ca_setting(
    oci_proxymux: FakeProxymux, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_ca = TestCertificateAuthority("not the cluster's CA").write_certificate(tmp_path / "other-ca.crt")
    monkeypatch.setenv("OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH", str(other_ca))
    _fails_with_fix(TLS_FIX)


def test_a_proxymux_that_refuses_the_service_account_names_its_token_and_policy(oci_proxymux: FakeProxymux) -> None:
    oci_proxymux.fail_next(401, count=20)
    _fails_with_fix(HTTP_FIX)


def test_no_proxymux_listening_names_the_service_host(
    oci_endpoint: OciTestEndpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "sa-token"
    token.write_text(oci_endpoint.issuer.issue_claims(3600.0, sub="system:serviceaccount:default:app"), "utf-8")
    ca = TestCertificateAuthority("cluster CA").write_certificate(tmp_path / "ca.crt")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH", str(ca))
    monkeypatch.setenv("OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH", str(token))
    with ExclusivePort(PROXYMUX_PORT, "the OKE workload-identity tests"):  # no other test's proxymux listens
        _fails_with_fix(REFUSED_FIX)


def test_workload_identity_outside_a_pod_says_so_and_without_a_token_setting_uses_the_sdks_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigurationError) as caught:
        OciWorkloadIdentityAuth()
    assert str(caught.value) == "KUBERNETES_SERVICE_HOST is not set; workload identity auth runs in an OKE pod"
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.delenv("OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH", raising=False)
    # No path of ours: the SDK's own default (the pod's mounted token, absent here) is
    # what fails, as a token failure, not a setting of ours.
    with pytest.raises(CredentialsError) as caught:
        OciWorkloadIdentityAuth(timeout=3)
    assert str(caught.value).startswith(
        "workload_identity: could not obtain an OCI security token from the OKE proxymux"
    )


# -- resource principal through the SDK ------------------------------------------------


def test_an_sdk_resource_principal_failure_names_the_kind_and_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "9.9")  # refused by the SDK, no network
    with pytest.raises(CredentialsError) as caught:
        resource_principal(timeout=5)
    assert str(caught.value).startswith(
        "resource_principal: could not obtain an OCI security token from the resource principal 9.9 token source ("
    )

    async def built_on_a_loop() -> object:  # no fetch on a loop: the provider is returned
        return resource_principal(timeout=5)

    credentials = asyncio.run(built_on_a_loop())
    assert (credentials.kind, credentials.timeout) == ("resource_principal", 5.0)  # type: ignore[attr-defined]


# -- reloads are logged with their cause -------------------------------------------------


def test_reloads_are_logged_with_their_cause(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    profile = make_session_profile(tmp_path, SignatureVerifier(), ttl=3600.0)
    caplog.set_level(logging.DEBUG, logger="oci_openai_patch")
    credentials = SessionCredentials(config_file=profile.config_file)
    credentials._key = None  # as a provider built on an event loop: nothing loaded yet
    first = credentials.get()
    credentials.invalidate()
    credentials.get()
    credentials.refresh(credentials.get())
    credentials._key = type(first)(first.key_id, first.private_key, first.expires_at, refresh_at=1.0)
    credentials.get()
    loads = [(r.levelname, r.args[1]) for r in caplog.records if "credentials loaded" in r.getMessage()]  # type: ignore[index]
    # The first load is routine (debug); a reload is worth a line at info.
    assert loads == [("DEBUG", "first use"), ("INFO", "invalidate()"), ("INFO", "401"), ("INFO", "expiry")]


def test_a_401_stamped_at_the_reloads_own_instant_is_answered_by_it(tmp_path: Path) -> None:
    profile = make_session_profile(tmp_path, SignatureVerifier())
    credentials = SessionCredentials(config_file=profile.config_file)
    first = credentials.get()
    second = credentials.refresh(first)
    assert credentials.refresh(first, second.loaded_at) is second


def test_a_session_profiles_region_is_read_with_where_it_came_from(tmp_path: Path) -> None:
    profile = make_session_profile(tmp_path, SignatureVerifier())
    config = Path(profile.config_file)
    lines = [line for line in config.read_text(encoding="utf-8").splitlines() if not line.startswith("region")]
    config.write_text("\n".join([*lines, "region = eu-frankfurt-1", ""]), encoding="utf-8")
    region = SessionCredentials(config_file=str(config)).region()
    assert region == ("eu-frankfurt-1", f"profile [DEFAULT] of {config}")


# -- hosts, paths, bodies and foreign hops ---------------------------------------------


@pytest.mark.parametrize(
    ("url", "signed"),
    [
        ("https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1", True),
        ("http://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1", False),
        ("https://api.openai.com/v1", False),
        ("http://127.0.0.1:8123/openai/v1", True),
        ("http://127.0.0.1:8124/openai/v1", False),
        ("https:///openai/v1", False),
        ("/openai/v1", False),
    ],
)
def test_a_base_urls_host_decision(url: str, signed: bool) -> None:
    policy = HostPolicy(extra=(HostPattern.parse("127.0.0.1:8123"),))
    assert policy.allows_url(url) is signed


def test_a_deployment_path_is_replaced_without_parsing_the_url_again(monkeypatch: pytest.MonkeyPatch) -> None:
    url = httpx.URL("https://modeldeployment.us-ashburn-1.oci.customer-oci.com/ocid1.x/predict/v1/chat?api-version=2")

    def parses_again(self: httpx.URL, **kwargs: object) -> httpx.URL:
        raise AssertionError("copy_with parses the whole URL again")

    monkeypatch.setattr(httpx.URL, "copy_with", parses_again)
    moved = _with_target(url, b"/ocid1.x/predictWithResponseStream?api-version=2")
    assert moved.raw_path == b"/ocid1.x/predictWithResponseStream?api-version=2"
    assert (moved.host, moved.path, moved.query) == (url.host, "/ocid1.x/predictWithResponseStream", b"api-version=2")


@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_streamed_body_is_read_then_signed_and_sent_with_its_length(
    driver: str, oci_endpoint: OciTestEndpoint, oci_api_key_profile: object, compartment_id: str
) -> None:
    parts = (b'{"model": "m", ', b'"input": "streamed"}')
    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file, hosts=[oci_endpoint.host])  # type: ignore[attr-defined]
    url = f"{oci_endpoint.base_url}/embeddings"
    headers = {"content-type": "application/json", "CompartmentId": compartment_id}

    def body() -> Iterator[bytes]:
        yield from parts

    async def async_body() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    async def send_async() -> int:
        async with httpx.AsyncClient(auth=auth) as client:
            return (await client.post(url, content=async_body(), headers=headers)).status_code

    if driver == "sync":
        with httpx.Client(auth=auth) as client:
            status = client.post(url, content=body(), headers=headers).status_code
    else:
        status = asyncio.run(send_async())
    (seen,) = oci_endpoint.requests
    assert status == 200, seen.reason
    assert seen.verified and seen.body == b"".join(parts)
    assert seen.headers["content-length"] == str(len(b"".join(parts))) and "transfer-encoding" not in seen.headers


def test_a_foreign_hop_with_user_and_password_in_its_url_gets_basic_auth(tmp_path: Path) -> None:
    from oci_openai_patch.testing import make_api_key_profile

    profile = make_api_key_profile(tmp_path, SignatureVerifier())
    seen: list[httpx.Request] = []

    def foreign(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    auth = OciUserPrincipalAuth(config_file=profile.config_file)
    with httpx.Client(auth=auth, transport=httpx.MockTransport(foreign)) as client:
        client.get("https://user:pass@api.example.com/v1/models")
    expected = "Basic " + base64.b64encode(b"user:pass").decode()
    assert seen[0].headers["authorization"] == expected


def test_an_invalid_header_list_is_reported_under_its_own_argument() -> None:
    with pytest.raises(ConfigurationError) as caught:
        signed_header_policy(None, ["host"])
    assert str(caught.value).startswith("body_headers=['host'] must list each header once and include ")
    twice = ["date", "(request-target)", "host", "date"]
    with pytest.raises(ConfigurationError, match=r"^generic_headers=\[.*\] must list each header once"):
        signed_header_policy(twice, None)


# -- the delegation token file -----------------------------------------------------------


def test_the_delegation_token_file_is_read_again_only_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "delegation_token"
    path.write_text("token-one", encoding="utf-8")
    path.chmod(0o600)  # as Cloud Shell keeps it: no warning about its mode
    token = DelegationToken(path=str(path))
    assert token.value() == "token-one"
    stamp = os.stat(path)
    path.write_text("token-two", encoding="utf-8")  # same size; its time put back: unchanged to a stat
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert token.value() == "token-one"
    path.write_text("token-three", encoding="utf-8")
    assert token.value() == "token-three"


def test_a_given_delegation_token_starts_no_file_check_on_a_loop() -> None:
    token = DelegationToken(value="given-token")
    token._checked = time.monotonic() - 3600  # long past the recheck interval
    assert token.on_loop() == "given-token"
    assert token._check_started == 0.0  # no check was started (it would have stamped its start)


def test_a_slow_file_check_is_reported_once_after_its_time(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "delegation_token"
    path.write_text("token-one", encoding="utf-8")
    path.chmod(0o600)  # as Cloud Shell keeps it: no warning about its mode
    token = DelegationToken(path=str(path))
    token.value()
    token._checking_in, token._check_started = os.getpid(), time.monotonic()  # a check under way, just begun
    caplog.set_level(logging.WARNING, logger="oci_openai_patch")
    assert token.on_loop() == "token-one"
    assert not [r for r in caplog.records if "has not returned" in r.getMessage()]
    token._check_started = time.monotonic() - SLOW_CHECK - 1
    token.on_loop()
    token.on_loop()
    assert len([r for r in caplog.records if "has not returned" in r.getMessage()]) == 1


# -- the SDK-backed principals ----------------------------------------------------------


def test_an_abandoned_token_fetch_runs_in_a_named_daemon_thread(oci_instance_identity: object) -> None:
    import threading

    from oci_openai_patch import OciInstancePrincipalAuth

    oci_instance_identity.delay = 3.0  # type: ignore[attr-defined]
    with pytest.raises(CredentialsError):
        OciInstancePrincipalAuth(timeout=0.5)
    # The worker still waits on the slow federation: it must not keep the interpreter from exiting.
    workers = [thread for thread in threading.enumerate() if thread.name == "oci-openai-patch-token"]
    assert workers and all(thread.daemon for thread in workers)


def test_an_sdk_principals_key_expires_with_its_token(oci_instance_identity: object) -> None:
    from oci_openai_patch.credentials import instance_principal
    from oci_openai_patch.oci_config import jwt_expiry

    key = instance_principal(timeout=10).get()
    assert key.key_id.startswith("ST$")
    assert key.expires_at is not None and key.expires_at == jwt_expiry(key.key_id[3:])


def test_instance_principal_failures_name_the_metadata_and_federation_they_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import oci.auth.signers

    from oci_openai_patch.credentials import instance_principal

    async def built_on_a_loop(**kwargs: object) -> object:  # no fetch on a loop: nothing contacted
        return instance_principal(timeout=5, **kwargs)

    def never_built(**kwargs: object) -> object:
        raise AssertionError("a signer was built: with OCI_METADATA_BASE_URL unset it would call the real metadata")

    # The metadata variable is unset to read the default address off the source: the SDK's
    # signers are replaced so that no path can reach 169.254.169.254, not even a regression.
    for name in ("InstancePrincipalsSecurityTokenSigner", "InstancePrincipalsDelegationTokenSigner"):
        monkeypatch.setattr(oci.auth.signers, name, never_built)
    monkeypatch.delenv("OCI_METADATA_BASE_URL", raising=False)
    monkeypatch.delenv("OCI_OPENAI_FEDERATION_ENDPOINT", raising=False)
    credentials = asyncio.run(built_on_a_loop())
    assert credentials._source() == (  # type: ignore[attr-defined]
        "instance metadata (http://169.254.169.254/opc/v2) or the region's federation endpoint"
    )
    delegated = asyncio.run(built_on_a_loop(delegation_token=DelegationToken(value="delegation")))
    assert (credentials.kind, delegated.kind) == ("instance_principal", "delegation_token")  # type: ignore[attr-defined]


def test_token_principal_auths_keep_their_refresh_interval_and_routing(
    oci_resource_principal: object,
) -> None:
    from oci_openai_patch import OciResourcePrincipalAuth

    auth = OciResourcePrincipalAuth(refresh_interval=0.5, deployment_routing="header")
    assert auth.deployment_routing == "header"
    assert auth.credentials.current() is not None
    time.sleep(0.6)
    assert auth.credentials.current() is None  # older than refresh_interval: reloaded before use


def test_an_api_key_profiles_region_and_a_profile_without_one(tmp_path: Path) -> None:
    from oci_openai_patch.credentials import ApiKeyCredentials
    from oci_openai_patch.testing import make_api_key_profile

    profile = make_api_key_profile(tmp_path, SignatureVerifier())
    config = Path(profile.config_file)
    lines = [line for line in config.read_text(encoding="utf-8").splitlines() if not line.startswith("region")]
    config.write_text("\n".join([*lines, ""]), encoding="utf-8")
    assert ApiKeyCredentials(config_file=str(config)).region() is None
    config.write_text("\n".join([*lines, "region = ap-tokyo-1", ""]), encoding="utf-8")
    assert ApiKeyCredentials(config_file=str(config)).region() == ("ap-tokyo-1", f"profile [DEFAULT] of {config}")


# -- headers, host entries and identity-service errors --------------------------------


def test_the_control_plane_gets_the_compartment_under_one_name_only() -> None:
    from oci_openai_patch.transport.request_headers import oci_headers

    assert oci_headers("ocid1.compartment.oc1..c", None, plane="control") == {
        "opc-compartment-id": "ocid1.compartment.oc1..c"
    }
    assert oci_headers("ocid1.compartment.oc1..c", None, plane="data") == {
        "CompartmentId": "ocid1.compartment.oc1..c",
        "opc-compartment-id": "ocid1.compartment.oc1..c",
    }


def test_a_host_entry_with_user_information_is_echoed_without_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        HostPattern.parse("admin:hunter2@bad host@example.com")
    message = str(caught.value)
    assert "hunter2" not in message and "admin" not in message
    assert "'***@example.com' is not a host" in message


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"code": "NotAuthenticated", "message": "token expired"}', "HTTP 401 NotAuthenticated: token expired"),
        (b'{"message": "token expired"}', "HTTP 401: token expired"),
        (b'{"code": "NotAuthenticated"}', "HTTP 401 NotAuthenticated"),
        (b"{}", "HTTP 401"),
        (b"<html>proxy error</html>", "HTTP 401"),
        (None, "HTTP 401"),
    ],
)
def test_an_identity_services_refusal_is_reported_from_its_error_document(body: bytes | None, reason: str) -> None:
    from oci_openai_patch.credentials.fetch_failures import _http_reason

    class Response:
        @property
        def content(self) -> bytes:
            if body is None:
                raise RuntimeError("the body was already consumed")
            return body

    assert _http_reason(401, Response()) == reason
