"""Session token: ``oci session authenticate``'s token file and session key."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from ..oci_config import DEFAULT_CONFIG_FILE, DEFAULT_PROFILE, load_private_key, read_profile, read_security_token
from .base import CredentialsProvider, SigningKey, _profile_region, _ProfileRegion, refresh_time

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

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
                profile.path("key_file", "the session private key"), profile.pass_phrase, source=source
            )
        return SigningKey(
            key_id="ST$" + token.reveal(),
            private_key=self._private_key,
            expires_at=expires_at,
            refresh_at=refresh_time(expires_at),
        )
