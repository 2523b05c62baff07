"""One credentials provider per OCI principal kind.

A provider hands out a :class:`SigningKey` (key id, private key, when to refresh) and
reloads it when it nears expiry or when the server says 401. Reloads are single flight:
one thread loads while the others wait for its result, and a caller that already holds
a fresher key than the one it saw go stale does not load again. API-key and session
providers read files with :mod:`oci_openai_patch.oci_config`; the security-token
principals (instance, resource, OKE workload identity) use the ``oci`` SDK's own
signers and federation clients, imported only when such a provider is built.
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

from .errors import ConfigurationError, CredentialsError
from .fetch_failures import FetchLog, hint_for, recording
from .fetch_failures import safe_line as _safe_line
from .key_cache import install_for_oci_sdk
from .oci_config import (
    DEFAULT_CONFIG_FILE,
    DEFAULT_PROFILE,
    KeyOrigin,
    jwt_expiry,
    key_fingerprint,
    load_private_key,
    parse_private_key,
    read_profile,
    read_security_token,
    token_expiry,
)
from .permissions import warn_if_readable_by_others
from .redact import Secret

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


def _reset_locks_after_fork() -> None:
    # A fork taken while another thread held a provider's lock would leave the child
    # waiting forever on a lock no thread of its own will release.
    for provider in list(_PROVIDERS):
        provider._lock = threading.Lock()
        provider._generation += 1  # results of the parent's in-flight loads are void


os.register_at_fork(after_in_child=_reset_locks_after_fork)


class CredentialsProvider(abc.ABC):
    """Base of every principal kind: caching, expiry checks and single-flight reloads."""

    #: Short name of the principal kind, as ``OCI_OPENAI_AUTH`` spells it.
    kind: str = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
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


def redact_key_id(key_id: str) -> str:
    """A key id safe to print: security tokens are credentials, so only their tail shows."""
    if key_id.startswith("ST$"):
        return "ST$..." + key_id[-6:]
    return key_id


def _profile_region(value: str | None, source: str) -> tuple[str, str] | None:
    return (value.strip(), source) if value and value.strip() else None


class _ProfileRegion:
    """The ``region`` entry of the profile the credentials were read from."""

    _region: tuple[str, str] | None = None

    def region(self) -> tuple[str, str] | None:
        return self._region


class ApiKeyCredentials(_ProfileRegion, CredentialsProvider):
    """A user principal: tenancy, user, fingerprint and key file from an OCI config profile."""

    kind = "user_principal"

    def __init__(self, profile_name: str = DEFAULT_PROFILE, config_file: str = DEFAULT_CONFIG_FILE) -> None:
        super().__init__()
        self.profile_name = profile_name
        self.config_file = config_file
        self._key = self._load(force=False)

    def _load(self, *, force: bool) -> SigningKey:
        profile = read_profile(self.config_file, self.profile_name)
        source = f"profile [{profile.name}] of {profile.config_file}"
        tenancy = profile.require("tenancy", "the tenancy OCID")
        user = profile.require("user", "the user OCID")
        fingerprint = profile.require("fingerprint", "the API key fingerprint")
        key = load_private_key(
            profile.path("key_file", "the API private key"), profile.get("pass_phrase"), source=source
        )
        self._region = _profile_region(profile.get("region"), source)
        actual = key_fingerprint(key)
        if actual != fingerprint.strip().lower():
            raise ConfigurationError(
                f"{source}: fingerprint does not match key_file (the key's fingerprint is {actual}); "
                "fix fingerprint or key_file"
            )
        return SigningKey(key_id=f"{tenancy}/{user}/{fingerprint}", private_key=key)


#: How long a session reload waits before reading a token file again that it found
#: empty or garbled (being rewritten).
SESSION_REREAD_DELAY_SECONDS = 0.1


class SessionCredentials(_ProfileRegion, CredentialsProvider):
    """A session from ``oci session authenticate``: a token file and its session key.

    The token file is read again when the token nears expiry or after a 401, because
    ``oci session refresh`` rewrites it in place.
    """

    kind = "session"

    def __init__(self, profile_name: str = DEFAULT_PROFILE, config_file: str = DEFAULT_CONFIG_FILE) -> None:
        super().__init__()
        self.profile_name = profile_name
        self.config_file = config_file
        self._private_key: RSAPrivateKey | None = None
        self._key = self._load(force=False)

    def _load(self, *, force: bool) -> SigningKey:
        profile = read_profile(self.config_file, self.profile_name)
        source = f"profile [{profile.name}] of {profile.config_file}"
        self._region = _profile_region(profile.get("region"), source)
        token_path = profile.path("security_token_file", "session profiles are made by 'oci session authenticate'")
        try:
            token, expires_at = read_security_token(token_path, source=source)
        except ConfigurationError:
            if self._key is None:
                raise
            # A reload met an empty or half-written file: ``oci session refresh`` may be
            # rewriting it right now. Read once more before failing the request.
            time.sleep(SESSION_REREAD_DELAY_SECONDS)
            token, expires_at = read_security_token(token_path, source=source)
        if self._private_key is None or force:
            self._private_key = load_private_key(
                profile.path("key_file", "the session private key"), profile.get("pass_phrase"), source=source
            )
        return SigningKey(
            key_id="ST$" + token.reveal(),
            private_key=self._private_key,
            expires_at=expires_at,
            refresh_at=refresh_time(expires_at),
        )


#: How long a security-token principal may take to obtain a token before failing
#: (``OCI_OPENAI_AUTH_TIMEOUT`` or ``timeout=``); the SDK alone retries for minutes.
DEFAULT_TOKEN_TIMEOUT_SECONDS = 30.0


def token_timeout(timeout: float | None) -> float:
    """``timeout`` if given, else ``OCI_OPENAI_AUTH_TIMEOUT``, else 30 s."""
    if timeout is not None:
        if timeout <= 0:
            raise ConfigurationError(f"timeout={timeout!r} must be a positive number of seconds")
        return float(timeout)
    from .settings import auth_timeout_from_env

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
        self._key = self._load(force=False)

    def region(self) -> tuple[str, str] | None:
        """The region the SDK signer found (instance metadata, the platform's variables)."""
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


RP_VERSION = "OCI_RESOURCE_PRINCIPAL_VERSION"
RP_TOKEN = "OCI_RESOURCE_PRINCIPAL_RPST"
RP_KEY = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"
RP_PASSPHRASE = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE"


def _value_or_file(name: str, source: Secret) -> tuple[Secret, str | None]:
    """A resource-principal variable's content: the file it names if it is an absolute
    path (the platform rewrites those), else the value itself. Returns (content, path)."""
    value = source.reveal()
    if not os.path.isabs(value):
        return source, None
    warn_if_readable_by_others(value, f"{name} file")
    try:
        with open(value, encoding="utf-8") as handle:
            return Secret(handle.read().strip()), value
    except OSError as error:
        raise CredentialsError(f"{name} names {value}, which cannot be read ({error.strerror})") from None


class ResourcePrincipalV22Credentials(CredentialsProvider):
    """Resource principal 2.2, read directly as the SDK defines it.

    The session token, its private key and the key's pass phrase each come from a
    variable holding either the value or the absolute path of a file the platform
    rewrites; files are read again near expiry and after a 401. Reading two values needs
    no ``oci`` import, which keeps a Function's first request as fast as an unsigned one.
    """

    kind = "resource_principal"

    def __init__(self) -> None:
        super().__init__()
        # Each may be the secret itself rather than a path: held as Secret, never shown.
        self._token_source = Secret(os.environ.get(RP_TOKEN, "").strip())
        self._key_source = Secret(os.environ.get(RP_KEY, "").strip())
        self._phrase_source = Secret(os.environ.get(RP_PASSPHRASE, "").strip())
        for name, value in ((RP_TOKEN, self._token_source), (RP_KEY, self._key_source)):
            if not value:
                raise ConfigurationError(
                    f"{name} is not set; resource principal 2.2 needs {RP_TOKEN} and {RP_KEY} "
                    "(values or absolute file paths), which the platform sets"
                )
        self._key = self._load(force=False)

    def region(self) -> tuple[str, str] | None:
        region = os.environ.get("OCI_RESOURCE_PRINCIPAL_REGION", "").strip()
        return (region, "OCI_RESOURCE_PRINCIPAL_REGION") if region else None

    def _load(self, *, force: bool) -> SigningKey:
        token, token_path = _value_or_file(RP_TOKEN, self._token_source)
        where = f"the token in {token_path}" if token_path else f"the token in {RP_TOKEN}"
        expires_at = token_expiry(
            token,
            invalid=CredentialsError(f"{where} is not a valid security token; check {RP_TOKEN}"),
            expired=CredentialsError(f"{where} has expired and was not renewed by the platform"),
        )
        pem, key_path = _value_or_file(RP_KEY, self._key_source)
        phrase = _value_or_file(RP_PASSPHRASE, self._phrase_source)[0] if self._phrase_source else None
        origin = KeyOrigin(
            f"key file {key_path}" if key_path else f"the private key in {RP_KEY}",
            RP_KEY,
            f"check {RP_KEY}",
            f"set {RP_PASSPHRASE}",
            RP_PASSPHRASE,
        )
        private_key = parse_private_key(
            pem.reveal().encode("utf-8"), phrase.reveal().encode("utf-8") if phrase else None, origin
        )
        return SigningKey("ST$" + token.reveal(), private_key, expires_at, refresh_time(expires_at))


def _describe(error: Exception) -> str:
    """A one-line reason for an SDK failure, without request details that may hold tokens."""
    status = getattr(error, "status", None)
    if isinstance(status, int):  # oci.exceptions.ServiceError: keep status, code and message only
        code, message = getattr(error, "code", None), str(getattr(error, "message", "") or "")
        detail = f"HTTP {status}" + (f" {code}" if code else "")
        return f"{detail}: {_safe_line(message)}" if _safe_line(message) else detail
    text = _safe_line(str(error))
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def instance_principal(*, timeout: float | None = None, **kwargs: Any) -> SdkSignerCredentials:
    """Instance principal: instance metadata (``OCI_METADATA_BASE_URL``) and X.509 federation.

    ``federation_endpoint`` defaults to ``OCI_OPENAI_FEDERATION_ENDPOINT``, else the SDK
    derives it from the instance's region; other keyword arguments go to the SDK signer.
    """
    from .settings import OCI_OPENAI_FEDERATION_ENDPOINT

    if not kwargs.get("federation_endpoint"):
        from_env = os.environ.get(OCI_OPENAI_FEDERATION_ENDPOINT, "").strip()
        if from_env:
            kwargs["federation_endpoint"] = from_env

    def factory() -> Any:
        from oci.auth.signers import InstancePrincipalsSecurityTokenSigner

        return InstancePrincipalsSecurityTokenSigner(**kwargs)

    def source() -> str:
        metadata = os.environ.get("OCI_METADATA_BASE_URL", "").strip() or "http://169.254.169.254/opc/v2"
        federation = kwargs.get("federation_endpoint") or "the region's federation endpoint"
        return f"instance metadata ({metadata}) or {federation}"

    hints = {
        "refused": "nothing listens there; on an OCI instance leave OCI_METADATA_BASE_URL unset, "
        "elsewhere use another principal kind",
        "tls": "the federation endpoint's certificate does not verify; check the machine's CA bundle",
        "http": "the service refused the instance's identity; check that a dynamic group matches this "
        "instance and a policy allows it Generative AI",
    }
    return SdkSignerCredentials("instance_principal", factory, timeout=timeout, source=source, hints=hints)


def resource_principal(*, timeout: float | None = None, **kwargs: Any) -> CredentialsProvider:
    """Resource principal of any version the SDK supports (``OCI_RESOURCE_PRINCIPAL_VERSION``):
    2.2 is read directly, the others through the SDK's signers."""
    version = os.environ.get(RP_VERSION, "").strip()
    if not version:
        raise ConfigurationError(
            f"{RP_VERSION} is not set; resource principal auth runs inside OCI Functions, "
            "Data Science or another service that sets it"
        )
    if version == "2.2" and not kwargs:
        return ResourcePrincipalV22Credentials()

    def factory() -> Any:
        from oci.auth.signers import get_resource_principals_signer

        return get_resource_principals_signer(**kwargs)

    return SdkSignerCredentials(
        "resource_principal",
        factory,
        timeout=timeout,
        source=lambda: f"the resource principal {version} token source",
    )


def workload_identity(
    *, timeout: float | None = None, service_account_token_path: str | None = None, **kwargs: Any
) -> SdkSignerCredentials:
    """OKE workload identity: the service-account token exchanged at the proxymux.

    ``service_account_token_path`` defaults to ``OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH``,
    else the SDK's default (the pod's mounted service-account token).
    """
    from .settings import OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH

    host = os.environ.get("KUBERNETES_SERVICE_HOST", "").strip()
    if not host:
        raise ConfigurationError("KUBERNETES_SERVICE_HOST is not set; workload identity auth runs in an OKE pod")
    path = service_account_token_path or os.environ.get(OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH, "").strip() or None
    if path is not None:
        if not os.path.isfile(path):
            raise ConfigurationError(
                f"service account token file {path} does not exist; "
                f"set {OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH} to the pod's projected token file"
            )
        kwargs["service_account_token_path"] = path

    def factory() -> Any:
        from oci.auth.signers import get_oke_workload_identity_resource_principal_signer

        return get_oke_workload_identity_resource_principal_signer(**kwargs)

    hints = {
        "tls": "set OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH to the cluster's CA bundle (default "
        "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt)",
        "refused": "nothing listens there; check KUBERNETES_SERVICE_HOST and that the cluster is an "
        "enhanced OKE cluster with workload identity",
        "http": "the proxymux refused the service account; check its token file and the policy that "
        "names this workload",
    }
    return SdkSignerCredentials(
        "workload_identity",
        factory,
        timeout=timeout,
        source=lambda: f"the OKE proxymux at {host}:12250",
        hints=hints,
    )


#: The header that carries a delegation token, signed with the request.
OBO_HEADER = "opc-obo-token"


class DelegationToken:
    """A user's delegation token (Cloud Shell): given, or read from a file that is read
    again when it changes (the platform renews it in place). Never shown: its ``repr`` is redacted."""

    def __init__(self, value: str | None = None, path: str | None = None) -> None:
        self._value = Secret(value.strip()) if value else None
        self.path = path
        self._stamp: tuple[float, int] | None = None

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
            profile = read_profile(
                config_file
                or _env_first(("OCI_OPENAI_CONFIG_FILE", "OCI_CLI_CONFIG_FILE", "OCI_CONFIG_FILE"))
                or DEFAULT_CONFIG_FILE,
                profile_name
                or _env_first(("OCI_OPENAI_PROFILE", "OCI_CLI_PROFILE", "OCI_CONFIG_PROFILE"))
                or DEFAULT_PROFILE,
            )
            path = profile.path("delegation_token_file", "Cloud Shell's profiles name the delegation token file")
        token = cls(path=os.path.expanduser(path))
        token.value()  # a missing or empty file fails here, at construction
        return token

    def value(self) -> str:
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


def _env_first(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def delegation_token_principal(
    token: DelegationToken, *, timeout: float | None = None, **kwargs: Any
) -> SdkSignerCredentials:
    """The instance principal that signs with a delegation token (its federation is the
    instance's; the token travels in the signed ``opc-obo-token`` header)."""
    from .settings import OCI_OPENAI_FEDERATION_ENDPOINT

    if not kwargs.get("federation_endpoint"):
        from_env = os.environ.get(OCI_OPENAI_FEDERATION_ENDPOINT, "").strip()
        if from_env:
            kwargs["federation_endpoint"] = from_env

    def factory() -> Any:
        from oci.auth.signers import InstancePrincipalsDelegationTokenSigner

        return InstancePrincipalsDelegationTokenSigner(delegation_token=token.value(), **kwargs)

    def source() -> str:
        metadata = os.environ.get("OCI_METADATA_BASE_URL", "").strip() or "http://169.254.169.254/opc/v2"
        federation = kwargs.get("federation_endpoint") or "the region's federation endpoint"
        return f"instance metadata ({metadata}) or {federation}"

    return SdkSignerCredentials("delegation_token", factory, timeout=timeout, source=source)
