"""What the .pth line, ``sitecustomize`` and ``oci-openai-patch run`` call at start-up.

:func:`install` costs almost nothing: it imports no openai, oci, wrapt or httpx. It puts
a small finder in front of :data:`sys.meta_path` that waits for ``openai`` (and the HTTP
stacks of the routes past it, :mod:`.routes`) to be imported; only then is
:func:`oci_openai_patch.patch.patch` called (which imports wrapt), or the stack hooked. If
openai is already imported, it patches at once. The finder survives ``find_spec`` probes
and is removed once every watched module has executed. Any failure is logged, never raised:
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
    from collections.abc import Callable, Collection, Sequence
    from types import ModuleType
    from typing import Any

_installed = False


def _warn(message: str, error: BaseException) -> None:
    import logging

    logging.getLogger("oci_openai_patch").warning(message, error)


def _apply(*, openai_just_imported: bool = False) -> None:
    try:
        from .patch import is_patched, patch

        if not is_patched():
            # A configuration error is kept and raised where an OCI client is built. Right
            # after openai's own import no client can exist yet: none to look for.
            patch(_defer_errors=True, _adopt_existing=not openai_just_imported)
    except Exception as error:  # noqa: BLE001 - never break the host program at import time
        _warn("oci_openai_patch: not enabled: %s", error)


#: The modules waited for, and what to call with each once it has executed.
_WATCHED: "dict[str, Callable[[ModuleType], None]]" = {}

#: Per route past the openai client (:mod:`.routes`): the methods it wraps, each as
#: (module, class, method, ``route_module:factory``, is a coroutine method). The wrapper
#: is put in place while the program imports the module, and imports nothing then: its
#: factory (which builds the real wrapper from the module) is imported at the first call.
ROUTE_HOOKS = {
    "httpx": (
        ("httpx", "Client", "send", "httpx_route:send", False),
        ("httpx", "AsyncClient", "send", "httpx_route:send_async", True),
    ),
    "httpx2": (
        ("httpx2", "Client", "send", "httpx_route:send", False),
        ("httpx2", "AsyncClient", "send", "httpx_route:send_async", True),
    ),
    "requests": (("requests.adapters", "HTTPAdapter", "send", "requests_route:send", False),),
    "aiohttp": (("aiohttp.client_reqrep", "ClientRequest", "send", "aiohttp_route:send", True),),
    "urllib": (("http.client", "HTTPConnection", "request", "urllib_route:request", False),),
    "lm15": (
        ("dspy._vendor.lm15.transports._sync", "StdlibTransport", "stream", "lm15_route:stream", False),
        ("dspy._vendor.lm15.transports._async", "StdlibAsyncTransport", "_do_stream", "lm15_route:do_stream", True),
    ),
}

#: The routes were switched on at start-up (``OCI_OPENAI_AUTH``): until ``patch()`` runs,
#: they build the shim's state from the environment (``shim.patch.active_state``).
#: ``unpatch()`` clears it, and with it every route's signing.
routes_from_environment = False

#: Marks a method wrapped by a route (so a second hook of the same class is a no-op).
ROUTE_MARK = "_oci_openai_patch_route"


def hook_route(route: str, module: "ModuleType") -> None:
    """Wrap the methods ``route`` hooks in the just-imported ``module``."""
    for module_name, class_name, method_name, target, is_async in ROUTE_HOOKS[route]:
        if module_name == module.__name__:
            _wrap_method(route, module, getattr(module, class_name), method_name, target, is_async)


def _wrap_method(route: str, module: "ModuleType", cls: type, name: str, target: str, is_async: bool) -> None:
    """Make ``cls.name(self, ...)`` call ``around(bound original, self, args, kwargs)``,
    where ``around`` is what ``target`` (a factory in :mod:`.routes`) builds on first use.

    A plain function, not wrapt: importing wrapt (or functools, which ``http.client`` does
    not load) here would cost more than the stack's own import. The wrapper gets what
    ``functools.update_wrapper`` copies, stays a coroutine function for a coroutine method,
    and binds as the original did (its own descriptor).

    A route module may also offer ``<factory>_steady(module, route, original, around)``:
    the method to run from the first call on, which answers a request to a host already
    decided foreign in one frame (or None, where it cannot). It takes this wrapper's place
    on the class at the first call, unless something else has wrapped the method since
    (that wrapper holds this one, which then stays in use).
    """
    original = cls.__dict__[name]
    if getattr(original, ROUTE_MARK, False):
        return
    built: list[Any] = []
    # Bound once here: ``original.__get__`` looked up per call would make an object per request.
    bind = original.__get__

    def around() -> "Any":
        if not built:
            route_module, _, factory = target.partition(":")
            found = __import__(f"{__package__}.routes.{route_module}", fromlist=[factory])
            built.append(getattr(found, factory)(module, route))
            steady = getattr(found, f"{factory}_steady", None)
            replacement = steady(module, route, original, built[0]) if steady is not None else None
            if replacement is not None and cls.__dict__.get(name) is method:
                setattr(cls, name, _dressed(replacement, original))
        return built[0]

    if is_async:

        async def method(self: "Any", *args: "Any", **kwargs: "Any") -> "Any":
            return await (built[0] if built else around())(bind(self, type(self)), self, args, kwargs)

    else:

        def method(self: "Any", *args: "Any", **kwargs: "Any") -> "Any":  # type: ignore[misc]
            return (built[0] if built else around())(bind(self, type(self)), self, args, kwargs)

    setattr(cls, name, _dressed(method, original))


def _dressed(method: "Callable[..., Any]", original: "Any") -> "Callable[..., Any]":
    """``method`` with what ``functools.update_wrapper`` copies from ``original``, and the mark."""
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(method, attribute, getattr(original, attribute, None))
    method.__dict__.update(getattr(original, "__dict__", {}))
    method.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(method, ROUTE_MARK, True)
    return method


def watch_routes(disabled: "Collection[str]") -> None:
    """Hook every route but ``disabled`` now for a stack already imported, else when it is."""
    for route, hooks in ROUTE_HOOKS.items():
        if route not in disabled:
            for module_name in {hook[0] for hook in hooks}:
                watch(module_name, _route_callback(route))


def _route_callback(route: str) -> "Callable[[ModuleType], None]":
    def hook(module: "ModuleType") -> None:
        hook_route(route, module)

    return hook


class _PatchingLoader:
    """A watched module's own loader, which calls the module's callback once it has executed.

    A loader by protocol (``create_module``, ``exec_module``); every other attribute
    (``get_filename``, ``is_package``, resource readers) is the real loader's.
    """

    def __init__(self, loader: "Any") -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> "Any":
        return getattr(self._loader, name)

    def create_module(self, spec: "importlib.machinery.ModuleSpec") -> "ModuleType | None":
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: "ModuleType") -> None:
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        module.__loader__ = self._loader
        self._loader.exec_module(module)
        callback = _WATCHED.pop(module.__name__, None)
        if not _WATCHED:
            _uninstall_finder()
        if callback is not None:
            try:
                callback(module)
            except Exception as error:  # noqa: BLE001 - never break the host program at import time
                _warn("oci_openai_patch: not enabled: %s", error)


class _PatchAfterImport:
    """Finds nothing itself; hands out a watched module's spec with a loader that calls
    back after exec.

    It stays on :data:`sys.meta_path` until every watched module has really been executed:
    a mere ``importlib.util.find_spec("openai")`` (how instructor, dspy and many others
    probe for optional dependencies) gets a spec and leaves the finder in place, so the
    real import that may follow, by any route, is still seen.
    """

    def find_spec(
        self, fullname: str, path: "Sequence[str] | None", target: "ModuleType | None" = None
    ) -> "importlib.machinery.ModuleSpec | None":
        if fullname not in _WATCHED:
            return None
        spec: importlib.machinery.ModuleSpec | None = None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or isinstance(finder, _PatchAfterImport) or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None or isinstance(spec.loader, _PatchingLoader):
            return spec
        spec.loader = _PatchingLoader(spec.loader)  # type: ignore[assignment]  # a loader by protocol
        return spec


def _uninstall_finder() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _PatchAfterImport)]


def watch(fullname: str, callback: "Callable[[ModuleType], None]") -> None:
    """Call ``callback(module)`` once ``fullname`` has executed: now if it is imported."""
    module = sys.modules.get(fullname)
    if module is not None and fullname not in _WATCHED:
        callback(module)
        return
    _WATCHED[fullname] = callback
    if not any(isinstance(finder, _PatchAfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchAfterImport())


def _disabled_routes() -> "set[str]":
    """``OCI_OPENAI_DISABLED_ROUTES``, read cheaply; an unknown name disables nothing here
    (every route stays hooked, and the state built from the environment reports it)."""
    names = {name.strip().lower() for name in os.environ.get("OCI_OPENAI_DISABLED_ROUTES", "").split(",")}
    names.discard("")
    return names if names <= set(ROUTE_HOOKS) else set()


def install() -> None:
    """Arrange for openai to be patched, and the routes past it hooked, when (or if
    already) imported; idempotent."""
    global _installed, routes_from_environment
    if _installed or not os.environ.get("OCI_OPENAI_AUTH", "").strip():
        return
    _installed = True
    routes_from_environment = True
    watch_routes(_disabled_routes())
    if "openai" in sys.modules:
        _apply()
    else:
        watch("openai", lambda module: _apply(openai_just_imported=True))


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
