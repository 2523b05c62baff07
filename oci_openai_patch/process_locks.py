"""Locks that a forked child gets back unheld.

``os.fork`` copies a lock in whatever state it is in, but not the thread that holds it:
a fork taken while another thread is inside one of the package's critical sections (the
first token fetch installing its observer, a key being cached, the zero-code auth being
built) would leave that lock held for good in the child, and every later use waits
forever. Each :class:`ProcessLock` is registered here and replaced by a fresh lock in
the child, before any of the child's code runs. What such a lock guards is kept short
and free of imports, so a section cut off by the fork leaves nothing half done.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

_ALL: weakref.WeakSet[ProcessLock] = weakref.WeakSet()


class ProcessLock:
    """A ``threading.Lock`` (used with ``with``) that a forked child gets unheld."""

    __slots__ = ("__weakref__", "_lock", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        _ALL.add(self)

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc_info: Any) -> None:
        self._lock.release()

    def acquire(self) -> bool:
        return self._lock.acquire()

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __repr__(self) -> str:
        return f"ProcessLock({self.name!r}, locked={self.locked()})"


def process_locks() -> list[ProcessLock]:
    """Every live lock of the package (tests hold each of them across a fork)."""
    return list(_ALL)


def _renew_all() -> None:
    for lock in list(_ALL):
        lock._lock = threading.Lock()


os.register_at_fork(after_in_child=_renew_all)
