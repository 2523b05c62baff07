"""Our errors, raised while openai sends a request, as openai passes them on.

openai 2.x catches every exception its http client's ``send`` raises except its own
``OpenAIError``, retries the request ``max_retries`` times, then raises
``APIConnectionError("Connection error.")`` with ours as its cause. A token that cannot
be fetched or a request that must not be signed is no connection error: the user would
see "Connection error." instead of the one-line reason, and every retry would wait out
the token timeout again. So an error of ours raised from an auth flow is raised again as an instance of
both its own class and ``openai.OpenAIError``: openai 2.x passes it on at once, and
``except CredentialsError`` still catches it. openai 3.x passes on every error that is
not the transport's already; openai 1.x wraps everything (ours is then ``__cause__``).
"""

from __future__ import annotations

import sys
from typing import Any

from ..errors import OciOpenAIError

_openai_visible: dict[type[OciOpenAIError], type[OciOpenAIError]] = {}


def for_openai(error: OciOpenAIError) -> OciOpenAIError:
    """``error`` as an ``openai.OpenAIError`` too (same class name, message and traceback),
    or ``error`` itself when openai is not imported or it already is one."""
    openai_error = getattr(sys.modules.get("openai"), "OpenAIError", None)
    if not isinstance(openai_error, type) or isinstance(error, openai_error):
        return error
    kind = type(error)
    visible = _openai_visible.get(kind)
    if visible is None:

        def reduce_to_own_class(self: OciOpenAIError) -> tuple[type[OciOpenAIError], tuple[Any, ...]]:
            # Pickled (by a process pool, say) as the plain class of ours it stands for.
            return kind, self.args

        namespace = {"__module__": kind.__module__, "__reduce__": reduce_to_own_class}
        visible = type(kind.__name__, (kind, openai_error), namespace)
        visible.__qualname__ = kind.__qualname__
        _openai_visible[kind] = visible
    return visible(*error.args).with_traceback(error.__traceback__)
