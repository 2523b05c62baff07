"""Measuring how long an event loop goes without running, while some work runs on it."""

from __future__ import annotations

import asyncio
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
