"""User principal: an API key from an OCI config profile."""

from __future__ import annotations

from ..errors import ConfigurationError
from ..oci_config import DEFAULT_CONFIG_FILE, DEFAULT_PROFILE, key_fingerprint, load_private_key, read_profile
from .base import CredentialsProvider, SigningKey, _profile_region, _ProfileRegion


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
        key = load_private_key(profile.path("key_file", "the API private key"), profile.pass_phrase, source=source)
        self._region = _profile_region(profile.get("region"), source)
        actual = key_fingerprint(key)
        if actual != fingerprint.strip().lower():
            raise ConfigurationError(
                f"{source}: fingerprint does not match key_file (the key's fingerprint is {actual}); "
                "fix fingerprint or key_file"
            )
        return SigningKey(key_id=f"{tenancy}/{user}/{fingerprint}", private_key=key)
