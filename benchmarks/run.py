"""Run every benchmark and print one Markdown table: figure, target, whether it holds.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/run.py [--only NAME ...]``).
Each figure is measured side by side with its baseline in the same run; see each
module's docstring for how. The exit status is 0 even when a target is missed: these
are measurements to read, not tests.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import Result

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
MODULES = ("signing", "gil", "startup", "routes", "first_request", "streaming", "async_load", "threads", "memory")


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    import openai

    versions = [f"Python {platform.python_version()}", f"openai {openai.__version__}"]
    for name in ("httpx2", "httpx", "cryptography", "oci"):
        try:
            versions.append(f"{name} {importlib.import_module(name).__version__}")
        except ImportError:
            continue
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; " + ", ".join(versions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=MODULES, default=list(MODULES))
    parser.add_argument("--write", type=Path, help="put the table into this page, between its bench markers")
    args = parser.parse_args()
    lines = [f"Machine: {_machine()}", "", "| measure | figure | target | holds |", "|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    missed = []
    for name in args.only:
        results: list[Result] = importlib.import_module(name).run()
        for result in results:
            verdict = {True: "yes", False: "**no**", None: "-"}[result.holds]
            detail = f" ({result.detail})" if result.detail else ""
            lines.append(f"| {result.name} | {result.figure}{detail} | {result.target} | {verdict} |")
            print(lines[-1], flush=True)
            if result.holds is False:
                missed.append(result.name)
    lines += ["", f"{len(missed)} target(s) missed" + (": " + "; ".join(missed) if missed else "")]
    print("\n".join(lines[-2:]))
    if args.write:
        write_table(args.write, lines)


def write_table(page: Path, lines: list[str]) -> None:
    """Replace what stands between the page's ``bench:start`` and ``bench:end`` markers."""
    text = page.read_text(encoding="utf-8")
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{page} has no {START} ... {END} block to write the table into")
    page.write_text(head + start + "\n" + "\n".join(lines) + "\n" + end + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
