"""Parse each private key once per process.

Loading an RSA private key with ``cryptography`` checks the key's consistency, which
takes some 80 ms and holds the GIL throughout: a refresh running in a worker thread
would still stall every event loop of the process for that long. Credentials are
reloaded often (a session token file re-read, an instance-principal certificate
re-fetched) while the key itself rarely changes, so parsed keys are kept by a digest of
their PEM and pass phrase -- never by the secret itself -- and a reload of unchanged
bytes costs a hash. A changed key is parsed (and checked) as before.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .process_locks import ProcessLock
from .redact import SecretBytes

_MAX_KEYS = 32
_keys: OrderedDict[bytes, Any] = OrderedDict()
_lock = ProcessLock("key cache")


def _digest(data: SecretBytes, pass_phrase: SecretBytes | None) -> bytes:
    digest = hashlib.sha256(data.reveal().strip())
    digest.update(b"\0" + (pass_phrase.reveal() if pass_phrase else b""))
    return digest.digest()


def cached_private_key(
    data: SecretBytes, pass_phrase: SecretBytes | None, parse: Callable[[SecretBytes, SecretBytes | None], Any]
) -> Any:
    """``parse(data, pass_phrase)``, or the key it returned before for the same bytes. The
    PEM and the pass phrase stay :class:`SecretBytes` (no plain local holds them) up to
    the parse call itself."""
    key_id = _digest(data, pass_phrase)
    with _lock:
        key = _keys.get(key_id)
        if key is not None:
            _keys.move_to_end(key_id)
            return key
    key = parse(data, pass_phrase)
    with _lock:
        _keys[key_id] = key
        while len(_keys) > _MAX_KEYS:
            _keys.popitem(last=False)
    return key


def _sdk_parse(original: Callable[[bytes, bytes | None], Any]) -> Callable[[SecretBytes, SecretBytes | None], Any]:
    def parse(data: SecretBytes, pass_phrase: SecretBytes | None) -> Any:
        return original(data.reveal(), pass_phrase.reveal() if pass_phrase else None)

    return parse


def install_for_oci_sdk() -> None:
    """Route the ``oci`` SDK's key loading (used by its token signers on every refresh)
    through the cache. Idempotent; keys that fail to parse are not cached."""
    import oci.signer

    original = oci.signer.load_private_key
    if getattr(original, "_oci_openai_patch_cached", False):
        return

    def load_private_key(secret: Any, pass_phrase: Any) -> Any:
        data = SecretBytes(secret.encode("ascii") if isinstance(secret, str) else bytes(secret))
        del secret
        phrase = pass_phrase.encode("ascii") if isinstance(pass_phrase, str) else pass_phrase
        held = SecretBytes(phrase) if phrase else None
        del phrase, pass_phrase
        return cached_private_key(data, held, _sdk_parse(original))

    load_private_key._oci_openai_patch_cached = True  # type: ignore[attr-defined]
    load_private_key.__doc__ = original.__doc__
    oci.signer.load_private_key = load_private_key
