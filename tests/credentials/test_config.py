"""Config profiles read like oci.config.from_file, with one-line errors that show no secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import oci
import pytest

from oci_openai_patch import ConfigurationError, CredentialsError, OciSessionAuth, OciUserPrincipalAuth
from oci_openai_patch.oci_config import read_profile
from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile, make_session_profile
from oci_openai_patch.testing.profiles import new_private_key, write_private_key

PASS_PHRASE = "correct horse battery staple"


def test_profiles_read_like_the_oci_sdk(tmp_path: Path) -> None:
    verifier = SignatureVerifier()
    first = make_api_key_profile(tmp_path, verifier, profile="DEFAULT")
    make_api_key_profile(tmp_path, verifier, profile="OTHER", pass_phrase=PASS_PHRASE)
    with open(first.config_file, "a", encoding="utf-8") as handle:
        handle.write("[INHERITS]\nuser=ocid1.user.oc1..other\nextra=a%b\n")
    for name in ("DEFAULT", "OTHER", "INHERITS"):
        ours = read_profile(first.config_file, name).values
        theirs = oci.config.from_file(first.config_file, name)
        for key, value in ours.items():
            assert theirs[key] == value


def _error(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises((ConfigurationError, CredentialsError)) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    assert PASS_PHRASE not in message and "BEGIN" not in message
    return message


def test_missing_file_and_profile(tmp_path: Path) -> None:
    assert "oci setup config" in _error(lambda: OciUserPrincipalAuth(config_file=str(tmp_path / "nope")))
    profile = make_api_key_profile(tmp_path, SignatureVerifier())
    message = _error(lambda: OciUserPrincipalAuth(profile_name="PROD", config_file=profile.config_file))
    assert "[PROD]" in message and "DEFAULT" in message and "OCI_OPENAI_PROFILE" in message


def test_key_file_problems(tmp_path: Path) -> None:
    verifier = SignatureVerifier()
    encrypted = make_api_key_profile(tmp_path / "enc", verifier, pass_phrase=PASS_PHRASE)
    config = Path(encrypted.config_file)
    text = config.read_text()
    config.write_text(text.replace(f"pass_phrase={PASS_PHRASE}\n", ""))
    assert "pass_phrase" in _error(lambda: OciUserPrincipalAuth(config_file=str(config)))
    config.write_text(text.replace(PASS_PHRASE, "wrong"))
    assert "cannot be decrypted" in _error(lambda: OciUserPrincipalAuth(config_file=str(config)))

    plain = make_api_key_profile(tmp_path / "plain", verifier)
    key_path = Path(plain.key_file)
    from cryptography.hazmat.primitives import serialization

    key_path.write_bytes(
        plain.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert "public key" in _error(lambda: OciUserPrincipalAuth(config_file=plain.config_file))
    key_path.unlink()
    assert "does not exist" in _error(lambda: OciUserPrincipalAuth(config_file=plain.config_file))


def test_fingerprint_mismatch_is_caught_locally(tmp_path: Path) -> None:
    profile = make_api_key_profile(tmp_path, SignatureVerifier())
    write_private_key(Path(profile.key_file), new_private_key())
    assert "fingerprint does not match" in _error(lambda: OciUserPrincipalAuth(config_file=profile.config_file))


def test_session_token_problems(tmp_path: Path) -> None:
    verifier = SignatureVerifier()
    session = make_session_profile(tmp_path, verifier, ttl=-10)
    assert "oci session refresh" in _error(lambda: OciSessionAuth(config_file=session.config_file))
    Path(session.token_file).write_text("garbled")
    assert "valid token" in _error(lambda: OciSessionAuth(config_file=session.config_file))
    Path(session.token_file).unlink()
    assert "does not exist" in _error(lambda: OciSessionAuth(config_file=session.config_file))


def test_importing_the_package_is_light() -> None:
    code = (
        "import sys, oci_openai_patch; "
        "print(sorted(m for m in ('openai','oci','httpx','httpx2','wrapt','cryptography') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_key_cache_parses_each_key_once_and_follows_changes(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from oci_openai_patch.key_cache import cached_private_key, install_for_oci_sdk
    from oci_openai_patch.redact import SecretBytes
    from oci_openai_patch.testing.profiles import new_private_key

    calls: list[bytes] = []

    def parse(data: SecretBytes, pass_phrase: SecretBytes | None) -> object:
        calls.append(data.reveal())
        return serialization.load_pem_private_key(data.reveal(), None)

    pems = [
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        for key in (new_private_key(), new_private_key())
    ]
    first = cached_private_key(SecretBytes(pems[0]), None, parse)
    assert cached_private_key(SecretBytes(pems[0] + b"\n"), None, parse) is first  # same key, re-read
    second = cached_private_key(SecretBytes(pems[1]), None, parse)  # a rotated key is parsed
    assert second is not first and len(calls) == 2
    with pytest.raises(ValueError):
        cached_private_key(SecretBytes(b"garbage"), None, parse)
    with pytest.raises(ValueError):
        cached_private_key(SecretBytes(b"garbage"), None, parse)  # failures are not remembered
    assert len(calls) == 4

    import oci.signer

    install_for_oci_sdk()
    install_for_oci_sdk()  # idempotent
    assert oci.signer.load_private_key(pems[1].decode(), None) is second
    path = tmp_path / "k.pem"
    path.write_bytes(pems[0])
    assert oci.signer.load_private_key_from_file(str(path)) is first
