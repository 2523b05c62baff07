"""A one-time warning for credential files that other users can read.

ssh refuses such keys and the OCI CLI warns about them. Here it is a warning, not an
error: containers often mount secrets 0644 and there is nobody else on the machine.
``OCI_OPENAI_SUPPRESS_PERMISSION_WARNING=1`` silences it.
"""

from __future__ import annotations

import os
import stat
import warnings

from .errors import InsecurePermissionsWarning
from .process_locks import ProcessLock

#: Set to 1 to silence the warning (containers that mount secrets readable by all).
SUPPRESS_VARIABLE = "OCI_OPENAI_SUPPRESS_PERMISSION_WARNING"

_warned: set[str] = set()
_lock = ProcessLock("permission warnings")


def warn_if_readable_by_others(path: str, what: str) -> None:
    """Warn once per file if ``path`` is readable by its group or by others."""
    if os.name != "posix" or os.environ.get(SUPPRESS_VARIABLE, "").strip() in ("1", "true", "yes"):
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return
    with _lock:
        if path in _warned:
            return
        _warned.add(path)
    warnings.warn(
        f"{what} {path} is readable by other users (mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path} "
        f"(or set {SUPPRESS_VARIABLE}=1)",
        InsecurePermissionsWarning,
        stacklevel=2,
    )
