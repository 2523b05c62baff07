"""The HTTP libraries installed here, for tests parametrised over both (httpx2 comes with openai 3)."""

from __future__ import annotations

import importlib.util

LIBRARIES = [name for name in ("httpx", "httpx2") if importlib.util.find_spec(name) is not None]
