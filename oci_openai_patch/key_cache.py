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
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

_MAX_KEYS = 32
_keys: OrderedDict[bytes, Any] = OrderedDict()
_lock = threading.Lock()


def _renew_lock_after_fork() -> None:
    # A fork while another thread parsed a key would leave the child's lock held forever.
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_renew_lock_after_fork)


def _digest(data: bytes, pass_phrase: bytes | None) -> bytes:
    digest = hashlib.sha256(data)
    digest.update(b"\0" + (pass_phrase or b""))
    return digest.digest()


def cached_private_key(data: bytes, pass_phrase: bytes | None, parse: Callable[[bytes, bytes | None], Any]) -> Any:
    """``parse(data, pass_phrase)``, or the key it returned before for the same bytes."""
    key_id = _digest(data.strip(), pass_phrase)
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


def install_for_oci_sdk() -> None:
    """Route the ``oci`` SDK's key loading (used by its token signers on every refresh)
    through the cache. Idempotent; keys that fail to parse are not cached."""
    import oci.signer

    original = oci.signer.load_private_key
    if getattr(original, "_oci_openai_patch_cached", False):
        return

    def load_private_key(secret: Any, pass_phrase: Any) -> Any:
        data = secret.encode("ascii") if isinstance(secret, str) else bytes(secret)
        phrase = pass_phrase.encode("ascii") if isinstance(pass_phrase, str) else pass_phrase
        return cached_private_key(data, phrase, original)

    load_private_key._oci_openai_patch_cached = True  # type: ignore[attr-defined]
    load_private_key.__doc__ = original.__doc__
    oci.signer.load_private_key = load_private_key
