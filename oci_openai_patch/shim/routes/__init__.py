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

Which method of which class each route wraps is a table in :mod:`..bootstrap`
(``ROUTE_HOOKS``), the module that is loaded at start-up: the wrapper is put in place
inside the program's ``import requests`` (or ``import http.client``) without importing
anything, not even this package. The openai patch uses wrapt; here importing wrapt would
cost more than importing http.client itself (some 40 ms against 30 ms on the development
machine, ``python -X importtime``), and even this package's own modules cost a few
percent of that import. At its first call the wrapper imports its route's module, whose
factory (``send``, ``request``, ...) builds the real wrapper from the stack's module.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection


def install(disabled: "Collection[str]" = frozenset()) -> None:
    """Hook every route but ``disabled`` now for a stack already imported, else when it is."""
    from ..bootstrap import watch_routes

    watch_routes(disabled)
