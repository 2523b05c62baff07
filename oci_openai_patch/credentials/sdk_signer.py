"""Security-token principals whose tokens an ``oci`` SDK signer fetches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError, CredentialsError
from ..event_loops import running_in_event_loop
from ..key_cache import install_for_oci_sdk
from ..oci_config import jwt_expiry
from .base import CredentialsProvider, SigningKey, _with_deadline, refresh_time, token_timeout
from .fetch_failures import FetchLog, hint_for
from .fetch_failures import safe_line as _safe_line


def _signer_key(signer: Any) -> tuple[str, Any]:
    """The key id and session key an SDK signer holds now.

    Instance-principal signers keep their token in their federation client and copy it
    to themselves only when they sign; reading it there avoids a second federation.
    """
    federation: Any = getattr(signer, "federation_client", None)
    container = getattr(federation, "security_token", None)
    if container is not None:
        return "ST$" + container.security_token, federation.session_key_supplier.get_key_pair()["private"]
    return signer.api_key, signer.private_key


class SdkSignerCredentials(CredentialsProvider):
    """A security-token principal whose tokens come from an ``oci`` SDK signer.

    The SDK signer does the federation (instance metadata, resource-principal tokens,
    the OKE proxymux); this provider reads its current key id and session key and asks
    it to refresh when the token nears expiry or the server answers 401. Every call into
    the SDK is bounded by ``timeout`` seconds.
    """

    def __init__(
        self,
        kind: str,
        factory: Callable[[], Any],
        *,
        timeout: float | None = None,
        source: Callable[[], str] | None = None,
        hints: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        #: How to fix each kind of fetch failure (see :mod:`.fetch_failures`), in this
        #: principal's own settings.
        self._hints = hints
        self.timeout = token_timeout(timeout)
        self._factory = factory
        self._source = source or (lambda: f"the {kind} token service")
        self._signer: Any = None
        # The first token is fetched here, so a principal that cannot get one fails where
        # it is built. Not on an event loop's thread: importing the SDK's signers and a
        # federation would stop the loop (409-488 ms with local fakes, up to the timeout
        # when the endpoint is silent: tools/construction_stall.py); the first request
        # fetches it in a worker thread.
        if not running_in_event_loop():
            self._key = self._load(force=False)

    def region(self) -> tuple[str, str] | None:
        """The region the SDK signer found (instance metadata, the platform's variables);
        fetches the first token if that has not happened yet (a client given no endpoint
        needs the region where it is built, on an event loop too)."""
        if self._signer is None:
            self.get()
        region = getattr(self._signer, "region", None)
        return (str(region), f"the {self.kind} signer ({self._source()})") if region else None

    def _fetch(self, force: bool, generation: int) -> tuple[str, Any]:
        signer = self._signer
        if signer is None:
            install_for_oci_sdk()
            signer = self._factory()
            # A worker abandoned at its deadline may finish after a newer reload began:
            # only the reload that is still current may install its signer.
            if self._generation == generation:
                self._signer = signer
        elif force:
            signer.refresh_security_token()
        return _signer_key(signer)

    def _load(self, *, force: bool) -> SigningKey:
        generation = self._generation
        log = FetchLog()
        try:
            key_id, private_key = _with_deadline(
                lambda: self._fetch(force, generation), self.timeout, self._source, log, self._hints
            )
        except (ConfigurationError, CredentialsError):
            raise
        except Exception as error:  # noqa: BLE001 - the SDK raises many types; all mean no token
            failure = log.last_failure
            reason = f"{failure}; {hint_for(failure, self._hints)}" if failure is not None else _describe(error)
            raise CredentialsError(
                f"{self.kind}: could not obtain an OCI security token from {self._source()} ({reason})"
            ) from None
        expires_at = jwt_expiry(key_id[3:]) if key_id.startswith("ST$") else None
        return SigningKey(key_id, private_key, expires_at, refresh_time(expires_at))


def _describe(error: Exception) -> str:
    """A one-line reason for an SDK failure, without request details that may hold tokens."""
    status = getattr(error, "status", None)
    if isinstance(status, int):  # oci.exceptions.ServiceError: keep status, code and message only
        code, message = getattr(error, "code", None), str(getattr(error, "message", "") or "")
        detail = f"HTTP {status}" + (f" {code}" if code else "")
        return f"{detail}: {_safe_line(message)}" if _safe_line(message) else detail
    text = _safe_line(str(error))
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
