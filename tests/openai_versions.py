"""The openai major the suite runs against, and what that major does with our errors."""

from __future__ import annotations

import importlib.metadata

OPENAI_MAJOR = int(importlib.metadata.version("openai").split(".")[0])


def error_of_ours(raised: BaseException) -> BaseException:
    """The error of ours a caller sees: the one raised, or on openai 1.x (which wraps
    every exception of a send in ``APIConnectionError``) its cause."""
    cause = raised.__cause__
    return cause if OPENAI_MAJOR == 1 and cause is not None else raised
