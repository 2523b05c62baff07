"""The base class of the auth objects: ``httpx.Auth`` and ``httpx2.Auth``, as they come.

Both libraries check ``isinstance(auth, Auth)`` against their own ``Auth``, so one auth
object must derive from each library it may be handed to. Importing both up front costs
a program on openai 3.x (httpx2 only) the import of httpx, which also imports its
command-line extras (click, rich, pygments) when they are installed: 60-70 ms of the
first request's time, for a library the program never uses.

So the base starts from the libraries already imported, and a post-import hook (wrapt's)
adds each other installed library the moment it is imported. Assigning ``__bases__``
updates every subclass and every existing instance, so an auth built before
``import httpx`` is still an ``httpx.Auth`` when it reaches ``httpx.Client``.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

#: The HTTP libraries whose ``Auth`` the auth classes derive from, in MRO order.
LIBRARIES = ("httpx", "httpx2")


class _NoHttpLibraryImportedYet:
    """Stands in as the base until httpx or httpx2 is imported (same layout as theirs)."""


HttpxAuthBase: Any = type("HttpxAuthBase", (_NoHttpLibraryImportedYet,), {"__module__": __name__})


def _imported_bases() -> tuple[type, ...]:
    bases = []
    for name in LIBRARIES:
        auth = getattr(sys.modules.get(name), "Auth", None)
        if isinstance(auth, type):
            bases.append(auth)
    return tuple(bases)


def adopt_imported_libraries(*_: object) -> None:
    """Make :data:`HttpxAuthBase` derive from the ``Auth`` of each library imported now."""
    bases = _imported_bases()
    if bases and HttpxAuthBase.__bases__ != bases:
        HttpxAuthBase.__bases__ = bases


def _install() -> None:
    installed = [name for name in LIBRARIES if name in sys.modules or importlib.util.find_spec(name) is not None]
    if not installed:
        raise ImportError("oci_openai_patch needs httpx or httpx2; run: pip install httpx")
    adopt_imported_libraries()
    pending = [name for name in installed if name not in sys.modules]
    if pending:
        import wrapt

        for name in pending:
            wrapt.register_post_import_hook(adopt_imported_libraries, name)


_install()
