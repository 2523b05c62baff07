"""The rules every principal kind shares (``credentials/base.py``), on a provider whose
loads are counted: when a key is due, which reload a 401 forces, what is logged, how a
token fetch is bounded and what its error says. In-process and quick, for the suite and
for the mutation run (``make mutate``)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from oci_openai_patch.credentials import SigningKey
from oci_openai_patch.credentials.base import (
    DEFAULT_TOKEN_TIMEOUT_SECONDS,
    CredentialsProvider,
    _profile_region,
    _with_deadline,
    check_refresh_interval,
    principal_region,
    token_timeout,
)
from oci_openai_patch.credentials.fetch_failures import FetchFailure, FetchLog
from oci_openai_patch.errors import ConfigurationError, CredentialsError

PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Counted(CredentialsProvider):
    """Each load makes a new key; ``lifetime`` seconds to its expiry (None: no expiry)."""

    kind = "counted"

    def __init__(self, lifetime: float | None = 3600.0, refresh_in: float | None = None) -> None:
        super().__init__()
        self.lifetime = lifetime
        self.refresh_in = refresh_in
        self.loads: list[bool] = []

    def _load(self, *, force: bool) -> SigningKey:
        self.loads.append(force)
        now = time.time()
        expires = None if self.lifetime is None else now + self.lifetime
        refresh = None if self.refresh_in is None else now + self.refresh_in
        return SigningKey(f"key-{len(self.loads)}", PRIVATE_KEY, expires, refresh)


def test_a_key_is_loaded_on_first_use_and_kept_while_it_is_fresh() -> None:
    provider = Counted()
    assert provider.current() is None and provider.needs_reload()
    first = provider.get()
    assert provider.get() is first and provider.current() is first and not provider.needs_reload()
    assert provider.loads == [False]


def test_a_key_past_its_refresh_time_is_reloaded_and_the_reload_forced() -> None:
    provider = Counted(refresh_in=-1.0)
    first = provider.get()
    assert provider.current() is None
    second = provider.get()
    assert second is not first and provider.loads == [False, True]


def test_a_key_is_stale_from_its_refresh_time_on() -> None:
    key = SigningKey("k", PRIVATE_KEY, None, 100.0)
    assert not key.is_stale(99.999) and key.is_stale(100.0) and key.is_stale(101.0)
    assert not SigningKey("k", PRIVATE_KEY).is_stale(1e12)
    assert SigningKey("k", PRIVATE_KEY, None, 0.0).is_stale()


def test_max_age_reloads_an_expiring_key_but_never_one_that_does_not_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    expiring, lasting = Counted(), Counted(lifetime=None)
    for provider in (expiring, lasting):
        provider.max_age = 60.0
        provider.get()
    started = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: started + 59.0)
    assert expiring.current() is not None
    monkeypatch.setattr(time, "monotonic", lambda: started + 60.5)
    assert expiring.current() is None and lasting.current() is not None
    expiring.max_age = None
    assert expiring.current() is not None


def test_a_401_reloads_unless_another_caller_reloaded_after_it() -> None:
    provider = Counted()
    first = provider.get()
    refused_at = time.monotonic()
    second = provider.refresh(first, refused_at)
    assert second is not first and provider.loads == [False, True]
    # A second request refused with the first key, before the reload: the new key answers it.
    assert provider.refresh(first, refused_at) is second
    # Refused with the new key: reload again.
    third = provider.refresh(second, time.monotonic())
    assert third is not second and provider.loads == [False, True, True]
    # Refused after the newest key was loaded, by a key not seen before: reload.
    assert provider.refresh(None, time.monotonic() + 1.0) is not third


def test_invalidate_makes_the_key_due_and_names_itself_as_the_cause(caplog: pytest.LogCaptureFixture) -> None:
    provider = Counted()
    provider.invalidate()  # nothing loaded: nothing to do
    assert provider.loads == []
    first = provider.get()
    provider.invalidate()
    assert provider.current() is None
    with caplog.at_level(logging.DEBUG, logger="oci_openai_patch"):
        second = provider.get()
        provider.invalidate()
        provider.refresh(second)
    assert second is not first
    messages = [record.getMessage() for record in caplog.records]
    assert [message.split(" in ")[0] for message in messages] == [
        "counted credentials loaded (cause: invalidate())",
        "counted credentials loaded (cause: 401)",
    ]
    assert all(record.levelno == logging.INFO for record in caplog.records)


def test_the_first_load_is_logged_at_debug_and_only_then(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="oci_openai_patch"):
        Counted().get()
    assert caplog.records == []
    with caplog.at_level(logging.DEBUG, logger="oci_openai_patch"):
        Counted().get()
    (record,) = caplog.records
    assert record.levelno == logging.DEBUG and record.getMessage().startswith(
        "counted credentials loaded (cause: first use) in "
    )
    assert record.getMessage().endswith(" ms")


def test_each_reload_starts_a_new_generation() -> None:
    provider = Counted()
    assert provider._generation == 0
    provider.get()
    provider.refresh(provider.get())
    assert provider._generation == 2


def test_the_token_timeout_is_the_argument_else_the_environment_else_30_s(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DEFAULT_TOKEN_TIMEOUT_SECONDS == 30.0
    assert token_timeout(None) == 30.0
    assert token_timeout(2) == 2.0 and isinstance(token_timeout(2), float)
    monkeypatch.setenv("OCI_OPENAI_AUTH_TIMEOUT", "7.5")
    assert token_timeout(None) == 7.5 and token_timeout(3.0) == 3.0
    for bad in (0, -1.0):
        with pytest.raises(ConfigurationError) as raised:
            token_timeout(bad)
        assert str(raised.value) == f"timeout={bad!r} must be a positive number of seconds"


@pytest.mark.parametrize("value", [0, -5, True, "10", float("nan")])
def test_a_bad_refresh_interval_is_refused(value: Any) -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_refresh_interval(value)
    assert str(raised.value).startswith(f"refresh_interval={value!r} must be a positive number of seconds")


def test_a_refresh_interval_is_kept_as_seconds() -> None:
    assert check_refresh_interval(None) is None
    assert check_refresh_interval(1) == 1.0 and isinstance(check_refresh_interval(1), float)
    assert check_refresh_interval(0.5) == 0.5


def test_a_principals_region_and_a_profiles() -> None:
    class Knows:
        def region(self) -> tuple[str, str]:
            return ("us-chicago-1", "here")

    assert principal_region(Knows()) == ("us-chicago-1", "here")
    assert principal_region(object()) is None
    assert principal_region(type("NotCallable", (), {"region": "x"})()) is None
    assert _profile_region(" eu-frankfurt-1 ", "profile DEFAULT") == ("eu-frankfurt-1", "profile DEFAULT")
    assert _profile_region("  ", "p") is None and _profile_region(None, "p") is None


def test_a_bounded_fetch_returns_its_value_or_raises_its_own_error() -> None:
    log = FetchLog()
    assert _with_deadline(lambda: "token", 5.0, lambda: "the service", log) == "token"

    def fails() -> None:
        raise KeyError("inside")

    with pytest.raises(KeyError, match="inside"):
        _with_deadline(fails, 5.0, lambda: "the service", log)


def test_a_silent_fetch_is_given_up_at_its_deadline_with_the_setting_to_wait_longer() -> None:
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(CredentialsError) as raised:
        _with_deadline(release.wait, 0.2, lambda: "the metadata service", FetchLog())
    release.set()
    assert time.monotonic() - started < 5.0
    assert str(raised.value) == (
        "the metadata service did not answer within 0.2 s; check that it is reachable from here, "
        "or set OCI_OPENAI_AUTH_TIMEOUT to wait longer"
    )


def test_a_fetch_that_kept_failing_is_reported_with_its_last_failure_and_fix() -> None:
    release = threading.Event()
    log = FetchLog()

    def keeps_failing() -> None:
        log.failures.append(FetchFailure("https://f/v1/x509", "refused", "connection refused"))
        release.wait()

    with pytest.raises(CredentialsError) as raised:
        _with_deadline(keeps_failing, 0.2, lambda: "the federation", log, {"refused": "start it"})
    release.set()
    assert str(raised.value) == (
        "the federation gave no token within 0.2 s; the last attempt failed: https://f/v1/x509: connection refused; "
        "start it"
    )


# -- a session profile (credentials/session.py) ------------------------------------------


def _session(tmp_path: Any) -> Any:
    from oci_openai_patch.testing import SignatureVerifier, make_session_profile

    return make_session_profile(tmp_path, SignatureVerifier())


def test_a_session_reload_reads_a_token_file_being_rewritten_once_more(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``oci session refresh`` rewrites the token file in place: a reload that finds it
    empty waits a moment and reads it again, before failing the request."""
    from oci_openai_patch.credentials import SessionCredentials
    from oci_openai_patch.credentials import session as session_module

    profile = _session(tmp_path)
    credentials = SessionCredentials(config_file=profile.config_file)
    token = profile.rotate()
    waits: list[float] = []

    def rewritten_meanwhile(seconds: float) -> None:
        waits.append(seconds)
        Path(profile.token_file).write_text(token, encoding="utf-8")

    Path(profile.token_file).write_text("", encoding="utf-8")
    monkeypatch.setattr(session_module.time, "sleep", rewritten_meanwhile)
    key = credentials.refresh(credentials.get())
    assert key.key_id == "ST$" + token and waits == [0.1] == [session_module.SESSION_REREAD_DELAY_SECONDS]


def test_a_session_token_file_still_empty_after_the_second_read_fails_the_reload(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oci_openai_patch.credentials import SessionCredentials
    from oci_openai_patch.credentials import session as session_module

    profile = _session(tmp_path)
    credentials = SessionCredentials(config_file=profile.config_file)
    Path(profile.token_file).write_text("", encoding="utf-8")
    waits: list[float] = []
    monkeypatch.setattr(session_module.time, "sleep", waits.append)
    with pytest.raises(ConfigurationError, match=profile.token_file):
        credentials.refresh(credentials.get())
    assert waits == [0.1]


def test_a_session_token_file_empty_at_the_first_load_fails_at_once(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oci_openai_patch.credentials import SessionCredentials
    from oci_openai_patch.credentials import session as session_module

    profile = _session(tmp_path)
    Path(profile.token_file).write_text("", encoding="utf-8")
    waits: list[float] = []
    monkeypatch.setattr(session_module.time, "sleep", waits.append)
    with pytest.raises(ConfigurationError, match=profile.token_file):
        SessionCredentials(config_file=profile.config_file)
    assert waits == []


def test_a_session_reload_reads_the_session_key_again(tmp_path: Any) -> None:
    """``oci session authenticate`` run again writes a new session key beside the new token."""
    from oci_openai_patch.credentials import SessionCredentials
    from oci_openai_patch.testing.profiles import new_private_key, write_private_key

    profile = _session(tmp_path)
    credentials = SessionCredentials(config_file=profile.config_file)
    first = credentials.get()
    replacement = new_private_key()
    write_private_key(Path(profile.key_file), replacement)
    profile.rotate()
    second = credentials.refresh(first)
    assert second.private_key.private_numbers() == replacement.private_numbers()
    assert first.private_key.private_numbers() == profile.private_key.private_numbers()


def test_max_age_is_reached_at_its_exact_second(monkeypatch: pytest.MonkeyPatch) -> None:
    class LoadedAtOneThousand(Counted):
        def _load(self, *, force: bool) -> SigningKey:
            self.loads.append(force)
            return SigningKey("k", PRIVATE_KEY, time.time() + 3600.0, None, loaded_at=1000.0)

    provider = LoadedAtOneThousand()
    provider.max_age = 60.0
    provider.get()
    monkeypatch.setattr(time, "monotonic", lambda: 1059.5)
    assert provider.current() is not None
    monkeypatch.setattr(time, "monotonic", lambda: 1060.0)
    assert provider.current() is None


def test_each_providers_lock_is_named_after_its_kind() -> None:
    assert repr(Counted()._lock) == "ProcessLock('credentials (Counted)', locked=False)"
