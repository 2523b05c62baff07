"""Delegation token (OCI Cloud Shell): the instance principal acting for a user."""

from __future__ import annotations

import os
import threading
import time

from ..errors import CredentialsError
from ..logs import logger
from ..oci_config import read_profile
from ..permissions import warn_if_readable_by_others
from ..redact import Secret

#: How often, at most, requests on an event loop start a check of the token file for a
#: renewal (seconds). Cloud Shell renews the token well before it expires, so a renewal
#: read a second late is still a valid token.
RECHECK_INTERVAL = 1.0

#: A check that has not returned after this long (seconds) is reported, once.
SLOW_CHECK = 30.0


class DelegationToken:
    """A user's delegation token (Cloud Shell): given, or read from a file that is read
    again when it changes (the platform renews it in place). Never shown: its ``repr`` is redacted."""

    def __init__(self, value: str | None = None, path: str | None = None) -> None:
        self._value = Secret(value.strip()) if value else None
        self.path = path
        self._stamp: tuple[float, int] | None = None
        # The check a worker thread runs for requests on an event loop: when it last
        # ended, the process that started the one under way (none after a fork: the
        # thread is not in the child), and what the last one failed with.
        self._checked = time.monotonic()
        self._checking_in: int | None = None
        self._check_error: CredentialsError | None = None
        self._check_started = 0.0
        self._reported_slow = False

    def __repr__(self) -> str:
        return f"DelegationToken(path={self.path!r})"

    @classmethod
    def find(
        cls, value: str | None, path: str | None, profile_name: str | None, config_file: str | None
    ) -> DelegationToken:
        """The token from the argument, the file argument, or the profile's ``delegation_token_file``."""
        if value:
            return cls(value=value)
        if not path:
            from ..settings import config_location

            named_file, named_profile = config_location()
            profile = read_profile(config_file or named_file, profile_name or named_profile)
            path = profile.path("delegation_token_file", "Cloud Shell's profiles name the delegation token file")
        token = cls(path=os.path.expanduser(path))
        token.value()  # a missing or empty file fails here, at construction
        return token

    def on_loop(self) -> str:
        """The token for a request on an event loop, which must never wait for a file: a
        slow mount stalls every task of the loop, and a FIFO in the file's place would
        hang it for good. The value last read is used; at most once per
        :data:`RECHECK_INTERVAL` a worker thread checks the file, and what it reads is used
        from the next request on. A check that failed (the file gone, empty, unreadable)
        fails the requests after it, as the sync path fails, until a check succeeds."""
        if self.path is None or self._value is None:
            return self.value()  # a given token (or one never read: ``find`` always reads)
        now, failed = time.monotonic(), self._check_error  # the verdict of the checks before this call
        if self._checking_in != os.getpid():
            if now - self._checked >= RECHECK_INTERVAL:
                self._checking_in, self._check_started, self._reported_slow = os.getpid(), now, False
                threading.Thread(target=self._check, name="oci-openai-patch delegation token", daemon=True).start()
        elif now - self._check_started >= SLOW_CHECK and not self._reported_slow:
            self._reported_slow = True
            logger.warning(
                "reading the delegation token file %s has not returned in %.0f s; the token read before "
                "it is used until it does (check delegation_token_file)",
                self.path,
                SLOW_CHECK,
            )
        if failed is not None:
            raise CredentialsError(str(failed))
        return self._value.reveal()

    def _check(self) -> None:
        try:
            self.value()
            self._check_error = None
        except CredentialsError as error:
            self._check_error = error
        finally:
            self._checked = time.monotonic()
            self._checking_in = None

    def value(self) -> str:
        """The token, the file read again if it changed (a blocking call: see :meth:`on_loop`)."""
        if self.path is None:
            assert self._value is not None
            return self._value.reveal()
        try:
            status = os.stat(self.path)
            stamp = (status.st_mtime, status.st_size)
            if stamp != self._stamp or self._value is None:
                warn_if_readable_by_others(self.path, "delegation token file")
                with open(self.path, encoding="utf-8") as handle:
                    text = handle.read().strip()
                if not text:
                    raise CredentialsError(f"delegation token file {self.path} is empty; check delegation_token_file")
                self._value, self._stamp = Secret(text), stamp
        except OSError as error:
            raise CredentialsError(
                f"delegation token file {self.path} cannot be read ({error.strerror}); check delegation_token_file"
            ) from None
        return self._value.reveal()
