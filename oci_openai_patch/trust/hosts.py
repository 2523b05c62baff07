"""Which hosts are OCI service hosts, and which base URL a region has.

A request is signed only when its host passes :class:`HostPolicy`: a signature sent
anywhere else is a replayable credential for five minutes. The realm domains come from
the ``oci`` SDK's own realm table, read straight from its ``regions_definitions.py`` so
that the check costs no ``import oci`` (about 0.35 s) on the request path.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ConfigurationError

#: Path of the OpenAI-compatible API of OCI Generative AI (the default).
OPENAI_API_PATH = "/openai/v1"
#: Path of the older "actions" flavour of the same API.
ACTIONS_API_PATH = "/20231130/actions/v1"
#: Path of the control plane's OpenAI-compatible API (vector stores), on the host without
#: ``inference.``: IAM-signed only, ``opc-compartment-id`` on create and list.
CONTROL_API_PATH = "/20231130/openai/v1"
API_PATHS = {"openai": OPENAI_API_PATH, "actions": ACTIONS_API_PATH, "control": CONTROL_API_PATH}
#: The host's first labels for each ``api``: the data plane is ``inference.generativeai``,
#: the control plane ``generativeai``.
_API_HOST_PREFIXES = {
    "openai": "inference.generativeai",
    "actions": "inference.generativeai",
    "control": "generativeai",
}

DEFAULT_PORTS = {"https": 443, "http": 80}
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_REGION = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*-[0-9]+"


@dataclass(frozen=True)
class RealmTable:
    """The ``oci`` SDK's realm -> domain and region -> realm maps."""

    realms: dict[str, str]
    region_realms: dict[str, str]
    short_names: dict[str, str]


@functools.lru_cache(maxsize=1)
def realm_table() -> RealmTable:
    """Read the SDK's realm table without importing the ``oci`` package.

    ``regions_definitions.py`` holds only literal dicts and lists, so parsing it with
    :mod:`ast` gives the same data ``oci.regions`` starts from. Falls back to importing
    ``oci.regions`` if the file moves in a future SDK.
    """
    spec = importlib.util.find_spec("oci")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = os.path.join(location, "regions_definitions.py")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                values = _literal_assignments(handle.read())
            return RealmTable(
                realms=_str_dict(values["REALMS"]),
                region_realms=_str_dict(values["REGION_REALMS"]),
                short_names=_str_dict(values["REGIONS_SHORT_NAMES"]),
            )
    import oci.regions  # pragma: no cover - only if the SDK layout changes

    return RealmTable(  # pragma: no cover
        realms=dict(oci.regions.REALMS),
        region_realms=dict(oci.regions.REGION_REALMS),
        short_names=dict(oci.regions.REGIONS_SHORT_NAMES),
    )


def _str_dict(value: object) -> dict[str, str]:  # pragma: no mutate block
    if not isinstance(value, dict):
        raise TypeError("the oci SDK's realm table is not a dict")
    return {str(k): str(v) for k, v in value.items()}


def _literal_assignments(source: str) -> dict[str, object]:  # pragma: no mutate block
    values: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return values


@functools.lru_cache(maxsize=1)
def _service_host_pattern() -> re.Pattern[str]:
    domains = sorted({d.lower() for d in realm_table().realms.values()}, key=len, reverse=True)
    domain = "(?:" + "|".join(re.escape(d) for d in domains) + ")"
    # ``ppe.``: Oracle's pre-production hosts of both planes, which its own examples call.
    genai = rf"(?:ppe\.)?(?:inference\.)?generativeai\.{_REGION}\.(?:ds\.)?oci\.{domain}"
    data_science = rf"md\.datascience\.{_REGION}\.oci\.{domain}"
    model_deployment = rf"modeldeployment\.{_REGION}\.oci\.customer-oci\.com"
    return re.compile(rf"(?:{genai}|{data_science}|{model_deployment})", re.ASCII)


def _normalise_host(host: str) -> str:
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    return host


def is_oci_service_host(host: str) -> bool:
    """True for a Generative AI or Data Science model-deployment host of any OCI realm."""
    return _service_host_pattern().fullmatch(_normalise_host(host)) is not None


def is_genai_host(host: str) -> bool:
    """True for a Generative AI host (either plane): those require a project or a compartment."""
    return is_oci_service_host(host) and "generativeai." in _normalise_host(host)


def genai_plane(url: str) -> str | None:
    """Which part of OCI Generative AI a base URL reaches, or None for any other host.

    ``"control"``: the control plane (``generativeai.<region>...``, or a
    ``/20231130/openai`` path), where vector stores are managed; ``"actions"``: the
    ``/20231130/actions/v1`` pass-through, which needs the compartment; ``"data"``: the
    inference plane (``/openai/v1``), which needs a project or a compartment.
    """
    parts = urlsplit(str(url))
    host = _normalise_host(parts.hostname or "")
    if not is_genai_host(host):
        return None
    path = parts.path.lower()
    if path.startswith(ACTIONS_API_PATH.rsplit("/", 1)[0]):
        return "actions"
    if path.startswith(CONTROL_API_PATH.rsplit("/", 1)[0]) or not host.removeprefix("ppe.").startswith("inference."):
        return "control"
    return "data"


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (with or without brackets)."""
    host = _normalise_host(host).strip("[]")
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class HostPattern:
    """One extra host the user trusts: ``host``, ``host:port`` or ``*.suffix``."""

    host: str
    port: int | None = None
    wildcard: bool = False

    @classmethod
    def parse(cls, text: str, *, source: str = "OCI_OPENAI_HOSTS") -> HostPattern:
        """Parse one entry; ``source`` names where it came from for the error message."""
        entry = text.strip().lower()
        # An entry pasted from a URL may carry ``user:password@``: never echoed.
        shown = "***@" + text.strip().rpartition("@")[2] if "@" in text else text.strip()
        fix = f"{source}: {shown!r} is not a host; use host, host:port or *.suffix (no user:password@)"
        if not entry or "/" in entry or "@" in entry or " " in entry:
            raise ConfigurationError(fix)
        port: int | None = None
        if entry.startswith("["):  # IPv6 literal, maybe with a port
            closing = entry.find("]")
            if closing < 0:
                raise ConfigurationError(fix)
            host, rest = entry[1:closing], entry[closing + 1 :]
            if rest:
                if not rest.startswith(":") or not rest[1:].isdigit():
                    raise ConfigurationError(fix)
                port = int(rest[1:])
        elif entry.count(":") == 1:
            host, _, port_text = entry.partition(":")
            if not port_text.isdigit():
                raise ConfigurationError(fix)
            port = int(port_text)
        else:
            host = entry
        if port is not None and not 0 < port < 65536:
            raise ConfigurationError(fix)
        wildcard = host.startswith("*.")
        if wildcard:
            host = host[2:]
        labels = host.split(".")
        if not host or "*" in host or any(not label for label in labels):
            raise ConfigurationError(fix)
        if wildcard and len(labels) < 2:
            raise ConfigurationError(f"{source}: {shown!r} is too broad; name at least two labels after *.")
        if wildcard:
            from .public_suffixes import covered_public_suffix, list_version

            suffix = covered_public_suffix(host)
            if suffix is not None:
                raise ConfigurationError(
                    f"{source}: {shown!r} covers the public suffix {suffix} (Public Suffix List, "
                    f"{list_version()}), where anyone can own a host; name a domain of your own (*.llm.example.com)"
                )
        return cls(host=_normalise_host(host), port=port, wildcard=wildcard)

    def matches(self, host: str, port: int | None) -> bool:
        if self.port is not None and port != self.port:
            return False
        if self.wildcard:
            return host.endswith("." + self.host)
        return host == self.host


def url_host_pattern(url: str) -> HostPattern | None:
    """The exact host and port of a base URL, as a pattern to trust."""
    parts = urlsplit(str(url))
    if not parts.hostname:
        return None
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    return HostPattern(host=parts.hostname.lower().rstrip("."), port=port)


def parse_host_list(text: str, *, source: str = "OCI_OPENAI_HOSTS") -> tuple[HostPattern, ...]:
    """Parse a comma-separated host list such as the value of ``OCI_OPENAI_HOSTS``."""
    return tuple(HostPattern.parse(item, source=source) for item in text.split(",") if item.strip())


#: Extra hosts to sign besides OCI's service hosts: ``host``, ``host:port`` or ``*.suffix``,
#: comma-separated. Plain http is allowed only for loopback names.
OCI_OPENAI_HOSTS = "OCI_OPENAI_HOSTS"


def configured_hosts(
    hosts: Iterable[str | HostPattern] | None, environ: Mapping[str, str] | None = None, *, source: str = "hosts"
) -> tuple[HostPattern, ...]:
    """The extra hosts a policy trusts, decided the same way on every path: the ones
    given (``hosts=()``: none), else, when none are given, those of ``OCI_OPENAI_HOSTS``."""
    if hosts is not None:
        return HostPolicy.from_hosts(hosts, source=source).extra
    env = os.environ if environ is None else environ
    return parse_host_list(env.get(OCI_OPENAI_HOSTS, ""), source=OCI_OPENAI_HOSTS)


@dataclass(frozen=True)
class HostPolicy:
    """Decides, per request, whether a URL may carry an OCI signature.

    OCI service hosts are trusted over HTTPS only. Extra hosts named by the user are
    trusted over HTTPS, or over plain HTTP when they are loopback names (for local tests).
    """

    extra: tuple[HostPattern, ...] = ()

    @classmethod
    def from_hosts(cls, hosts: Iterable[str | HostPattern] = (), *, source: str = "hosts") -> HostPolicy:
        patterns = tuple(h if isinstance(h, HostPattern) else HostPattern.parse(h, source=source) for h in hosts)
        return cls(extra=patterns)

    def with_hosts(self, hosts: Iterable[str | HostPattern], *, source: str = "hosts") -> HostPolicy:
        """A policy trusting these hosts too (duplicates dropped, order kept)."""
        added = HostPolicy.from_hosts(hosts, source=source).extra
        return HostPolicy(extra=tuple(dict.fromkeys(self.extra + added)))

    def allows(self, scheme: str, host: str, port: int | None) -> bool:
        """``port`` None means the scheme's default port."""
        scheme = scheme.lower()
        host = _normalise_host(host)
        port = port or DEFAULT_PORTS.get(scheme)
        if scheme not in ("https", "http"):
            return False
        if scheme == "https" and is_oci_service_host(host):
            return True
        if scheme == "http" and not is_loopback_host(host):
            return False
        return any(pattern.matches(host, port) for pattern in self.extra)

    def allows_url(self, url: str) -> bool:
        """:meth:`allows` for a URL string (a client's base URL)."""
        parts = urlsplit(url)
        return bool(parts.hostname) and self.allows(parts.scheme, parts.hostname or "", parts.port)


def region_base_url(region: str, api: str = "openai") -> str:
    """The Generative AI OpenAI-compatible base URL of a region, in its realm's domain.

    ``api`` is ``"openai"`` (the data plane, ``/openai/v1``), ``"control"`` (the control
    plane, ``generativeai.<region>.../20231130/openai/v1``: vector stores) or
    ``"actions"`` (``/20231130/actions/v1``).
    """
    table = realm_table()
    name = region.strip().lower()
    name = table.short_names.get(name, name)
    realm = table.region_realms.get(name)
    if realm is None:
        raise ConfigurationError(
            f"region {region!r} (region= or OCI_OPENAI_REGION) is not an OCI region the oci SDK knows; "
            "use a name such as us-chicago-1, or pass base_url= explicitly"
        )
    if api not in API_PATHS:
        raise ConfigurationError(f"api {api!r} is not one of {', '.join(sorted(API_PATHS))}")
    return f"https://{_API_HOST_PREFIXES[api]}.{name}.oci.{table.realms[realm]}{API_PATHS[api]}"


def control_plane_base_url(region: str) -> str:
    """The Generative AI control plane's base URL of a region (vector stores), in its realm."""
    return region_base_url(region, "control")
