"""The README stays a front door: at most 10 KB, and every relative link in it resolves.

mkdocs checks the pages' links (``--strict``); the README is not one of the pages, so this
checks it: each ``[text](path#anchor)`` names a file of the repository, and an anchor names a
heading of that Markdown file (slugged as Python-Markdown's ``toc`` does). ``make lint`` runs it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 10 * 1024
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[\s]+", "-", text)


def anchors(markdown: str) -> set[str]:
    found, fenced = set(), False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


def problems(readme: Path) -> list[str]:
    text = readme.read_text(encoding="utf-8")
    found = []
    if len(text.encode()) > LIMIT:
        found.append(f"{readme.name} is {len(text.encode())} bytes; keep it at most {LIMIT} (move detail to docs/)")
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue  # an absolute URL
        path, _, anchor = target.partition("#")
        file = (readme.parent / path) if path else readme
        if not file.exists():
            found.append(f"{readme.name} links to {target}, which does not exist")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
            found.append(f"{readme.name} links to {target}, but {path or readme.name} has no such heading")
    return found


def main() -> int:
    found = problems(ROOT / "README.md")
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
