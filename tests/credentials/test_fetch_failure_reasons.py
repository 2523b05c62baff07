"""How a failed token fetch is named: each transport failure at the bottom of the SDK's
wrapped exceptions, OCI's error document behind an HTTP refusal, and the record kept
while a fetch runs. In-process and quick, so the mutation run (``make mutate``) judges
every line of ``credentials/fetch_failures.py`` with them."""

from __future__ import annotations

import socket
import ssl
import threading
from typing import Any

import pytest

from oci_openai_patch.credentials.fetch_failures import (
    GENERIC_HINTS,
    FetchFailure,
    FetchLog,
    _chain,
    _http_reason,
    _observed_send,
    _origin_and_path,
    classify,
    hint_for,
    oci_error,
    recording,
)

URL = "https://auth.us-chicago-1.oraclecloud.com/v1/x509"


def _wrapping(inner: BaseException, outer: BaseException | None = None) -> BaseException:
    """``inner`` as requests hands it over: the cause of an error that is the context of another."""
    middle = RuntimeError("connection aborted")
    middle.__cause__ = inner
    top = outer or OSError("max retries exceeded")
    top.__context__ = middle
    return top


def _cert_error(verify_message: str | None, reason: str | None) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = verify_message
    error.reason = reason
    return error


def _ssl_error(reason: str | None, text: str = "handshake aborted") -> ssl.SSLError:
    error = ssl.SSLError(1, text)
    error.reason = reason
    return error


class ReadTimeout(Exception):
    """Named as requests names its timeouts: matched by name, not by class."""


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (
            _cert_error("self-signed certificate", "CERTIFICATE_VERIFY_FAILED"),
            "tls",
            "TLS certificate verification failed (self-signed certificate)",
        ),
        (
            _cert_error(None, "CERTIFICATE_VERIFY_FAILED"),
            "tls",
            "TLS certificate verification failed (CERTIFICATE_VERIFY_FAILED)",
        ),
        (_cert_error(None, None), "tls", "TLS certificate verification failed (certificate verify failed)"),
        (ConnectionRefusedError(111, "Connection refused"), "refused", "connection refused"),
        (
            socket.gaierror(-2, "Name or service not known"),
            "dns",
            "DNS lookup of auth.us-chicago-1.oraclecloud.com failed (Name or service not known)",
        ),
        (_ssl_error("WRONG_VERSION_NUMBER"), "tls", "TLS handshake failed (WRONG_VERSION_NUMBER)"),
        (_ssl_error(None), "tls", "TLS handshake failed (handshake aborted)"),
        (TimeoutError("timed out"), "timeout", "no answer before the SDK's own timeout"),
        (ReadTimeout("read timed out"), "timeout", "no answer before the SDK's own timeout"),
    ],
)
def test_the_failure_at_the_bottom_is_named(error: BaseException, kind: str, reason: str) -> None:
    assert classify(URL, _wrapping(error)) == FetchFailure(URL, kind, reason)


def test_an_unknown_failure_is_named_by_its_type_and_one_safe_line() -> None:
    assert classify(URL, ValueError("bad header\nsecond line")) == FetchFailure(URL, "other", "ValueError: bad header")
    assert classify(URL, KeyError()) == FetchFailure(URL, "other", "KeyError")
    # The outermost error is what is described, not the context it wraps.
    assert classify(URL, _wrapping(ValueError("inner"), LookupError("outer"))).reason == "LookupError: outer"


def test_a_certificate_failure_anywhere_wins_over_a_refusal_nearer_the_top() -> None:
    """A retry that met a refused port after a bad certificate: the certificate is what to fix."""
    refused = ConnectionRefusedError(111, "Connection refused")
    refused.__context__ = _cert_error("unable to get local issuer certificate", None)
    assert classify(URL, _wrapping(refused)).kind == "tls"


def test_refusal_and_name_lookup_are_told_apart_by_which_comes_first() -> None:
    assert classify(URL, OSError(socket.gaierror(-2, "x"), ConnectionRefusedError())).kind == "dns"
    assert classify(URL, OSError(ConnectionRefusedError(), socket.gaierror(-2, "x"))).kind == "refused"


def test_a_refusal_or_lookup_wins_over_a_handshake_error_or_timeout() -> None:
    assert classify(URL, OSError(_ssl_error("EOF"), ConnectionRefusedError())).kind == "refused"
    assert classify(URL, OSError(TimeoutError(), socket.gaierror(-2, "x"))).kind == "dns"


def test_a_handshake_error_and_a_timeout_are_told_apart_by_which_comes_first() -> None:
    assert classify(URL, OSError(_ssl_error("EOF"), TimeoutError())).kind == "tls"
    assert classify(URL, OSError(TimeoutError(), _ssl_error("EOF"))).kind == "timeout"


def test_the_chain_follows_causes_contexts_reasons_and_arguments_breadth_first() -> None:
    cause, context, reason, argument, deeper = (ValueError(name) for name in "abcde")
    top = OSError("top", argument)
    top.__cause__, top.__context__ = cause, context
    top.reason = reason  # type: ignore[attr-defined]  # as urllib3's MaxRetryError holds it
    cause.__cause__ = deeper
    assert list(_chain(top)) == [top, cause, context, reason, argument, deeper]


def test_the_chain_visits_each_error_once_even_in_a_cycle() -> None:
    first, second = ValueError("first"), ValueError("second")
    first.__context__, second.__context__ = second, first
    second.__cause__ = first
    assert list(_chain(first)) == [first, second]


def test_a_deeper_refusal_behind_a_later_branch_does_not_jump_the_queue() -> None:
    """Breadth first: a name lookup one level down is found before a refusal two levels down."""
    later = RuntimeError("retry")
    later.__cause__ = ConnectionRefusedError()
    assert classify(URL, OSError(socket.gaierror(-2, "x"), later)).kind == "dns"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"code": "NotAuthenticated", "message": "Unknown key"}', ("NotAuthenticated", "Unknown key")),
        (b'{"code": "NotAuthenticated"}', ("NotAuthenticated", "")),
        (b'{"message": "first\\nsecond"}', ("", "first")),
        (b'{"code": null, "message": null}', ("", "")),
        (b'{"code": "X", "message": "Bearer abc was refused"}', ("X", "")),
        (b'["not", "a", "document"]', ("", "")),
        (b"<html>502 Bad Gateway</html>", ("", "")),
        (b"", ("", "")),
    ],
)
def test_ocis_error_document_is_read_when_there_is_one(content: bytes, expected: tuple[str, str]) -> None:
    assert oci_error(content) == expected


class _Response:
    def __init__(self, status_code: int, content: bytes = b"", *, unreadable: bool = False) -> None:
        self.status_code = status_code
        self._content = content
        self._unreadable = unreadable

    @property
    def content(self) -> bytes:
        if self._unreadable:
            raise OSError("connection reset while reading the body")
        return self._content


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (_Response(401, b'{"code": "NotAuthenticated", "message": "Bad key"}'), "HTTP 401 NotAuthenticated: Bad key"),
        (_Response(404, b'{"code": "NotAuthorizedOrNotFound"}'), "HTTP 404 NotAuthorizedOrNotFound"),
        (_Response(500, b'{"message": "Internal"}'), "HTTP 500: Internal"),
        (_Response(502, b"<html/>"), "HTTP 502"),
        (_Response(503, unreadable=True), "HTTP 503"),
    ],
)
def test_an_http_refusal_is_named_by_status_code_and_message(response: _Response, expected: str) -> None:
    assert _http_reason(response.status_code, response) == expected


def test_the_recorded_url_keeps_origin_and_path_but_not_the_query() -> None:
    assert _origin_and_path("https://h:8443/v1/x509?token=secret#f") == "https://h:8443/v1/x509"
    assert _origin_and_path("not a url?x=1") == "not a url?x=1"


def test_a_providers_hint_replaces_the_generic_one_for_its_kind_only() -> None:
    failure = FetchFailure(URL, "refused", "connection refused")
    assert hint_for(failure) == GENERIC_HINTS["refused"]
    assert hint_for(failure, {"refused": "start the proxymux"}) == "start the proxymux"
    assert hint_for(failure, {"tls": "fix the bundle", "refused": ""}) == GENERIC_HINTS["refused"]
    assert set(GENERIC_HINTS) == {"tls", "refused", "dns", "timeout", "http", "other"}


class _Request:
    url = "https://169.254.169.254/opc/v2/instance/?secret=1"


def _send_returning(result: Any) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if isinstance(result, BaseException):
            raise result
        return result

    return wrapped


@pytest.mark.parametrize(("status", "failed"), [(200, False), (399, False), (400, True), (401, True)])
def test_each_attempt_is_counted_and_an_http_error_recorded(status: int, failed: bool) -> None:
    log = FetchLog()
    response = _Response(status, b'{"code": "NotAuthenticated", "message": "no"}')
    with recording(log):
        assert _observed_send(_send_returning(response), None, (_Request(),), {}) is response
        assert _observed_send(_send_returning(_Response(200)), None, (), {"request": _Request()}).status_code == 200
    assert log.attempts == 2
    recorded = FetchFailure("https://169.254.169.254/opc/v2/instance/", "http", f"HTTP {status} NotAuthenticated: no")
    assert log.failures == ([recorded] if failed else [])


def test_a_transport_failure_is_recorded_and_raised_as_it_was() -> None:
    log = FetchLog()
    refused = ConnectionRefusedError(111, "Connection refused")
    with recording(log), pytest.raises(ConnectionRefusedError) as raised:
        _observed_send(_send_returning(refused), None, (_Request(),), {})
    assert raised.value is refused
    assert log.attempts == 1 and log.last_failure == FetchFailure(
        "https://169.254.169.254/opc/v2/instance/", "refused", "connection refused"
    )


def test_a_response_without_a_status_is_no_failure() -> None:
    log = FetchLog()
    with recording(log):
        _observed_send(_send_returning(object()), None, (_Request(),), {})
    assert log.attempts == 1 and log.failures == [] and log.last_failure is None


def test_only_the_recording_thread_is_observed_and_the_outer_log_comes_back() -> None:
    outer, inner, elsewhere = FetchLog(), FetchLog(), []
    with recording(outer):
        with recording(inner):
            _observed_send(_send_returning(_Response(500)), None, (_Request(),), {})
        _observed_send(_send_returning(_Response(502)), None, (_Request(),), {})

        def other_thread() -> None:
            elsewhere.append(_observed_send(_send_returning(_Response(503)), None, (_Request(),), {}).status_code)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    _observed_send(_send_returning(_Response(504)), None, (_Request(),), {})
    assert [failure.reason for failure in inner.failures] == ["HTTP 500"]
    assert [failure.reason for failure in outer.failures] == ["HTTP 502"]
    assert inner.attempts == outer.attempts == 1 and elsewhere == [503]


def _send_echoing() -> Any:
    """A send that answers with what it was called with, so a dropped argument shows."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return args, kwargs

    return wrapped


def test_a_send_outside_a_fetch_gets_its_arguments_as_they_were() -> None:
    request = _Request()
    assert _observed_send(_send_echoing(), None, (request,), {"timeout": 3}) == ((request,), {"timeout": 3})


def test_a_request_given_by_keyword_is_recorded_by_its_url() -> None:
    log = FetchLog()
    with recording(log):
        _observed_send(_send_returning(_Response(503)), None, (), {"request": _Request(), "timeout": 3})
    assert log.failures == [FetchFailure("https://169.254.169.254/opc/v2/instance/", "http", "HTTP 503")]


class _Unnamed:
    """A request that has no ``url`` attribute at all."""


def test_a_request_without_a_url_is_recorded_with_an_empty_one() -> None:
    empty = _Request()
    empty.url = ""
    log = FetchLog()
    with recording(log):
        _observed_send(_send_returning(_Response(500)), None, (_Unnamed(),), {})
        _observed_send(_send_returning(_Response(500)), None, (empty,), {})
    assert [failure.url for failure in log.failures] == ["", ""] and log.attempts == 2
