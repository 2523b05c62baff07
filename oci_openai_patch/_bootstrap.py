"""What the .pth line, ``sitecustomize`` and ``oci-openai-patch run`` call at start-up.

:func:`install` costs almost nothing: it imports no openai, oci, wrapt or httpx. It puts
a small finder in front of :data:`sys.meta_path` that waits for ``openai`` to be
imported; only then is :func:`oci_openai_patch.patch.patch` called (which imports wrapt).
If openai is already imported, it patches at once. Any failure is logged, never raised:
a broken configuration must not stop the host program from starting. Several routes at
once install one finder and patch once.
"""

import os
import sys

# Imported in every interpreter where the shim is on: only ``os`` and ``sys`` (already
# loaded) at run time. ``typing``, ``logging`` and ``importlib.abc`` would cost tens of
# milliseconds for programs that never import openai.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import importlib.machinery
    from collections.abc import Sequence
    from types import ModuleType
    from typing import Any

_installed = False


def _warn(message: str, error: BaseException) -> None:
    import logging

    logging.getLogger("oci_openai_patch").warning(message, error)


def _apply() -> None:
    try:
        from .patch import is_patched, patch

        if not is_patched():
            # A configuration error is kept and raised where an OCI client is built.
            patch(_defer_errors=True)
    except Exception as error:  # noqa: BLE001 - never break the host program at import time
        _warn("oci_openai_patch: not enabled: %s", error)


class _PatchAfterImport:
    """Finds nothing itself; wraps the loader of ``openai`` so it patches after exec.

    A meta path finder and loader by protocol (``find_spec``, ``create_module``,
    ``exec_module``), without the ``importlib.abc`` base classes and their imports.
    """

    def find_spec(
        self, fullname: str, path: "Sequence[str] | None", target: "ModuleType | None" = None
    ) -> "importlib.machinery.ModuleSpec | None":
        if fullname != "openai":
            return None
        sys.meta_path.remove(self)  # one shot: find the real spec without finding ourselves
        import importlib.util

        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        self._loader: Any = spec.loader
        spec.loader = self  # type: ignore[assignment]  # a loader by protocol
        return spec

    def create_module(self, spec: "importlib.machinery.ModuleSpec") -> "ModuleType | None":
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: "ModuleType") -> None:
        module.__spec__.loader = self._loader  # type: ignore[union-attr]
        module.__loader__ = self._loader
        self._loader.exec_module(module)
        _apply()


def install() -> None:
    """Arrange for openai to be patched when (or if already) imported; idempotent."""
    global _installed
    if _installed or not os.environ.get("OCI_OPENAI_AUTH", "").strip():
        return
    _installed = True
    if "openai" in sys.modules:
        _apply()
    else:
        sys.meta_path.insert(0, _PatchAfterImport())


def chain_next_sitecustomize(this_file: str) -> None:
    """Import the ``sitecustomize`` that ours hides, if one exists further on sys.path.

    Python imports only the first ``sitecustomize`` it finds; an image or virtualenv may
    already have one, and it must keep running.
    """
    import importlib

    here = os.path.dirname(os.path.abspath(this_file))
    ours = sys.modules.pop("sitecustomize", None)
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        importlib.import_module("sitecustomize")
    except ImportError:
        pass
    except Exception as error:  # noqa: BLE001 - their sitecustomize failing must not stop ours
        _warn("oci_openai_patch: the next sitecustomize failed: %s", error)
    finally:
        sys.path[:] = saved
        if ours is not None:
            sys.modules["sitecustomize"] = ours
