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

PACKAGE = "publicsuffixlist"


@functools.lru_cache(maxsize=1)
def _suffixes() -> frozenset[str]:
    """Every suffix the list names, ICANN and private sections alike, in ASCII form
    (``*.ck`` counts as ``ck``: everything beneath it is public)."""
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
    others), or None when ``domain`` lies inside one registrable domain."""
    domain = domain.lower().strip(".")
    tail = "." + domain
    best: str | None = None
    for suffix in _suffixes():
        if (suffix == domain or suffix.endswith(tail)) and (best is None or len(suffix) < len(best)):
            best = suffix
    if best is None and "." not in domain:
        best = domain  # a top-level label is public even when the list does not name it
    return best


def list_version() -> str:
    """The bundling package's version, which carries the list's date (e.g. 1.1.2.20261023)."""
    try:
        return f"{PACKAGE} {importlib.metadata.version(PACKAGE)}"
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a declared dependency
        return PACKAGE
