"""The RSA operation of an async request's signature, beside the event loop.

The private-key operation is most of what a signature costs, and ``cryptography`` releases
the GIL while it runs. On an event loop's thread that time is lost to every other task; in
a worker thread the loop goes on with its other requests while another core signs. The
hand-off itself costs the loop some CPU, more than it saves when there is no other core,
so with one usable CPU (``os.sched_getaffinity``, which ``taskset`` and container CPU sets
narrow) the signature stays on the loop. The figures behind both choices are in
``docs/benchmarks.md`` (``make bench``).

Workers are anyio's (``anyio.to_thread``), which run under asyncio and trio alike (httpx
and httpx2 use anyio), end with their event loop, and are never inherited across a
fork. At most one signature per usable CPU runs at a time, per event loop.
"""

from __future__ import annotations

import os
from typing import Any

from .signing import PendingSignature, rsa_sign

#: Set by benchmarks and tests to force a mode: True (worker), False (inline), None (by CPUs).
force_off_loop: bool | None = None

_usable_cpus: int | None = None
_limiter: Any = None


def _reset_after_fork() -> None:
    # The child may be given another CPU set (a worker process pinned by its parent).
    global _usable_cpus
    _usable_cpus = None


os.register_at_fork(after_in_child=_reset_after_fork)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask), read once per process."""
    global _usable_cpus
    if _usable_cpus is None:
        try:
            _usable_cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # not on Linux: every CPU counts
            _usable_cpus = os.cpu_count() or 1
    return _usable_cpus


def signs_off_loop() -> bool:
    """Whether async signatures go to a worker thread here."""
    return force_off_loop if force_off_loop is not None else usable_cpus() > 1


def _signing_limiter() -> Any:
    """This event loop's limit of concurrent worker signatures (one per usable CPU)."""
    global _limiter
    if _limiter is None:
        from anyio import CapacityLimiter
        from anyio.lowlevel import RunVar

        _limiter = (RunVar("oci_openai_patch_signing_limiter"), CapacityLimiter)
    run_var, limiter_type = _limiter
    try:
        return run_var.get()
    except LookupError:
        limiter = limiter_type(max(usable_cpus(), 1))
        run_var.set(limiter)
        return limiter


def _sign_pending(pending: PendingSignature) -> bytes:
    return rsa_sign(pending.private_key, pending.data)


async def async_rsa_sign(pending: PendingSignature) -> bytes:
    """:func:`~oci_openai_patch.signing.rsa_sign` of a pending signature, in a worker thread
    when that pays. It takes the :class:`PendingSignature` itself, whose ``repr`` hides the
    signing string and the token: while the worker runs, this frame is the one a cancelled
    request's traceback shows with its locals."""
    if not signs_off_loop():
        return _sign_pending(pending)
    import anyio.to_thread

    signature: bytes = await anyio.to_thread.run_sync(_sign_pending, pending, limiter=_signing_limiter())
    return signature
