"""What every route of the local endpoint answers with: replies, OCI's error document, ids, list pages."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: An SSE event: its ``event:`` name (None for chat chunks, which have none) and data.
Event = tuple[str | None, dict[str, Any]]


@dataclass
class Reply:
    """What the endpoint sends back: JSON, raw bytes, or a stream of SSE events."""

    status: int
    payload: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"
    events: Iterator[Event] | None = None
    #: Chat streams end with ``data: [DONE]``; responses streams do not.
    done_marker: bool = False


def error(status: int, code: str, message: str) -> Reply:
    """OCI's error document."""
    return Reply(status, {"code": code, "message": message})


_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    """A unique, increasing id (``prefix_<counter><ms>``): sorting ids sorts by creation."""
    return f"{prefix}_{next(_ids):06d}{int(time.time() * 1000) % 100000:05d}"


def page(items: list[dict[str, Any]], *, ids: bool = True) -> dict[str, Any]:
    """A list page as openai's cursor pages read it."""
    listed: dict[str, Any] = {"object": "list", "data": items, "has_more": False}
    if ids:
        listed["first_id"] = items[0]["id"] if items else None
        listed["last_id"] = items[-1]["id"] if items else None
    return listed
