"""Zero-code past the openai client: the HTTP stacks a program may reach OCI through.

With the shim on, a request to a host the shim signs for (OCI's service hosts and the
extra hosts of ``OCI_OPENAI_HOSTS``) is signed with the shim's principal whichever of
these stacks sends it; a request to any other host is untouched. Each route is one
module that hooks its stack when the program imports it, and nothing is imported before:

- ``httpx`` / ``httpx2``: ``Client.send`` and ``AsyncClient.send`` of any client
  (:mod:`.httpx_route`);
- ``requests``: ``HTTPAdapter.send`` (:mod:`.requests_route`);
- ``aiohttp``: ``ClientRequest.send`` (:mod:`.aiohttp_route`);
- ``urllib``: ``http.client.HTTPConnection.request``, which ``urllib.request`` uses
  (:mod:`.urllib_route`);
- ``lm15``: dspy's vendored lm15 transports, its default engine (:mod:`.lm15_route`).

A request that already carries an OCI signature is left exactly as it is; one that cannot
be signed (a body that cannot be hashed without consuming it) is refused with a one-line
error. ``OCI_OPENAI_DISABLED_ROUTES`` switches single routes off.

The openai patch uses wrapt. A route's hook runs inside the program's ``import requests``
(or ``import http.client``), where importing wrapt would cost more than importing
http.client itself (some 40 ms against 30 ms on the development machine, ``python -X
importtime``), so :func:`hook_method` wraps with a plain function. It gets the original's
name, docstring and ``__wrapped__`` (what ``functools.update_wrapper`` copies; functools
is not always loaded there yet), a coroutine method stays a coroutine function, and the
function's own descriptor binds it as the original was bound. Nothing else is imported
at that point: the signing itself (:mod:`.route_signing`) comes with the first request.
"""

# Imported while the program imports an HTTP stack: nothing that stack does not load
# already (typing, logging, dataclasses and wrapt would cost milliseconds there).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import ModuleType
    from typing import Any

    Around = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]
    AsyncAround = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Awaitable[Any]]

#: Per route, the modules whose import installs it and the hook (``module:function`` in
#: this package) that does. The bootstrap keeps the same table, so start-up imports nothing.
HOOKS: "dict[str, tuple[tuple[str, str], ...]]" = {
    "httpx": (("httpx", "httpx_route:hook"),),
    "httpx2": (("httpx2", "httpx_route:hook"),),
    "requests": (("requests.adapters", "requests_route:hook"),),
    "aiohttp": (("aiohttp.client_reqrep", "aiohttp_route:hook"),),
    "urllib": (("http.client", "urllib_route:hook"),),
    "lm15": (
        ("dspy._vendor.lm15.transports._sync", "lm15_route:hook_sync"),
        ("dspy._vendor.lm15.transports._async", "lm15_route:hook_async"),
    ),
}

#: The routes were installed at start-up: until ``patch()`` runs, they build the shim's
#: state from the environment (``shim.patch.active_state``); ``unpatch()`` clears it.
from_environment = False
#: The stack modules hooked in this process (a second hook of one is a no-op).
_hooked: "set[str]" = set()


def hook_module(route: str, module: "ModuleType", target: str) -> None:
    """Run ``target``'s hook on the just-imported ``module`` (once per module)."""
    if module.__name__ in _hooked:
        return
    _hooked.add(module.__name__)
    name, _, function = target.partition(":")
    hooks = __import__(f"{__name__}.{name}", fromlist=[function])  # importlib.import_module, without importlib
    getattr(hooks, function)(module, route)


def install(disabled: "frozenset[str]" = frozenset()) -> None:
    """Hook every route but ``disabled`` now for a stack already imported, else when it is."""
    from ..bootstrap import watch

    for route, hooks in HOOKS.items():
        if route in disabled:
            continue
        for module_name, target in hooks:
            watch(module_name, _callback(route, target))


def _callback(route: str, target: str) -> "Callable[[ModuleType], None]":
    def hook(module: "ModuleType") -> None:
        hook_module(route, module, target)

    return hook


#: Marks a method this package wrapped (so a second hook of the same class is a no-op).
MARK = "_oci_openai_patch_route"


def hook_method(cls: type, name: str, around: "Around") -> None:
    """Make ``cls.name(self, *args, **kwargs)`` call ``around(bound original, self, args, kwargs)``."""
    original = cls.__dict__[name]
    if getattr(original, MARK, False):
        return

    def method(self: "Any", *args: "Any", **kwargs: "Any") -> "Any":
        return around(original.__get__(self, type(self)), self, args, kwargs)

    _install(cls, name, method, original)


def hook_async_method(cls: type, name: str, around: "AsyncAround") -> None:
    """:func:`hook_method` for a coroutine method (``around`` is a coroutine function)."""
    original = cls.__dict__[name]
    if getattr(original, MARK, False):
        return

    async def method(self: "Any", *args: "Any", **kwargs: "Any") -> "Any":
        return await around(original.__get__(self, type(self)), self, args, kwargs)

    _install(cls, name, method, original)


def _install(cls: type, name: str, method: "Any", original: "Any") -> None:
    # What functools.update_wrapper copies (functools itself is not loaded yet under
    # http.client: importing it here would cost a tenth of that import).
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(method, attribute, getattr(original, attribute, None))
    method.__dict__.update(getattr(original, "__dict__", {}))
    method.__wrapped__ = original
    setattr(method, MARK, True)
    setattr(cls, name, method)
