"""Is this thread running an event loop? Asked before work that would block it.

asyncio and trio are the loops httpx and httpx2 run under (through anyio). Neither is
imported here: a program that has not imported asyncio (or trio) cannot be running its
loop, so the check costs a dictionary look-up in a synchronous program.
"""

from __future__ import annotations

import sys


def running_in_event_loop() -> bool:
    """True when the calling thread is inside a running asyncio or trio event loop."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            return True
    trio = sys.modules.get("trio")
    in_trio_run = getattr(getattr(trio, "lowlevel", None), "in_trio_run", None)
    return bool(in_trio_run()) if callable(in_trio_run) else False
