"""Throwaway OCI config profiles (API key and session) known to a local endpoint.

Each helper writes a real private key and a real OCI config file into a directory, in
the layout ``oci setup config`` and ``oci session authenticate`` produce, and tells the
endpoint's verifier about the public key, so requests signed from the profile verify.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..oci_config import key_fingerprint
from .files import write_private
from .verify import SignatureVerifier, TokenIssuer

TEST_REGION = "us-chicago-1"


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_private_key(path: Path, key: rsa.RSAPrivateKey, pass_phrase: str | None = None) -> Path:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(pass_phrase.encode()) if pass_phrase else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    return write_private(path, pem)


def fake_ocid(kind: str) -> str:
    return f"ocid1.{kind}.oc1..{secrets.token_hex(16)}"


def _write_config(path: Path, profile: str, entries: dict[str, str]) -> None:
    lines = [f"[{profile}]"] + [f"{name}={value}" for name, value in entries.items()]
    # 0600, as the OCI CLI writes it; appended to when the file holds other profiles.
    write_private(path, ("\n".join(lines) + "\n\n").encode("utf-8"), append=path.exists())


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, so a concurrent reader sees old or new, never half."""
    temporary = path.with_name(path.name + ".new")
    write_private(temporary, text.encode("utf-8"))
    os.replace(temporary, path)


@dataclass
class ApiKeyProfile:
    """A user-principal profile: config file, key file and the key id OCI would see."""

    config_file: str
    profile: str
    key_file: str
    key_id: str
    private_key: rsa.RSAPrivateKey
    tenancy: str
    user: str
    fingerprint: str


def make_api_key_profile(
    directory: Path,
    verifier: SignatureVerifier,
    *,
    profile: str = "DEFAULT",
    pass_phrase: str | None = None,
    key: rsa.RSAPrivateKey | None = None,
    config_name: str = "config",
) -> ApiKeyProfile:
    directory.mkdir(parents=True, exist_ok=True)
    key = key or new_private_key()
    key_file = write_private_key(directory / f"{profile.lower()}_api_key.pem", key, pass_phrase)
    tenancy, user, fingerprint = fake_ocid("tenancy"), fake_ocid("user"), key_fingerprint(key)
    entries = {
        "user": user,
        "fingerprint": fingerprint,
        "tenancy": tenancy,
        "region": TEST_REGION,
        "key_file": str(key_file),
    }
    if pass_phrase:
        entries["pass_phrase"] = pass_phrase
    config_file = directory / config_name
    _write_config(config_file, profile, entries)
    key_id = f"{tenancy}/{user}/{fingerprint}"
    verifier.register_key(key_id, key.public_key())
    return ApiKeyProfile(str(config_file), profile, str(key_file), key_id, key, tenancy, user, fingerprint)


@dataclass
class SessionProfile:
    """A session profile: its token file can be rotated as ``oci session refresh`` does."""

    config_file: str
    profile: str
    key_file: str
    token_file: str
    private_key: rsa.RSAPrivateKey
    verifier: SignatureVerifier

    @property
    def token(self) -> str:
        return Path(self.token_file).read_text(encoding="utf-8").strip()

    def rotate(self, ttl: float = 3600.0, *, revoke_old: bool = True) -> str:
        """Write a fresh token to the token file; by default the old one stops working."""
        old = self.token
        token = self.verifier.issuer.issue(self.private_key.public_key(), ttl=ttl)
        _replace_file(Path(self.token_file), token)
        if revoke_old:
            self.verifier.issuer.revoke(old)
        return token


def make_session_profile(
    directory: Path,
    verifier: SignatureVerifier,
    *,
    profile: str = "DEFAULT",
    ttl: float = 3600.0,
    config_name: str = "config",
) -> SessionProfile:
    directory.mkdir(parents=True, exist_ok=True)
    key = new_private_key()
    key_file = write_private_key(directory / f"{profile.lower()}_session_key.pem", key)
    token_file = directory / f"{profile.lower()}_token"
    _replace_file(token_file, verifier.issuer.issue(key.public_key(), ttl=ttl))
    config_file = directory / config_name
    entries = {
        "fingerprint": key_fingerprint(key),
        "key_file": str(key_file),
        "tenancy": fake_ocid("tenancy"),
        "region": TEST_REGION,
        "security_token_file": str(token_file),
    }
    _write_config(config_file, profile, entries)
    return SessionProfile(str(config_file), profile, str(key_file), str(token_file), key, verifier)


@dataclass
class ResourcePrincipalFiles:
    """Resource principal 2.2 as OCI Functions and Data Science jobs see it: a session
    token and its private key, in files the platform rewrites, named by environment
    variables."""

    token_file: str
    key_file: str
    private_key: rsa.RSAPrivateKey
    verifier: SignatureVerifier
    region: str = TEST_REGION

    @property
    def token(self) -> str:
        return Path(self.token_file).read_text(encoding="utf-8")

    def environ(self, *, inline: bool = False) -> dict[str, str]:
        """The variables the platform sets; ``inline`` puts the token and key in them directly."""
        return {
            "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
            "OCI_RESOURCE_PRINCIPAL_RPST": self.token if inline else self.token_file,
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": (
                Path(self.key_file).read_text(encoding="utf-8") if inline else self.key_file
            ),
            "OCI_RESOURCE_PRINCIPAL_REGION": self.region,
        }

    def rotate(self, ttl: float = 3600.0, *, revoke_old: bool = True) -> str:
        """Write a fresh token, as the platform does; by default the old one stops working."""
        old = self.token
        token = self._issue(ttl)
        _replace_file(Path(self.token_file), token)
        if revoke_old:
            self.verifier.issuer.revoke(old)
        return token

    def _issue(self, ttl: float) -> str:
        return self.verifier.issuer.issue(
            self.private_key.public_key(),
            ttl=ttl,
            res_type="resource",
            res_tenant=fake_ocid("tenancy"),
            res_compartment=fake_ocid("compartment"),
        )


def make_resource_principal_files(
    directory: Path, verifier: SignatureVerifier, *, ttl: float = 3600.0
) -> ResourcePrincipalFiles:
    directory.mkdir(parents=True, exist_ok=True)
    key = new_private_key()
    key_file = write_private_key(directory / "rp_private.pem", key)
    files = ResourcePrincipalFiles(str(directory / "rpst"), str(key_file), key, verifier)
    _replace_file(Path(files.token_file), files._issue(ttl))
    return files


@dataclass
class DelegationTokenProfile:
    """Cloud Shell's set-up: a profile whose ``delegation_token_file`` holds a user's token."""

    config_file: str
    profile: str
    token_file: str
    issuer: TokenIssuer

    @property
    def token(self) -> str:
        return Path(self.token_file).read_text(encoding="utf-8").strip()

    def rotate(self) -> str:
        """Write a fresh delegation token, as the platform renews it."""
        token = self.issuer.issue_claims(3600.0, sub=fake_ocid("user"), ptype="delegation")
        _replace_file(Path(self.token_file), token)
        return token


def make_delegation_token_profile(
    directory: Path, issuer: TokenIssuer, *, profile: str = "DEFAULT"
) -> DelegationTokenProfile:
    """A config file with ``delegation_token_file`` (and the region), as Cloud Shell writes it."""
    directory.mkdir(parents=True, exist_ok=True)
    token_file = directory / "delegation_token"
    made = DelegationTokenProfile(str(directory / "config"), profile, str(token_file), issuer)
    made.rotate()
    config = directory / "config"
    write_private(config, f"[{profile}]\nregion={TEST_REGION}\ndelegation_token_file={token_file}\n".encode())
    return made
