"""Reading an OCI CLI/SDK config profile and its key files, with one-line errors.

The rules follow ``oci.config.from_file``: ``configparser`` without interpolation, the
``[DEFAULT]`` section inherited by every profile, ``~`` expanded in paths, and
``key_content`` refused in a file. Reading it here rather than through ``oci`` keeps
``import oci`` (about 0.35 s) off the start-up path of API-key and session users, and
lets every error name the file and the fix. A test compares the result with
``oci.config.from_file`` on the same files.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ConfigurationError, CredentialsError
from .key_cache import cached_private_key
from .permissions import warn_if_readable_by_others
from .redact import Secret, SecretBytes

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

DEFAULT_CONFIG_FILE = "~/.oci/config"
DEFAULT_PROFILE = "DEFAULT"
_SETUP_HINT = "run 'oci setup config' or pass config_file="


@dataclass(frozen=True)
class Profile:
    """The entries of one config profile that signing needs."""

    config_file: str
    name: str
    values: dict[str, str]
    #: Kept apart from ``values`` and held as a :class:`Secret`: a profile is a local in
    #: routine failures (an expired token, a fingerprint mismatch) that error reporters
    #: render with its ``repr``.
    pass_phrase: Secret | None = None

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return value if value else None

    def require(self, key: str, why: str) -> str:
        value = self.get(key)
        if value is None:
            raise ConfigurationError(
                f"{self.config_file}: profile [{self.name}] has no '{key}' entry ({why}); add it to the profile"
            )
        return value

    def path(self, key: str, why: str) -> str:
        return os.path.expanduser(self.require(key, why))


def read_profile(config_file: str = DEFAULT_CONFIG_FILE, profile_name: str = DEFAULT_PROFILE) -> Profile:
    """Read one profile of an OCI config file, as ``oci.config.from_file`` would."""
    path = os.path.expanduser(config_file)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigurationError(f"OCI config file {path} does not exist; {_SETUP_HINT}") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise ConfigurationError(f"OCI config file {path} cannot be read ({reason}); check its permissions") from None
    except configparser.Error as error:
        raise ConfigurationError(
            f"OCI config file {path} is not a valid INI file ({type(error).__name__}); {_SETUP_HINT}"
        ) from None
    warn_if_readable_by_others(path, "OCI config file")
    if profile_name not in parser:
        known = ", ".join([DEFAULT_PROFILE] * bool(parser.defaults()) + parser.sections()) or "none"
        raise ConfigurationError(
            f"profile [{profile_name}] is not in OCI config file {path} (profiles: {known}); "
            "set OCI_OPENAI_PROFILE or profile_name= to one of them"
        )
    values = dict(parser[profile_name])
    if "key_content" in values:
        raise ConfigurationError(
            f"{path}: profile [{profile_name}] sets key_content, which the oci SDK refuses in a file; use key_file"
        )
    phrase = values.pop("pass_phrase", "")
    return Profile(config_file=path, name=profile_name, values=values, pass_phrase=Secret(phrase) if phrase else None)


def load_private_key(path: str, pass_phrase: Secret | None, *, source: str) -> RSAPrivateKey:
    """Load a PEM RSA private key file, explaining the usual mistakes without showing secrets
    (the PEM and the pass phrase are never plain locals)."""
    try:
        with open(path, "rb") as handle:
            data = SecretBytes(handle.read().strip())
    except FileNotFoundError:
        raise ConfigurationError(f"key file {path} (from {source}) does not exist; fix key_file") from None
    except OSError as error:
        raise ConfigurationError(
            f"key file {path} (from {source}) cannot be read ({error.strerror}); check its permissions"
        ) from None
    warn_if_readable_by_others(path, "key file")
    origin = KeyOrigin(f"key file {path}", source, "fix key_file", "add pass_phrase to the profile", "pass_phrase")
    phrase = SecretBytes(pass_phrase.reveal().encode("utf-8")) if pass_phrase else None
    return parse_private_key(data, phrase, origin)


@dataclass(frozen=True)
class KeyOrigin:
    """Where a key came from, for error messages: what it is, who named it, how to fix it."""

    label: str
    source: str
    key_fix: str
    phrase_fix: str
    phrase_name: str


def parse_private_key(data: SecretBytes, password: SecretBytes | None, origin: KeyOrigin) -> RSAPrivateKey:
    """Parse PEM ``data`` (once per process, see :mod:`.key_cache`) into an RSA private key."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    label, source = origin.label, origin.source
    try:
        key = cached_private_key(data, password, _parse_trusted_pem)
    except TypeError:
        if password is None:
            raise ConfigurationError(
                f"{label} is encrypted and {source} sets no {origin.phrase_name}; {origin.phrase_fix}"
            ) from None
        # A pass phrase given for an unencrypted key: the SDK accepts this, so do we.
        return parse_private_key(data, None, origin)
    except ValueError:
        if _is_public_key(data):
            raise ConfigurationError(
                f"{label} (from {source}) holds a public key; it must be the private key ({origin.key_fix})"
            ) from None
        if password is not None:
            raise ConfigurationError(
                f"{label} cannot be decrypted with the {origin.phrase_name} from {source}; fix {origin.phrase_name}"
            ) from None
        raise ConfigurationError(f"{label} (from {source}) is not a PEM private key; {origin.key_fix}") from None
    if not isinstance(key, RSAPrivateKey):
        raise ConfigurationError(f"{label} (from {source}) is not an RSA key; OCI signs with RSA keys")
    return key


def _parse_trusted_pem(data: SecretBytes, password: SecretBytes | None) -> object:
    """Parse a PEM private key from the user's own files without the RSA consistency check.

    The check costs about 80 ms with the GIL held -- a tenth of a process's time to its
    first request, and a stall for every event loop when a key is reloaded. It guards
    against hostile keys; these come from the user's own config and the platform's
    files. A damaged key still cannot sign for anyone else: its signatures fail (401).
    """
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(
        data.reveal(), password.reveal() if password else None, unsafe_skip_rsa_key_validation=True
    )


def _is_public_key(data: SecretBytes) -> bool:
    from cryptography.hazmat.primitives import serialization

    for loader in (serialization.load_pem_public_key, serialization.load_ssh_public_key):
        try:
            loader(data.reveal())
        except (ValueError, TypeError):
            continue
        except Exception:  # noqa: BLE001 - unsupported algorithms and the like
            continue
        return True
    return False


def key_fingerprint(private_key: RSAPrivateKey) -> str:
    """The OCI API-key fingerprint: MD5 of the DER public key, colon-separated hex."""
    from cryptography.hazmat.primitives import serialization

    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def jwt_claims(token: str) -> dict[str, object]:
    """The claims of a JWT, unverified: used for its expiry only, never for trust."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    if not isinstance(claims, dict):
        raise ValueError("JWT claims are not an object")
    return claims


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT as a Unix time, or None if it has none or is not a JWT."""
    try:
        exp = jwt_claims(token).get("exp")
    except (ValueError, UnicodeDecodeError):
        return None
    return float(exp) if isinstance(exp, (int, float)) else None


def read_security_token(path: str, *, source: str) -> tuple[Secret, float | None]:
    """Read a session token file; refuse a token that is garbled or already expired."""
    refresh = "run 'oci session refresh' (or 'oci session authenticate' if that fails)"
    try:
        with open(path, encoding="utf-8") as handle:
            token = Secret(handle.read().strip())
    except FileNotFoundError:
        raise ConfigurationError(f"security token file {path} (from {source}) does not exist; {refresh}") from None
    except (OSError, UnicodeDecodeError):
        raise ConfigurationError(f"security token file {path} (from {source}) cannot be read; {refresh}") from None
    if not token:
        raise ConfigurationError(f"security token file {path} is empty; {refresh}")
    warn_if_readable_by_others(path, "security token file")
    expiry = token_expiry(
        token,
        invalid=ConfigurationError(f"security token file {path} does not hold a valid token; {refresh}"),
        expired=CredentialsError(f"the session token in {path} has expired; {refresh}"),
    )
    return token, expiry


def token_expiry(token: Secret, *, invalid: Exception, expired: Exception) -> float | None:
    """The expiry of a security token (a JWT); raise ``invalid`` if it is not one, or
    ``expired`` if it has expired."""
    try:
        jwt_claims(token.reveal())
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    expiry = jwt_expiry(token.reveal())
    if expiry is not None and expiry <= time.time():
        raise expired
    return expiry
