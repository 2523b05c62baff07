"""``OCI_OPENAI_LOG``: the package's decisions on stderr, with no code change.

Like ``OPENAI_LOG``: ``debug`` or ``info`` gives the ``oci_openai_patch`` logger a stderr
handler at that level. Read wherever the package starts working (the zero-code patch, an
auth object, an ``OciOpenAI``), so the variable is never silently ignored; a value that is
not a level is a :class:`ConfigurationError` naming it.
"""

from __future__ import annotations

import logging
import os
import sys

from .errors import ConfigurationError

#: The variable, and its values -> logging levels.
OCI_OPENAI_LOG = "OCI_OPENAI_LOG"
LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}

logger = logging.getLogger("oci_openai_patch")
_handler: logging.Handler | None = None


def configure_logging() -> None:
    """Send the ``oci_openai_patch`` logger to stderr when ``OCI_OPENAI_LOG`` asks for it (idempotent)."""
    global _handler
    text = os.environ.get(OCI_OPENAI_LOG, "").strip()
    if not text:
        return
    level = LOG_LEVELS.get(text.lower())
    if level is None:
        raise ConfigurationError(f"{OCI_OPENAI_LOG}={text!r} is not a log level; use debug or info")
    if _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))
        logger.addHandler(_handler)
    logger.setLevel(level)
