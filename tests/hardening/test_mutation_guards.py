"""Behaviours that mutation testing found unasserted: each test pins one of them.

The mutants that survived the suite before these tests existed (``make mutate``) were
changes no test noticed: a caller's content-type overwritten, the date format, a missing
content-length, a caller's digest replaced, a token without ``exp``, ``invalidate()``,
verdict caches shared between views, the caller's delegate dropped, the secret filter of
SDK error messages.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from libraries import LIBRARIES

from oci_openai_patch import OciAuth
from oci_openai_patch.credentials import (
    ApiKeyCredentials,
    SessionCredentials,
    SigningKey,
    refresh_time,
)
from oci_openai_patch.credentials.fetch_failures import safe_line as _safe_line
from oci_openai_patch.credentials.sdk_signer import _describe
from oci_openai_patch.signature.signing import http_date, sign_request
from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile, make_session_profile

OCI_URL = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/files"
FOREIGN_URL = "https://api.example.com/v1/files"


@pytest.fixture(scope="module")
def key_and_auth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, OciAuth]:
    profile = make_api_key_profile(tmp_path_factory.mktemp("guards"), SignatureVerifier())
    credentials = ApiKeyCredentials(config_file=profile.config_file)
    return profile.private_key, OciAuth(credentials)


def _sign(key: Any, method: str, headers: dict[str, str], body: bytes = b"{}") -> dict[str, str]:
    return sign_request(
        method=method,
        target="/openai/v1/files",
        host="inference.generativeai.us-chicago-1.oci.oraclecloud.com",
        headers=headers,
        body=body,
        key_id="t/u/f",
        private_key=key,
    )


def test_date_is_an_imf_fixdate_of_now() -> None:
    text = http_date()
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", text), text
    parsed = time.mktime(time.strptime(text, "%a, %d %b %Y %H:%M:%S GMT")) - time.timezone
    assert abs(parsed - time.time()) < 5


def test_the_date_is_the_second_the_clock_reads_and_is_made_once_per_second(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from oci_openai_patch.signature import signing

    clock = [1_000_000_000.25]
    # The signing module's clock only: the date must be made from the second it read, not
    # from another reading of the real clock (which is what formatdate() without a time does).
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: clock[0]))
    monkeypatch.setattr(signing, "_last_date", (0, ""))
    assert http_date() == "Sun, 09 Sep 2001 01:46:40 GMT"
    clock[0] = 1_000_000_000.75
    assert http_date() == "Sun, 09 Sep 2001 01:46:40 GMT" and signing._last_date[0] == 1_000_000_000
    clock[0] = 1_000_000_061.0
    assert http_date() == "Sun, 09 Sep 2001 01:47:41 GMT"


def test_post_without_content_length_gets_it_and_the_digest(key_and_auth: tuple[Any, OciAuth]) -> None:
    added = _sign(key_and_auth[0], "POST", {}, b"hello")
    assert added["content-length"] == "5"
    assert added["x-content-sha256"] == base64.b64encode(hashlib.sha256(b"hello").digest()).decode()
    assert added["content-type"] == "application/json"
    assert (
        'headers="date (request-target) host content-length content-type x-content-sha256"' in (added["authorization"])
    )


def test_callers_body_headers_are_kept(key_and_auth: tuple[Any, OciAuth]) -> None:
    given = {
        "content-type": "multipart/form-data; boundary=xyz",
        "content-length": "7",
        "x-content-sha256": "caller-digest",
        "date": "Thu, 01 Jan 2026 00:00:00 GMT",
    }
    added = _sign(key_and_auth[0], "POST", given, b"ignored")
    assert set(added) == {"authorization"}


def test_get_signs_three_headers_only(key_and_auth: tuple[Any, OciAuth]) -> None:
    added = _sign(key_and_auth[0], "GET", {})
    assert set(added) == {"date", "authorization"}
    assert 'headers="date (request-target) host"' in added["authorization"]


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_multipart_content_type_survives_the_auth(library_name: str, key_and_auth: tuple[Any, OciAuth]) -> None:
    library = importlib.import_module(library_name)
    seen: list[Any] = []

    def record(request: Any) -> Any:
        seen.append(request)
        return library.Response(200, json={})

    with library.Client(transport=library.MockTransport(record), auth=key_and_auth[1]) as client:
        client.post(OCI_URL, files={"file": ("a.jsonl", b"{}\n")}, data={"purpose": "batch"})
    headers = seen[0].headers
    assert headers["content-type"].startswith("multipart/form-data; boundary=")
    assert headers["content-length"] == str(len(seen[0].content))
    assert headers["authorization"].startswith("Signature ")


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_views_do_not_share_verdicts_and_delegate_handles_foreign(
    library_name: str, key_and_auth: tuple[Any, OciAuth]
) -> None:
    library = importlib.import_module(library_name)
    auth = key_and_auth[1]
    view = auth.trusting(["api.example.com"])
    assert view.signs(library.URL(FOREIGN_URL))
    assert not auth.signs(library.URL(FOREIGN_URL))  # the view's verdict is the view's alone
    delegated = auth.for_http_client(library.Client(), delegate=library.BasicAuth("me", "pw"))
    seen: list[Any] = []

    def record(request: Any) -> Any:
        seen.append(request)
        return library.Response(200, json={})

    with library.Client(transport=library.MockTransport(record), auth=delegated) as client:
        client.get(FOREIGN_URL)
    assert seen[0].headers["authorization"] == "Basic " + base64.b64encode(b"me:pw").decode()


def test_token_without_expiry_never_goes_stale(tmp_path: Path) -> None:
    verifier = SignatureVerifier()
    profile = make_session_profile(tmp_path, verifier)
    token = verifier.issuer.issue_claims(ttl=3600)
    header, claims, signature = token.split(".")
    payload = base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))
    stripped = re.sub(rb'"exp": ?[0-9.]+, ?', b"", payload)
    assert b"exp" not in stripped
    claims = base64.urlsafe_b64encode(stripped).decode().rstrip("=")
    Path(profile.token_file).write_text(f"{header}.{claims}.{signature}", encoding="utf-8")
    credentials = SessionCredentials(config_file=profile.config_file)
    key = credentials.get()
    assert key.expires_at is None and key.refresh_at is None and not key.is_stale()
    assert refresh_time(None) is None


def test_invalidate_makes_the_next_get_reload(tmp_path: Path) -> None:
    profile = make_api_key_profile(tmp_path, SignatureVerifier())
    credentials = ApiKeyCredentials(config_file=profile.config_file)
    first = credentials.get()
    assert credentials.current() is first
    credentials.invalidate()
    assert credentials.current() is None and credentials.needs_reload()
    second = credentials.get()
    assert second is not first and second.key_id == first.key_id
    assert credentials.current() is second


def test_refresh_margin_is_half_the_life_of_short_tokens() -> None:
    now = 1_000_000.0
    assert refresh_time(now + 10, now) == now + 5
    assert refresh_time(now + 3600, now) == now + 3600 - 300
    assert SigningKey("k", None, now + 10, now + 5).is_stale(now + 5)  # type: ignore[arg-type]
    assert not SigningKey("k", None, now + 10, now + 5).is_stale(now + 4.9)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "message",
    ["keyId=ST$eyJhbGciOi...", "-----BEGIN RSA PRIVATE KEY-----", "Authorization: Bearer sk-123", "x" * 201],
)
def test_sdk_error_lines_that_may_hold_secrets_are_dropped(message: str) -> None:
    assert _safe_line(message) == ""
    assert _describe(RuntimeError(message)) == "RuntimeError"


def test_sdk_service_errors_keep_status_code_and_message() -> None:
    class ServiceError(Exception):
        status = 401
        code = "NotAuthenticated"
        message = "The required information to complete authentication was not provided"

    assert _describe(ServiceError()) == (
        "HTTP 401 NotAuthenticated: The required information to complete authentication was not provided"
    )
    assert _safe_line("first line\nsecond") == "first line"


def _snapshot(library: Any, request: Any) -> Any:
    return library.Request(request.method, request.url, headers=request.headers.copy(), content=request.content)


def _through(library: Any, auth: OciAuth, method: str, url: str, replies: list[int], **kwargs: Any) -> list[Any]:
    """Send one request through a client carrying ``auth``; the transport answers with the
    statuses in ``replies`` in turn and records every request it is handed."""
    seen: list[Any] = []

    def record(request: Any) -> Any:
        seen.append(_snapshot(library, request))  # a retry re-sends the same object, changed
        return library.Response(replies[min(len(seen), len(replies)) - 1], json={})

    with library.Client(transport=library.MockTransport(record), auth=auth) as client:
        client.request(method, url, **kwargs)
    return seen


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_model_map_rewrites_json_bodies_bound_for_oci_only(
    library_name: str, key_and_auth: tuple[Any, OciAuth]
) -> None:
    library = importlib.import_module(library_name)
    auth = OciAuth(key_and_auth[1].credentials, model_map={"gpt-4o": "openai.gpt-oss-120b"})
    chat = OCI_URL.replace("/files", "/chat/completions")
    (mapped,) = _through(library, auth, "POST", chat, [200], json={"model": "gpt-4o", "n": 1})
    assert json.loads(mapped.content) == {"model": "openai.gpt-oss-120b", "n": 1}
    assert mapped.headers["content-length"] == str(len(mapped.content))
    assert mapped.headers["x-content-sha256"] == base64.b64encode(hashlib.sha256(mapped.content).digest()).decode()
    (other,) = _through(library, auth, "POST", chat, [200], json={"model": "other"})
    assert json.loads(other.content) == {"model": "other"}
    (text,) = _through(library, auth, "POST", chat, [200], content=b'{"model": "gpt-4o"}')  # no json type
    assert text.content == b'{"model": "gpt-4o"}'
    (foreign,) = _through(library, auth, "POST", FOREIGN_URL, [200], json={"model": "gpt-4o"})
    assert json.loads(foreign.content) == {"model": "gpt-4o"}
    (broken,) = _through(
        library, auth, "POST", chat, [200], content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.content == b"{not json" and broken.headers["authorization"].startswith("Signature ")
    (listing,) = _through(library, auth, "POST", chat, [200], json=["gpt-4o"])
    assert json.loads(listing.content) == ["gpt-4o"]


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_oci_only_headers_and_placeholder_key_are_stripped_from_foreign_requests(
    library_name: str, key_and_auth: tuple[Any, OciAuth]
) -> None:
    library = importlib.import_module(library_name)
    headers = {
        "CompartmentId": "ocid1.compartment.oc1..a",
        "opc-compartment-id": "ocid1.compartment.oc1..a",
        "opc-conversation-store-id": "ocid1.store.oc1..b",
        "authorization": "Bearer oci-iam-request-signing",
        "x-team": "blue",
    }
    (placeholder,) = _through(library, key_and_auth[1], "GET", FOREIGN_URL, [200], headers=headers)
    assert {k.lower() for k in placeholder.headers} & {
        "compartmentid",
        "opc-compartment-id",
        "opc-conversation-store-id",
        "authorization",
    } == set()
    assert placeholder.headers["x-team"] == "blue"
    (own,) = _through(library, key_and_auth[1], "GET", FOREIGN_URL, [200], headers={"authorization": "Bearer sk-own"})
    assert own.headers["authorization"] == "Bearer sk-own"
    (signed,) = _through(library, key_and_auth[1], "GET", OCI_URL, [200], headers=headers)
    assert signed.headers["opc-compartment-id"] == "ocid1.compartment.oc1..a"


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_first_signature_keeps_the_callers_date_and_a_retry_gets_a_fresh_one(
    library_name: str, key_and_auth: tuple[Any, OciAuth]
) -> None:
    library = importlib.import_module(library_name)
    stale = "Thu, 01 Jan 2026 00:00:00 GMT"
    first, retry = _through(library, key_and_auth[1], "GET", OCI_URL, [401, 200], headers={"date": stale})
    assert first.headers["date"] == stale
    assert retry.headers["date"] != stale and retry.headers["date"] == http_date()
    assert retry.headers["authorization"] != first.headers["authorization"]


def _spied_refresh(tmp_path: Path) -> tuple[ApiKeyCredentials, list[tuple[Any, Any]]]:
    """API-key credentials whose ``refresh`` calls are recorded as (seen, refused_at)."""
    profile = make_api_key_profile(tmp_path, SignatureVerifier())
    credentials = ApiKeyCredentials(config_file=profile.config_file)
    calls: list[tuple[Any, Any]] = []
    original = credentials.refresh

    def refresh(seen: Any, refused_at: Any = None) -> Any:
        calls.append((seen, refused_at))
        return original(seen, refused_at)

    credentials.refresh = refresh  # type: ignore[method-assign]
    return credentials, calls


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_a_401_refreshes_with_the_key_that_was_refused(library_name: str, tmp_path: Path) -> None:
    library = importlib.import_module(library_name)
    credentials, calls = _spied_refresh(tmp_path)
    used = credentials.get()
    before = time.monotonic()
    _through(library, OciAuth(credentials), "GET", OCI_URL, [401, 200])
    assert len(calls) == 1 and calls[0][0] is used
    assert isinstance(calls[0][1], float) and before <= calls[0][1] <= time.monotonic()
    assert OciAuth(credentials, retry_on_401=False) is not None
    calls.clear()
    seen = _through(library, OciAuth(credentials, retry_on_401=False), "GET", OCI_URL, [401, 200])
    assert len(seen) == 1 and calls == []


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_async_flow_refreshes_with_the_refused_key_and_delegates_foreign(library_name: str, tmp_path: Path) -> None:
    library = importlib.import_module(library_name)
    credentials, calls = _spied_refresh(tmp_path)
    used = credentials.get()
    seen: list[Any] = []
    replies = [401, 200, 200]

    async def handler(request: Any) -> Any:
        seen.append(_snapshot(library, request))
        return library.Response(replies[len(seen) - 1], json={})

    auth = OciAuth(credentials).for_http_client(library.AsyncClient(), delegate=library.BasicAuth("me", "pw"))
    stale = "Thu, 01 Jan 2026 00:00:00 GMT"

    async def main() -> None:
        async with library.AsyncClient(transport=library.MockTransport(handler), auth=auth) as client:
            await client.get(OCI_URL, headers={"date": stale})
            await client.get(FOREIGN_URL)

    import asyncio

    asyncio.run(main())
    assert len(calls) == 1 and calls[0][0] is used and isinstance(calls[0][1], float)
    assert seen[0].headers["date"] == stale and seen[1].headers["date"] != stale
    assert seen[2].headers["authorization"] == "Basic " + base64.b64encode(b"me:pw").decode()


def test_host_entries_are_normalised_and_strictly_parsed() -> None:
    from oci_openai_patch.errors import ConfigurationError
    from oci_openai_patch.trust.hosts import HostPattern, url_host_pattern

    assert HostPattern.parse("GateWay.Example.COM").matches("gateway.example.com", None)
    assert HostPattern.parse("x.example.com:1").port == 1
    ipv6 = HostPattern.parse("[::1]:8443")
    assert ipv6.matches("::1", 8443) and not ipv6.matches("::1", 80)
    for bad in ("x.example.com/path", "[::1]]", "[::1]x80", "[::1]:a8", "[::1"):
        with pytest.raises(ConfigurationError, match="OCI_OPENAI_HOSTS"):
            HostPattern.parse(bad)
    assert url_host_pattern("HTTPS://My.Host.Example.com./v1") == HostPattern("my.host.example.com", 443)
    assert url_host_pattern("http://127.0.0.1/v1") == HostPattern("127.0.0.1", 80)
    assert url_host_pattern("/relative") is None


def test_unknown_api_lists_the_known_ones() -> None:
    from oci_openai_patch.errors import ConfigurationError
    from oci_openai_patch.trust.hosts import region_base_url

    with pytest.raises(ConfigurationError, match=r"api 'bogus' is not one of actions, control, openai$"):
        region_base_url("us-chicago-1", "bogus")


def test_each_reload_logs_its_cause_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    verifier = SignatureVerifier()
    profile = make_session_profile(tmp_path, verifier, ttl=3600)
    credentials = SessionCredentials(config_file=profile.config_file)
    caplog.set_level(logging.DEBUG, logger="oci_openai_patch")
    first = credentials.get()
    assert caplog.records == []  # fresh: nothing loaded, nothing logged
    credentials.invalidate()
    second = credentials.get()
    credentials._key = dataclasses.replace(second, refresh_at=time.time() - 1)  # due by the clock
    third = credentials.get()
    fourth = credentials.refresh(third, time.monotonic())
    again = credentials.get()
    causes = [re.sub(r" in \d+ ms$", "", r.getMessage()) for r in caplog.records]
    assert causes == [
        "session credentials loaded (cause: invalidate())",
        "session credentials loaded (cause: expiry)",
        "session credentials loaded (cause: 401)",
    ]
    assert all(r.levelno == logging.INFO for r in caplog.records)
    assert len({id(k) for k in (first, second, third, fourth)}) == 4 and again is fourth


def test_a_refresh_after_a_newer_load_returns_it_without_loading(tmp_path: Path) -> None:
    profile = make_session_profile(tmp_path, SignatureVerifier())
    credentials = SessionCredentials(config_file=profile.config_file)
    old = credentials.get()
    refused_at = time.monotonic()
    newer = credentials.refresh(old, refused_at)  # this caller reloads
    assert newer is not old
    # A second caller refused with the same old key before the reload: it gets the newer key.
    assert credentials.refresh(old, refused_at) is newer
    # A caller refused after the newer key was loaded: that key is bad too, load again.
    assert credentials.refresh(newer, time.monotonic()) is not newer


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_signature_covers_the_host_header_as_sent(library_name: str, tmp_path: Path) -> None:
    library = importlib.import_module(library_name)
    verifier = SignatureVerifier()
    profile = make_api_key_profile(tmp_path, verifier)
    auth = OciAuth(ApiKeyCredentials(config_file=profile.config_file))
    for headers in ({}, {"host": "inference.generativeai.us-chicago-1.oci.oraclecloud.com:8443"}):
        (sent,) = _through(library, auth, "POST", OCI_URL, [200], json={"a": 1}, headers=headers)
        lower = {k.lower(): v for k, v in sent.headers.items()}
        assert lower["host"] == (headers.get("host") or "inference.generativeai.us-chicago-1.oci.oraclecloud.com")
        verifier.verify("POST", "/openai/v1/files", lower, sent.content)


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_a_view_for_a_proxied_client_refuses_plain_http_even_off_its_call_stack(
    library_name: str, key_and_auth: tuple[Any, OciAuth], caplog: pytest.LogCaptureFixture
) -> None:
    from oci_openai_patch.errors import ConfigurationError

    library = importlib.import_module(library_name)
    auth = key_and_auth[1].trusting(["127.0.0.1:8080"])
    proxied = library.Client(proxy="http://127.0.0.1:3128")  # the view holds it weakly
    view = auth.for_http_client(proxied)
    request = library.Request("GET", "http://127.0.0.1:8080/v1/models")
    caplog.set_level(logging.INFO, logger="oci_openai_patch")
    with pytest.raises(ConfigurationError) as caught:
        next(view.sync_auth_flow(request))  # driven by hand: no client on the stack
    message = "refusing to sign http://127.0.0.1:8080: the request would go through the proxy http://127.0.0.1:3128"
    assert str(caught.value).startswith(message)
    assert [r.getMessage() for r in caplog.records] == [str(caught.value)]
    assert "authorization" not in request.headers
    plain = library.Client()
    direct = auth.for_http_client(plain)
    signed = next(direct.sync_auth_flow(library.Request("GET", "http://127.0.0.1:8080/v1/models")))
    assert signed.headers["authorization"].startswith("Signature ")


# -- resource principal 2.2, read directly ----------------------------------------------


def _rp_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in ("RPST", "PRIVATE_PEM", "PRIVATE_PEM_PASSPHRASE"):
        monkeypatch.delenv(f"OCI_RESOURCE_PRINCIPAL_{name}", raising=False)
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    for name, value in values.items():
        monkeypatch.setenv(f"OCI_RESOURCE_PRINCIPAL_{name}", value)


@pytest.mark.parametrize("inline", [False, True])
@pytest.mark.parametrize("phrase", [None, "s3cret phrase"])
def test_resource_principal_key_token_and_expiry(
    inline: bool, phrase: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oci_openai_patch.credentials import ResourcePrincipalV22Credentials, resource_principal
    from oci_openai_patch.oci_config import jwt_expiry
    from oci_openai_patch.testing.profiles import make_resource_principal_files, write_private_key

    files = make_resource_principal_files(tmp_path, SignatureVerifier())
    write_private_key(Path(files.key_file), files.private_key, phrase)
    values = {"RPST": files.token_file, "PRIVATE_PEM": files.key_file}
    if inline:
        values = {"RPST": files.token, "PRIVATE_PEM": Path(files.key_file).read_text()}
    if phrase:
        phrase_file = tmp_path / "phrase"
        phrase_file.write_text(phrase)
        phrase_file.chmod(0o600)
        values["PRIVATE_PEM_PASSPHRASE"] = phrase if inline else str(phrase_file)
    _rp_env(monkeypatch, **values)
    credentials = resource_principal()
    assert isinstance(credentials, ResourcePrincipalV22Credentials)
    key = credentials.get()
    assert key.key_id == "ST$" + files.token
    assert key.expires_at == jwt_expiry(files.token) and key.expires_at is not None
    assert key.refresh_at == key.expires_at - 300  # the margin, for a token of an hour
    assert key.private_key.public_key().public_numbers() == files.private_key.public_key().public_numbers()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no token", "OCI_RESOURCE_PRINCIPAL_RPST is not set; resource principal 2.2 needs"),
        ("no key", "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM is not set; resource principal 2.2 needs"),
        (
            "garbled inline",
            "the token in OCI_RESOURCE_PRINCIPAL_RPST is not a valid security token; check OCI_RESOURCE",
        ),
        ("garbled file", "the token in {dir}/bad-token is not a valid security token"),
        ("expired", "the token in {dir}/rpst has expired and was not renewed by the platform"),
        (
            "bad key inline",
            "the private key in OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM (from OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM) is not a "
            "PEM private key; check OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM",
        ),
        ("token path missing", "OCI_RESOURCE_PRINCIPAL_RPST names {dir}/missing, which cannot be read"),
        ("key path missing", "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM names {dir}/missing, which cannot be read"),
        ("phrase path missing", "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE names {dir}/missing, which cannot"),
        ("bad key file", "key file {dir}/bad.pem"),
        (
            "no phrase",
            "sets no OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE; set OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE",
        ),
    ],
)
def test_resource_principal_errors_name_where(
    case: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oci_openai_patch.credentials import resource_principal
    from oci_openai_patch.errors import OciOpenAIError
    from oci_openai_patch.testing.profiles import make_resource_principal_files, write_private_key

    verifier = SignatureVerifier()
    files = make_resource_principal_files(tmp_path, verifier, ttl=-10 if case == "expired" else 3600)
    values = {"RPST": files.token_file, "PRIVATE_PEM": files.key_file}
    if case == "no token":
        del values["RPST"]
    elif case == "no key":
        del values["PRIVATE_PEM"]
    elif case == "garbled inline":
        values["RPST"] = "not-a-token"
    elif case == "garbled file":
        (tmp_path / "bad-token").write_text("not-a-token")
        (tmp_path / "bad-token").chmod(0o600)
        values["RPST"] = str(tmp_path / "bad-token")
    elif case == "bad key inline":
        values["PRIVATE_PEM"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
    elif case == "bad key file":
        (tmp_path / "bad.pem").write_text("garbage")
        (tmp_path / "bad.pem").chmod(0o600)
        values["PRIVATE_PEM"] = str(tmp_path / "bad.pem")
    elif case == "no phrase":
        write_private_key(Path(files.key_file), files.private_key, "phrase")
    elif case == "token path missing":
        values["RPST"] = str(tmp_path / "missing")
    elif case == "key path missing":
        values["PRIVATE_PEM"] = str(tmp_path / "missing")
    elif case == "phrase path missing":
        values["PRIVATE_PEM_PASSPHRASE"] = str(tmp_path / "missing")
    _rp_env(monkeypatch, **values)
    with pytest.raises(OciOpenAIError) as caught:
        resource_principal()
    assert message.format(dir=tmp_path) in str(caught.value)


def test_sdk_service_error_without_code_or_message() -> None:
    class ServiceError(Exception):
        status = 404
        code = None
        message = None

    assert _describe(ServiceError()) == "HTTP 404"
    ServiceError.message = ""
    assert _describe(ServiceError()) == "HTTP 404"
    ServiceError.code = "NotFound"
    assert _describe(ServiceError()) == "HTTP 404 NotFound"
    assert _describe(ValueError("no route to host")) == "ValueError: no route to host"


def test_redacted_key_ids_show_the_last_six_characters() -> None:
    from oci_openai_patch.credentials import redact_key_id

    assert redact_key_id("ST$abcdefghijkl") == "ST$...ghijkl"
    assert (
        redact_key_id("ocid1.tenancy.oc1..a/ocid1.user.oc1..b/aa:bb") == "ocid1.tenancy.oc1..a/ocid1.user.oc1..b/aa:bb"
    )


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_async_delegate_gets_each_response_and_async_model_map(
    library_name: str, key_and_auth: tuple[Any, OciAuth]
) -> None:
    import asyncio

    library = importlib.import_module(library_name)
    seen: list[Any] = []

    async def handler(request: Any) -> Any:
        seen.append(_snapshot(library, request))
        if request.url.host == "api.example.com" and "authorization" not in request.headers:
            challenge = 'Digest realm="r", nonce="abc", qop="auth", algorithm=MD5'
            return library.Response(401, headers={"www-authenticate": challenge})
        return library.Response(200, json={})

    auth = OciAuth(key_and_auth[1].credentials, model_map={"gpt-4o": "mapped"})
    view = auth.for_http_client(library.AsyncClient(), delegate=library.DigestAuth("me", "pw"))

    async def main() -> None:
        async with library.AsyncClient(transport=library.MockTransport(handler), auth=view) as client:
            await client.get(FOREIGN_URL)
            await client.post(OCI_URL.replace("/files", "/chat/completions"), json={"model": "gpt-4o"})

    asyncio.run(main())
    assert len(seen) == 3
    assert seen[1].headers["authorization"].startswith('Digest username="me"')
    assert json.loads(seen[2].content) == {"model": "mapped"}


# -- config profiles --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("tenancy", "the tenancy OCID"),
        ("user", "the user OCID"),
        ("fingerprint", "the API key fingerprint"),
        ("key_file", "the API private key"),
    ],
)
def test_a_missing_api_key_entry_is_named_with_why(entry: str, why: str, tmp_path: Path) -> None:
    from oci_openai_patch.errors import ConfigurationError

    profile = make_api_key_profile(tmp_path, SignatureVerifier(), profile="PROD")
    config = Path(profile.config_file)
    config.write_text("".join(line for line in config.read_text().splitlines(True) if not line.startswith(entry)))
    with pytest.raises(ConfigurationError) as caught:
        ApiKeyCredentials("PROD", profile.config_file)
    assert str(caught.value) == (
        f"{profile.config_file}: profile [PROD] has no '{entry}' entry ({why}); add it to the profile"
    )


def test_named_profiles_with_pass_phrases(tmp_path: Path) -> None:
    verifier = SignatureVerifier()
    api = make_api_key_profile(tmp_path / "api", verifier, profile="ENC", pass_phrase="open sesame")
    key = ApiKeyCredentials("ENC", api.config_file).get()
    assert key.key_id == api.key_id
    assert key.private_key.public_key().public_numbers() == api.private_key.public_key().public_numbers()
    session = make_session_profile(tmp_path / "session", verifier, profile="SESS")
    credentials = SessionCredentials("SESS", session.config_file)
    loaded = credentials.get()
    from oci_openai_patch.oci_config import jwt_expiry

    assert loaded.key_id == "ST$" + session.token
    assert loaded.expires_at == jwt_expiry(session.token) and loaded.refresh_at == loaded.expires_at - 300


def test_session_errors_name_the_profile(tmp_path: Path) -> None:
    from oci_openai_patch.errors import ConfigurationError

    session = make_session_profile(tmp_path, SignatureVerifier())
    config = Path(session.config_file)
    text = config.read_text()
    config.write_text("".join(line for line in text.splitlines(True) if not line.startswith("security_token_file")))
    with pytest.raises(ConfigurationError) as caught:
        SessionCredentials(config_file=session.config_file)
    assert str(caught.value) == (
        f"{session.config_file}: profile [DEFAULT] has no 'security_token_file' entry "
        "(session profiles are made by 'oci session authenticate'); add it to the profile"
    )
    config.write_text(text)
    Path(session.token_file).write_text("")
    from oci_openai_patch.credentials import session as session_module

    waits: list[float] = []
    real_time = session_module.time

    class RecordingTime:
        monotonic = staticmethod(real_time.monotonic)
        time = staticmethod(real_time.time)

        @staticmethod
        def sleep(seconds: float) -> None:
            waits.append(seconds)

    session_module.time = RecordingTime  # type: ignore[assignment]
    try:
        with pytest.raises(ConfigurationError, match=f"security token file {session.token_file} is empty"):
            SessionCredentials(config_file=session.config_file)  # a first load does not wait to re-read
    finally:
        session_module.time = real_time
    assert waits == []
    Path(session.token_file).write_text("garbled")
    with pytest.raises(ConfigurationError, match=r"does not hold a valid token"):
        SessionCredentials(config_file=session.config_file)


def test_a_refresh_for_a_401_that_came_after_the_newer_load_loads_again(tmp_path: Path) -> None:
    profile = make_session_profile(tmp_path, SignatureVerifier())
    credentials = SessionCredentials(config_file=profile.config_file)
    old = credentials.get()
    newer = credentials.refresh(old, time.monotonic())
    time.sleep(0.001)
    # This caller sent with the old key, but its 401 came after the newer key was loaded:
    # the server has moved on since, so the newer key is suspect too.
    assert credentials.refresh(old, time.monotonic()) is not newer


def test_refresh_time_of_a_token_about_to_expire_and_bracketed_loopback() -> None:
    from oci_openai_patch.trust.hosts import is_loopback_host

    now = 1_000_000.0
    assert refresh_time(now + 0.5, now) == now + 0.25
    assert refresh_time(now - 5, now) == now - 5
    assert is_loopback_host("[::1]") and is_loopback_host("LOCALHOST.") and not is_loopback_host("[::2]")


def test_resource_principal_auth_takes_extra_hosts_and_warns_about_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    from oci_openai_patch import OciResourcePrincipalAuth, permissions
    from oci_openai_patch.errors import InsecurePermissionsWarning
    from oci_openai_patch.testing.profiles import make_resource_principal_files

    monkeypatch.setattr(permissions, "_warned", set())
    files = make_resource_principal_files(tmp_path, SignatureVerifier())
    os.chmod(files.token_file, 0o644)
    _rp_env(monkeypatch, RPST=files.token_file, PRIVATE_PEM=files.key_file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InsecurePermissionsWarning)
        auth = OciResourcePrincipalAuth(hosts=["llm.corp.example.com"])
    assert auth.policy.allows("https", "llm.corp.example.com", None)
    messages = [str(w.message) for w in caught if issubclass(w.category, InsecurePermissionsWarning)]
    assert messages == [
        f"OCI_RESOURCE_PRINCIPAL_RPST file {files.token_file} is readable by other users (mode 0644); "
        f"run: chmod 600 {files.token_file} (or set OCI_OPENAI_SUPPRESS_PERMISSION_WARNING=1)"
    ]


def test_session_key_rotated_with_its_token_is_read_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from oci_openai_patch.testing.profiles import new_private_key, write_private_key

    verifier = SignatureVerifier()
    profile = make_session_profile(tmp_path, verifier)
    credentials = SessionCredentials(config_file=profile.config_file)
    caplog.set_level(logging.INFO, logger="oci_openai_patch")
    for reload in ("expiry", "401"):
        key = new_private_key()  # 'oci session authenticate' again: a new key and its token
        write_private_key(Path(profile.key_file), key)
        Path(profile.token_file).write_text(verifier.issuer.issue(key.public_key()))
        if reload == "expiry":
            credentials.invalidate()
            loaded = credentials.get()
        else:
            loaded = credentials.refresh(credentials.get(), time.monotonic())
        assert loaded.private_key.public_key().public_numbers() == key.public_key().public_numbers()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and all(m.startswith("session credentials loaded (cause: ") for m in messages)


def test_reload_time_is_logged_in_milliseconds(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    profile = make_api_key_profile(tmp_path, SignatureVerifier())
    credentials = ApiKeyCredentials(config_file=profile.config_file)
    original = credentials._load

    def slow_load(*, force: bool) -> Any:
        time.sleep(0.05)
        return original(force=force)

    credentials._load = slow_load  # type: ignore[method-assign]
    caplog.set_level(logging.INFO, logger="oci_openai_patch")
    credentials.refresh(credentials.get(), time.monotonic())
    (record,) = caplog.records
    match = re.fullmatch(r"user_principal credentials loaded \(cause: 401\) in (\d+) ms", record.getMessage())
    assert match is not None
    elapsed = int(match[1])
    assert 50 <= elapsed < 5000


def test_sdk_error_without_a_code_attribute() -> None:
    class ServiceError(Exception):
        status = 500

    assert _describe(ServiceError()) == "HTTP 500"


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_model_map_keeps_headers_and_extensions_and_writes_compact_json(
    library_name: str, key_and_auth: tuple[Any, OciAuth]
) -> None:
    library = importlib.import_module(library_name)
    auth = OciAuth(key_and_auth[1].credentials, model_map={"gpt-4o": "openai.gpt-oss-120b"})
    seen: list[Any] = []

    def record(request: Any) -> Any:
        seen.append(request)
        return library.Response(200, json={})

    with library.Client(transport=library.MockTransport(record), auth=auth) as client:
        client.post(
            OCI_URL.replace("/files", "/chat/completions"),
            json={"model": "gpt-4o", "n": 1},
            headers={"x-team": "blue"},
            timeout=7.5,
        )
    (sent,) = seen
    assert sent.content == b'{"model":"openai.gpt-oss-120b","n":1}'
    assert sent.headers["x-team"] == "blue"
    assert sent.extensions["timeout"]["read"] == 7.5


def test_session_file_errors_name_the_profile_they_come_from(tmp_path: Path) -> None:
    from oci_openai_patch.errors import ConfigurationError
    from oci_openai_patch.testing.profiles import write_private_key

    verifier = SignatureVerifier()
    session = make_session_profile(tmp_path, verifier, profile="S")
    source = f"(from profile [S] of {session.config_file})"
    token = Path(session.token_file).read_text()
    Path(session.token_file).unlink()
    with pytest.raises(ConfigurationError) as caught:
        SessionCredentials("S", session.config_file)
    assert f"security token file {session.token_file} {source} does not exist" in str(caught.value)
    Path(session.token_file).write_text(token)
    Path(session.token_file).chmod(0o600)
    Path(session.key_file).unlink()
    with pytest.raises(ConfigurationError) as caught:
        SessionCredentials("S", session.config_file)
    assert str(caught.value) == f"key file {session.key_file} {source} does not exist; fix key_file"
    write_private_key(Path(session.key_file), session.private_key, "phrase")
    with Path(session.config_file).open("a") as config:
        config.write("pass_phrase=phrase\n")
    loaded = SessionCredentials("S", session.config_file).get()
    assert loaded.private_key.public_key().public_numbers() == session.private_key.public_key().public_numbers()
    config_text = Path(session.config_file).read_text()
    Path(session.config_file).write_text(
        "".join(line for line in config_text.splitlines(True) if not line.startswith("key_file"))
    )
    with pytest.raises(ConfigurationError, match=r"has no 'key_file' entry \(the session private key\)"):
        SessionCredentials("S", session.config_file)


def test_host_lists_split_on_commas_and_name_their_source() -> None:
    from oci_openai_patch.errors import ConfigurationError
    from oci_openai_patch.trust.hosts import parse_host_list

    assert [p.host for p in parse_host_list("a.example.com, b.example.com,,")] == ["a.example.com", "b.example.com"]
    with pytest.raises(ConfigurationError, match=r"^hosts=: 'bad/' is not a host"):
        parse_host_list("ok.example.com,bad/", source="hosts=")


def test_resource_principal_version_is_required_and_200_char_lines_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_openai_patch.credentials import resource_principal
    from oci_openai_patch.errors import ConfigurationError

    monkeypatch.delenv("OCI_RESOURCE_PRINCIPAL_VERSION", raising=False)
    with pytest.raises(ConfigurationError, match=r"^OCI_RESOURCE_PRINCIPAL_VERSION is not set; resource principal"):
        resource_principal()
    assert _safe_line("x" * 200) == "x" * 200


@pytest.mark.parametrize("library_name", LIBRARIES)
def test_delegate_given_to_the_constructor_and_streamed_json_mapped(
    library_name: str, key_and_auth: tuple[Any, OciAuth]
) -> None:
    library = importlib.import_module(library_name)
    auth = OciAuth(key_and_auth[1].credentials, delegate=library.BasicAuth("me", "pw"), model_map={"gpt-4o": "mapped"})
    (foreign,) = _through(library, auth, "GET", FOREIGN_URL, [200])
    assert foreign.headers["authorization"] == "Basic " + base64.b64encode(b"me:pw").decode()
    streamed = iter([b'{"model": ', b'"gpt-4o"}'])  # no content-length: sent chunked
    (sent,) = _through(
        library,
        auth,
        "POST",
        OCI_URL.replace("/files", "/chat/completions"),
        [200],
        content=streamed,
        headers={"content-type": "application/json"},
    )
    assert json.loads(sent.content) == {"model": "mapped"}
    assert sent.headers["authorization"].startswith("Signature ")


def test_default_sources_in_host_errors() -> None:
    from oci_openai_patch.errors import ConfigurationError
    from oci_openai_patch.trust.hosts import HostPattern, HostPolicy, parse_host_list

    for parse in (HostPattern.parse, parse_host_list):
        with pytest.raises(ConfigurationError, match=r"^OCI_OPENAI_HOSTS: 'bad/' is not a host"):
            parse("bad/")
    with pytest.raises(ConfigurationError, match=r"^hosts: 'bad/' is not a host"):
        HostPolicy.from_hosts(["bad/"])
    with pytest.raises(ConfigurationError, match=r"^hosts: 'bad/' is not a host"):
        HostPolicy().with_hosts(["bad/"])
    with pytest.raises(ConfigurationError, match=r"^hosts=: 'bad/' is not a host"):
        HostPolicy.from_hosts(["bad/"], source="hosts=")
    with pytest.raises(ConfigurationError, match=r"^hosts=: 'bad/' is not a host"):
        HostPolicy().with_hosts(["bad/"], source="hosts=")


def test_each_reload_starts_a_new_generation(tmp_path: Path) -> None:
    """Abandoned deadline workers compare the generation they started in with the
    current one: every reload must make it differ from every earlier one."""
    profile = make_api_key_profile(tmp_path, SignatureVerifier())
    credentials = ApiKeyCredentials(config_file=profile.config_file)
    seen = {credentials._generation}
    for _ in range(3):
        credentials.invalidate()
        credentials.get()
        assert credentials._generation not in seen
        seen.add(credentials._generation)


def test_api_key_file_errors_name_the_profile(tmp_path: Path) -> None:
    from oci_openai_patch.errors import ConfigurationError

    profile = make_api_key_profile(tmp_path, SignatureVerifier(), profile="P")
    Path(profile.key_file).unlink()
    with pytest.raises(ConfigurationError) as caught:
        ApiKeyCredentials("P", profile.config_file)
    assert str(caught.value) == (
        f"key file {profile.key_file} (from profile [P] of {profile.config_file}) does not exist; fix key_file"
    )


def test_a_token_file_still_missing_on_the_second_read_names_its_profile(tmp_path: Path) -> None:
    from oci_openai_patch.errors import ConfigurationError

    session = make_session_profile(tmp_path, SignatureVerifier(), profile="S")
    credentials = SessionCredentials("S", session.config_file)
    Path(session.token_file).unlink()
    with pytest.raises(ConfigurationError) as caught:
        credentials.refresh(credentials.get(), time.monotonic())
    assert f"(from profile [S] of {session.config_file}) does not exist" in str(caught.value)


def test_only_version_2_2_is_read_directly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_openai_patch.credentials import ResourcePrincipalV22Credentials, resource_principal
    from oci_openai_patch.errors import OciOpenAIError
    from oci_openai_patch.testing.profiles import make_resource_principal_files

    files = make_resource_principal_files(tmp_path, SignatureVerifier())
    _rp_env(monkeypatch, RPST=files.token_file, PRIVATE_PEM=files.key_file)
    # An unknown version goes to the SDK, which refuses it without any network (1.1 would
    # ask instance metadata for the region: never here).
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "9.9")
    with pytest.raises(OciOpenAIError, match=r"Unsupported OCI_RESOURCE_PRINCIPAL_VERSION: 9\.9"):
        resource_principal(timeout=5)
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    assert isinstance(resource_principal(), ResourcePrincipalV22Credentials)
