"""Real OCI host names, answered by a loopback endpoint: the name resolution a test needs.

A program under test should keep its real base URLs (``https://inference.generativeai.
us-chicago-1.oci.oraclecloud.com/openai/v1``), so that the host policy, the ``Host`` that
is signed, TLS server-name checks and every plane rule see what production sees.
:func:`route_to_loopback` makes the chosen names resolve to ``127.0.0.1`` and their
default port to the endpoint's, in this process only: no ``/etc/hosts``, no resolver,
nothing else is looked up differently. Give the endpoint a certificate for those names
(:meth:`TestCertificateAuthority.server_context`) and the client its CA (``SSL_CERT_FILE``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from typing import Any


def route_to_loopback(routes: Mapping[str, int]) -> Callable[[], None]:
    """Resolve each host name in ``routes`` to ``127.0.0.1`` at its port; returns the undo."""
    original = socket.getaddrinfo
    wanted = {name.lower().rstrip("."): port for name, port in routes.items()}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        target = wanted.get(str(name or "").lower().rstrip("."))
        if target is not None:
            return original("127.0.0.1", target, *args, **kwargs)
        return original(host, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo

    def undo() -> None:
        socket.getaddrinfo = original

    return undo
