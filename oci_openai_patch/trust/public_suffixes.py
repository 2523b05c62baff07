"""Is a wildcard host pattern too broad? Checked against the Public Suffix List.

``*.suffix`` trusts every host under ``suffix``. If ``suffix`` is a public suffix
(``co.uk``, ``github.io``) or an ancestor of one (``amazonaws.com``, under which
``s3.amazonaws.com`` and many other suffixes are registered by strangers), anyone can own a
host it covers, and a signature sent there is theirs to replay. The list comes from the
``publicsuffixlist`` package, which bundles a dated copy of it: nothing is fetched at
run time, and it is read only when a wildcard is parsed.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
from typing import Any

PACKAGE = "publicsuffixlist"


@functools.lru_cache(maxsize=1)
def _list() -> Any:
    """The bundled list, ICANN and private sections, as the library reads it (its wildcard
    and exception rules included: a child of ``*.ck`` is public, ``www.ck`` is not)."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=False)


@functools.lru_cache(maxsize=1)
def _rule_suffixes() -> frozenset[str]:
    """The domain of every rule (``*.x.y`` gives ``x.y``, whose children are public), in
    ASCII form: for finding a public suffix *below* a domain, which no single lookup answers."""
    text = (importlib.resources.files(PACKAGE) / "public_suffix_list.dat").read_text(encoding="utf-8")
    suffixes = set()
    for line in text.splitlines():
        rule = line.strip().split(" ")[0]
        if not rule or rule.startswith(("//", "!")):
            continue
        rule = rule.removeprefix("*.").lower()
        suffixes.add(rule)
        try:
            suffixes.add(rule.encode("idna").decode("ascii"))
        except UnicodeError:
            continue
    return frozenset(suffixes)


def covered_public_suffix(domain: str) -> str | None:
    """A public suffix at or below ``domain`` (so ``*.domain`` would cover hosts of
    others), or None when ``domain`` lies inside one registrable domain.

    ``domain`` itself is judged by the library (``is_public``, which applies wildcards and
    exceptions); below it, any rule naming a domain under it counts (``amazonaws.com`` has
    ``s3.amazonaws.com``; ``*.x.example.net`` makes every ``<label>.x.example.net`` public).
    """
    domain = domain.lower().strip(".")
    if "." not in domain or _list().is_public(domain):
        return domain  # a top-level label is public even when the list does not name it
    tail = "." + domain
    below = [suffix for suffix in _rule_suffixes() if suffix.endswith(tail)]
    return min(below, key=len) if below else None


def list_version() -> str:
    """The bundling package's version, which carries the list's date (e.g. 1.1.2.20261023)."""
    try:
        return f"{PACKAGE} {importlib.metadata.version(PACKAGE)}"
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a declared dependency
        return PACKAGE
