"""Writing throwaway credentials safely, even into a directory someone else can see.

Every key, token and config the testing helpers (and ``serve``) write goes through
:func:`write_private`: created with its final mode from the first byte (0600 by default),
never through a symbolic link, and exclusively: an existing regular file is removed and
created anew, so no other process keeps an open handle onto what is written.
"""

from __future__ import annotations

import os
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise FileExistsError(f"{path} is a symbolic link; remove it (credentials are never written through one)")


def write_private(path: Path, data: bytes, *, mode: int = 0o600, append: bool = False) -> Path:
    """Write ``data`` to ``path`` with ``mode``, refusing a symbolic link at ``path``."""
    _refuse_link(path)
    if append and path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | _NOFOLLOW)
    else:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
        except FileExistsError:
            _refuse_link(path)
            path.unlink()
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    with os.fdopen(descriptor, "ab" if append else "wb") as handle:
        handle.write(data)
        os.fchmod(handle.fileno(), mode)  # the umask may have narrowed it; never widened beyond mode
    return path
