"""Would a request go through a proxy? Asked before a plain-http request is signed.

A signature is a credential that can be replayed for five minutes. Over https a proxy
only tunnels (CONNECT) and never sees it; over plain http it reads the whole request,
and it resolves names such as ``localhost`` as its own. So a plain-http request is signed
only when it goes straight to its host.

When the http client is known, its own routing decides (the mounts httpx and httpx2 build
from ``proxy=``, ``mounts=`` and, with ``trust_env``, the environment). When it is not
(an auth set on a caller's own client), the environment decides the way httpx reads it:
``HTTP_PROXY`` / ``ALL_PROXY`` unless ``NO_PROXY`` names the host. Both err towards
"proxied": a refused request is an error message, a signature sent to a proxy is a leak.
A transport this module does not know (a retry or logging wrapper around a proxied one, a
third-party transport) counts as proxied, unless ``OCI_OPENAI_DIRECT_TRANSPORTS`` names its
class as one that sends straight to the host.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

_PROXY_POOLS = frozenset({"HTTPProxy", "SOCKSProxy", "AsyncHTTPProxy", "AsyncSOCKSProxy"})
#: The httpx / httpx2 transports whose routing is known: the pooled ones (their pool says
#: whether a proxy is used) and the mock one, which sends nothing anywhere.
_POOLED_TRANSPORTS = frozenset({"HTTPTransport", "AsyncHTTPTransport"})
_LOCAL_TRANSPORTS = frozenset({"MockTransport"})
#: Comma-separated transport classes (``module.Class`` or ``Class``) known to send straight
#: to the host, for plain-http signing through a transport this package cannot see through.
OCI_OPENAI_DIRECT_TRANSPORTS = "OCI_OPENAI_DIRECT_TRANSPORTS"


def proxy_for(url: Any, http_client: Any = None) -> str | None:
    """What a plain-http ``url`` would be sent through (``the proxy scheme://host:port``,
    never its credentials, or ``the transport X...``), or None when it goes straight to its host."""
    if http_client is not None and hasattr(http_client, "_transport_for_url"):
        return _client_proxy(http_client, url)
    return environment_proxy(url.host, url.port)


def refuse_proxied_base_url(client: Any, base_url: str) -> None:
    """Fail where an openai client is built, not at its first request, when its base URL
    is plain http and a proxy applies to it (the auth would refuse every request)."""
    if not base_url.lower().startswith("http://"):
        return
    proxy = proxy_for(client.base_url, client._client)
    if proxy is not None:
        from ..errors import ConfigurationError
        from ..redact import url_without_userinfo

        raise ConfigurationError(
            f"{url_without_userinfo(base_url.split('?')[0])} is plain http and would go through {proxy}, which "
            "would see the OCI signature; add the host to NO_PROXY, or use https"
        )


def _client_proxy(http_client: Any, url: Any) -> str | None:
    transport = http_client._transport_for_url(url)
    kind = type(transport)
    known = kind.__module__.partition(".")[0] in ("httpx", "httpx2")
    if known and kind.__name__ in _LOCAL_TRANSPORTS:
        return None
    if not (known and kind.__name__ in _POOLED_TRANSPORTS):
        name = f"{kind.__module__}.{kind.__qualname__}"
        if _opted_in(kind):
            return None
        return (
            f"the transport {name}, which may use a proxy this package cannot see (if it sends straight to the "
            f"host, set {OCI_OPENAI_DIRECT_TRANSPORTS}={name})"
        )
    pool = getattr(transport, "_pool", None)
    if type(pool).__name__ not in _PROXY_POOLS:
        return None
    proxy_url = getattr(pool, "_proxy_url", None)
    if proxy_url is None:
        return "a proxy configured on the http client"
    host = proxy_url.host.decode("ascii", "replace") if isinstance(proxy_url.host, bytes) else str(proxy_url.host)
    scheme = proxy_url.scheme.decode("ascii", "replace") if isinstance(proxy_url.scheme, bytes) else proxy_url.scheme
    port = f":{proxy_url.port}" if proxy_url.port else ""
    return f"the proxy {scheme}://{host}{port}"


def _opted_in(kind: type) -> bool:
    """Whether ``OCI_OPENAI_DIRECT_TRANSPORTS`` names this transport class."""
    names = {item.strip() for item in os.environ.get(OCI_OPENAI_DIRECT_TRANSPORTS, "").split(",") if item.strip()}
    return bool(names) and (kind.__qualname__ in names or f"{kind.__module__}.{kind.__qualname__}" in names)


def _env(name: str) -> str:
    return (os.environ.get(name.lower()) or os.environ.get(name.upper()) or "").strip()


def environment_proxy(host: str, port: int | None) -> str | None:
    """The proxy the environment names for plain http to ``host``, unless ``NO_PROXY``
    exempts it (``*``, the host, a parent domain, or an IP network)."""
    proxy = _env("http_proxy") or _env("all_proxy")
    if not proxy:
        return None
    if _no_proxy_matches(host.lower().strip("[]"), port, _env("no_proxy")):
        return None
    return "the proxy " + _without_userinfo(proxy)


def _without_userinfo(proxy: str) -> str:
    scheme, sep, rest = proxy.partition("://")
    if not sep:
        scheme, rest = "http", proxy
    return f"{scheme}://{rest.rpartition('@')[2].rstrip('/')}"


def _no_proxy_matches(host: str, port: int | None, no_proxy: str) -> bool:
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if "://" in entry:
            entry = entry.partition("://")[2]
        entry_host, entry_port = _split_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        if _host_matches(host, entry_host):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest[1:].isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, int(port) if port.isdigit() else None
    return entry, None


def _host_matches(host: str, entry: str) -> bool:
    entry = entry.lstrip("*").lstrip(".") if entry.startswith(("*.", ".")) else entry
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        pass
    return host == entry or host.endswith("." + entry)
