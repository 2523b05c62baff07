"""What every principal kind shares: the signing key, and the refresh machinery.

A provider hands out a :class:`SigningKey` (key id, private key, when to refresh) and
reloads it when it nears expiry, when it is older than ``max_age`` or when the server
says 401. Reloads are single flight: one thread loads while the others wait for its
result, and a caller that already holds a fresher key than the one it saw go stale does
not load again. Locks are renewed after a fork, and a fetch that may hang (the SDK's
identity clients) is bounded by a deadline.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigurationError, CredentialsError
from ..process_locks import ProcessLock
from ..redact import redact_key_id
from .fetch_failures import FetchLog, hint_for, recording

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

logger = logging.getLogger("oci_openai_patch")

#: A token is reloaded this long before it expires, or at half its remaining life when
#: that is shorter (so tokens of a few seconds are still refreshed ahead of time).
REFRESH_MARGIN_SECONDS = 300.0


def refresh_time(expires_at: float | None, now: float | None = None) -> float | None:
    """When to reload a key that expires at ``expires_at``."""
    if expires_at is None:
        return None
    now = time.time() if now is None else now
    return expires_at - min(REFRESH_MARGIN_SECONDS, max(expires_at - now, 0.0) / 2)


@dataclass(frozen=True, repr=False)
class SigningKey:
    """What one signature needs: the keyId, the private key, and when to reload them.

    Its ``repr`` shows the key id redacted (a session token is a credential), so a dump
    of a provider or a traceback rendered with its locals shows no token.
    """

    key_id: str
    private_key: RSAPrivateKey
    expires_at: float | None = None
    refresh_at: float | None = None
    #: ``time.monotonic()`` when the key was loaded: a 401 received after this moment
    #: means the source has moved on since, so the key must be loaded again.
    loaded_at: float = field(default_factory=time.monotonic)

    def is_stale(self, now: float | None = None) -> bool:
        return self.refresh_at is not None and (time.time() if now is None else now) >= self.refresh_at

    def __repr__(self) -> str:
        return f"SigningKey(key_id={redact_key_id(self.key_id)!r}, expires_at={self.expires_at!r})"


class KeySource(Protocol):
    """What an auth needs of its credentials (a provider, or one built on first use)."""

    def get(self) -> SigningKey: ...

    def current(self) -> SigningKey | None: ...

    def refresh(self, seen: SigningKey | None, refused_at: float | None = None) -> SigningKey: ...


_PROVIDERS: weakref.WeakSet[CredentialsProvider] = weakref.WeakSet()


def _void_inflight_loads_after_fork() -> None:
    # The parent's reloads under way have no thread in the child: their results are void.
    # (The lock itself is a ProcessLock, which the child gets back unheld.)
    for provider in list(_PROVIDERS):
        provider._generation += 1


os.register_at_fork(after_in_child=_void_inflight_loads_after_fork)


class CredentialsProvider(abc.ABC):
    """Base of every principal kind: caching, expiry checks and single-flight reloads."""

    #: Short name of the principal kind, as ``OCI_OPENAI_AUTH`` spells it.
    kind: str = ""

    def __init__(self) -> None:
        self._lock = ProcessLock(f"credentials ({type(self).__name__})")
        self._key: SigningKey | None = None
        #: Bumped by every reload that starts; a deadline worker abandoned by an older
        #: reload sees it has moved on and keeps its result to itself.
        self._generation = 0
        _PROVIDERS.add(self)

    #: ``refresh_interval=`` of the auth classes (as in oci-openai): the most seconds a
    #: token is used before it is reloaded, expiry or not. Keys that do not expire (API
    #: keys) are not affected.
    max_age: float | None = None

    def _is_due(self, key: SigningKey) -> bool:
        """Whether ``key`` must be reloaded before use: near expiry, or older than ``max_age``."""
        if key.is_stale():
            return True
        max_age = self.max_age
        return max_age is not None and key.expires_at is not None and time.monotonic() - key.loaded_at >= max_age

    def needs_reload(self) -> bool:
        """True when :meth:`get` would do I/O; cheap, so async callers can decide to use a thread."""
        return self.current() is None

    def current(self) -> SigningKey | None:
        """The key if it can be used without I/O or waiting, else None (one read, so the
        answer cannot go stale between a check and a use)."""
        key = self._key
        if key is None or self._is_due(key):
            return None
        return key

    def get(self) -> SigningKey:
        """The current key, reloaded first if it is missing or near expiry."""
        key = self._key
        if key is not None and not self._is_due(key):
            return key
        return self._reload(seen=key, force=False, cause="expiry" if key is not None else "first use")

    def invalidate(self) -> None:
        """Mark the current key as due: the next request reloads it (an async client, in a
        worker thread), as if its token had reached its refresh time."""
        with self._lock:
            key = self._key
            if key is not None:
                self._key = dataclasses.replace(key, refresh_at=0.0)
                self._invalidated = True

    def refresh(self, seen: SigningKey | None, refused_at: float | None = None) -> SigningKey:
        """Reload after the server refused ``seen`` (a 401 received at ``refused_at``, a
        ``time.monotonic()`` value), unless another caller reloaded since that moment."""
        return self._reload(seen=seen, force=True, refused_at=refused_at, cause="401")

    _invalidated = False

    def _reload(
        self, *, seen: SigningKey | None, force: bool, refused_at: float | None = None, cause: str = "expiry"
    ) -> SigningKey:
        with self._lock:
            current = self._key
            if (
                current is not None
                and current is not seen
                and not self._is_due(current)
                and (refused_at is None or current.loaded_at >= refused_at)
            ):
                return current
            if self._invalidated and cause == "expiry":
                cause = "invalidate()"
            self._invalidated = False
            self._generation += 1
            started = time.monotonic()
            key = self._load(force=force or current is not None)
            self._key = key
            if current is not None or logger.isEnabledFor(logging.DEBUG):
                logger.log(
                    logging.INFO if current is not None else logging.DEBUG,
                    "%s credentials loaded (cause: %s) in %.0f ms",
                    self.kind,
                    cause,
                    (time.monotonic() - started) * 1000,
                )
            return key

    @abc.abstractmethod
    def _load(self, *, force: bool) -> SigningKey:
        """Load (``force``: reload even if the source thinks its token is valid)."""

    def region(self) -> tuple[str, str] | None:
        """The region the principal knows, and where it came from (for a client given no
        endpoint at all); None when it knows none. Cheap once the credentials are loaded."""
        return None

    def describe(self) -> dict[str, str]:
        """What ``doctor`` shows: no secrets, key ids with tokens redacted."""
        key = self.get()
        info = {"auth": self.kind, "key_id": redact_key_id(key.key_id)}
        if key.expires_at is not None:
            info["token_expires"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(key.expires_at))
        return info


def check_refresh_interval(value: float | None) -> float | None:
    """``refresh_interval=`` as given, or a ``ConfigurationError`` if it is not a positive number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(
            f"refresh_interval={value!r} must be a positive number of seconds (the longest a token is used "
            "before it is reloaded), or None to reload by the token's expiry"
        )
    return float(value)


def principal_region(credentials: Any) -> tuple[str, str] | None:
    """``credentials.region()`` for any key source (a deferred or foreign one knows none)."""
    region = getattr(credentials, "region", None)
    found: tuple[str, str] | None = region() if callable(region) else None
    return found


def _profile_region(value: str | None, source: str) -> tuple[str, str] | None:
    return (value.strip(), source) if value and value.strip() else None


class _ProfileRegion:
    """The ``region`` entry of the profile the credentials were read from."""

    _region: tuple[str, str] | None = None

    def region(self) -> tuple[str, str] | None:
        return self._region


#: How long a security-token principal may take to obtain a token before failing
#: (``OCI_OPENAI_AUTH_TIMEOUT`` or ``timeout=``); the SDK alone retries for minutes.
DEFAULT_TOKEN_TIMEOUT_SECONDS = 30.0


def token_timeout(timeout: float | None) -> float:
    """``timeout`` if given, else ``OCI_OPENAI_AUTH_TIMEOUT``, else 30 s."""
    if timeout is not None:
        if timeout <= 0:
            raise ConfigurationError(f"timeout={timeout!r} must be a positive number of seconds")
        return float(timeout)
    from ..settings import auth_timeout_from_env

    return auth_timeout_from_env() or DEFAULT_TOKEN_TIMEOUT_SECONDS


def _with_deadline(
    function: Callable[[], Any],
    timeout: float,
    describe_wait: Callable[[], str],
    log: FetchLog,
    hints: dict[str, str] | None = None,
) -> Any:
    """Run ``function`` in a daemon thread and give up waiting after ``timeout`` seconds.

    The SDK's identity clients retry failing endpoints for minutes without a word; a
    thread cannot be killed, but the caller gets a clear error in bounded time while the
    abandoned attempt ends on its own. The SDK's attempts are recorded in ``log``, so the
    error names what the endpoint did (a certificate that does not verify, a refused
    connection, an HTTP error) and says "did not answer" only when nothing answered.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with recording(log):
                outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread as is
            outcome["error"] = error

    worker = threading.Thread(target=run, name="oci-openai-patch-token", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        failure = log.last_failure
        if failure is None:
            raise CredentialsError(
                f"{describe_wait()} did not answer within {timeout:g} s; check that it is reachable from here, "
                "or set OCI_OPENAI_AUTH_TIMEOUT to wait longer"
            )
        raise CredentialsError(
            f"{describe_wait()} gave no token within {timeout:g} s; the last attempt failed: {failure}; "
            f"{hint_for(failure, hints)}"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
