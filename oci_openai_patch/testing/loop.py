"""Measuring how long an event loop goes without running, while some work runs on it."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Awaitable
from typing import Any


async def longest_stall(work: Awaitable[Any], tick: float = 0.001) -> float:
    """Seconds of the longest stretch the loop did not run a ``tick``-second ticker while
    ``work`` ran (its result is awaited, so its errors propagate). A blocking call on the
    loop -- file I/O, a federation, key generation -- shows up as a stall of its length."""
    task = asyncio.ensure_future(work)
    longest = 0.0
    last = time.perf_counter()
    while not task.done():
        await asyncio.sleep(tick)
        now = time.perf_counter()
        longest = max(longest, now - last - tick)
        last = now
    await task
    return longest


class _LoopWatch:
    """What :func:`blocking_calls_on_loop` saw on one thread."""

    def __init__(self, thread: int) -> None:
        self.thread = thread
        self.calls: list[str] = []


_watch: _LoopWatch | None = None
_hook_installed = False


def _blocking_call(event: str, args: tuple[Any, ...]) -> str | None:
    """The audit event as a blocking call, or None when it does not block."""
    if event == "open":
        return f"open({args[0]!r})"
    if event == "socket.connect":
        sock = args[0]
        return None if sock.gettimeout() == 0.0 else f"blocking connect to {args[1]!r}"
    if event == "socket.getaddrinfo":
        return f"getaddrinfo({args[0]!r})"
    if event in ("time.sleep", "subprocess.Popen", "os.system"):
        return f"{event}{args!r}"
    return None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    watch = _watch
    if watch is None or threading.get_ident() != watch.thread:
        return
    call = _blocking_call(event, args)
    if call is not None:
        watch.calls.append(call)


async def blocking_calls_on_loop(work: Awaitable[Any]) -> list[str]:
    """The blocking calls the event loop's own thread made while ``work`` ran: file
    opens (reading a token or key file, importing a module), blocking socket connects
    (the SDK's federation client), name look-ups, sleeps and subprocesses, seen through
    audit events. A refresh done beside the loop leaves this empty, however long it
    takes; a timing check alone also passes on a fast machine. One watch at a time."""
    global _watch, _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # audit hooks cannot be removed: it stays, idle
        _hook_installed = True
    watch = _LoopWatch(threading.get_ident())
    _watch = watch
    try:
        await work
    finally:
        _watch = None
    return watch.calls
