"""A forked child never sends on a connection it inherited from its parent.

``os.fork`` copies a client's connection pool, sockets included. A parent that used a
client and then forked (``multiprocessing`` with ``fork``, a pre-fork server such as
gunicorn ``--preload`` with a module-level client) leaves parent and child holding the
same pooled connections: their requests interleave on one TCP stream (the endpoint reads
a body that does not match its signed ``x-content-sha256``), and on TLS both advance one
session's record numbers (the endpoint sees ``BAD_RECORD_MAC``). openai's retries hide
most of it.

Every http client the package signs through is tracked here (weakly). In the child,
before any of its code runs, each tracked client's pools forget their connections and
pending requests and get a fresh lock; the child opens its own connections. The parent's
are not touched: nothing is closed, so no TLS ``close_notify`` or shutdown reaches a
socket the parent still uses. The child keeps the inherited objects referenced (closing
them would run the libraries' own close, which may write to the shared socket), so they
cost the child a few file descriptors and nothing else.
"""

from __future__ import annotations

import os
import weakref
from typing import Any

_CLIENTS: weakref.WeakSet[Any] = weakref.WeakSet()
#: What the child inherited and never uses again (see the module's docstring).
_inherited: list[Any] = []


def track(http_client: Any) -> None:
    """Have ``http_client``'s pooled connections dropped in a forked child."""
    _CLIENTS.add(http_client)


def _transports(http_client: Any) -> list[Any]:
    found = [getattr(http_client, "_transport", None)]
    mounts = getattr(http_client, "_mounts", None)
    if isinstance(mounts, dict):
        found.extend(mounts.values())
    return [transport for transport in found if transport is not None]


def _is_pool(candidate: Any) -> bool:
    # httpcore's and httpcore2's pools, sync and async, hold these three.
    return all(hasattr(candidate, name) for name in ("_connections", "_requests", "_optional_thread_lock"))


def _pools(candidate: Any, depth: int = 3) -> list[Any]:
    """The connection pools under a transport: its ``_pool``, or inside a transport that
    wraps another (retry and logging wrappers keep the inner one as an attribute)."""
    if _is_pool(candidate):
        return [candidate]
    if depth == 0:
        return []
    try:
        attributes = list(vars(candidate).values())
    except TypeError:  # no __dict__: not a transport we can see into
        return []
    pools: list[Any] = []
    for value in attributes:
        if value is not None and not isinstance(value, (str, bytes, int, float, bool, tuple, list, dict)):
            pools.extend(_pools(value, depth - 1))
    return pools


def drop_inherited(http_client: Any) -> int:
    """Make ``http_client`` forget its pooled connections without closing them; the
    number forgotten. Called in a forked child only."""
    dropped = 0
    for transport in _transports(http_client):
        for pool in _pools(transport):
            connections = list(pool._connections)
            _inherited.append(connections)
            dropped += len(connections)
            pool._connections = []
            pool._requests = []
            pool._optional_thread_lock = type(pool._optional_thread_lock)()
    return dropped


def _in_child() -> None:
    for http_client in list(_CLIENTS):
        drop_inherited(http_client)


os.register_at_fork(after_in_child=_in_child)
