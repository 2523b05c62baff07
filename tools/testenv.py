"""Test environments, one per (Python, openai major), and the test matrix that runs them.

``make`` and ``.ci/run`` call this instead of pip directly, for two reasons:

- Speed: uv installs the suite's dependencies in seconds where pip takes minutes. uv is
  installed with pip into ``.tools/`` on first use (the machine needs only Python and
  pip); if that fails, or ``OCI_OPENAI_PATCH_INSTALLER=pip`` is set, pip does the work.
- The matrix: every supported Python (3.10 to 3.13) and every openai major (1.x and
  2.x on httpx, 3.x on httpx2) must be tested, and pyenv's interpreters are not all on
  ``PATH`` (its shims answer only for the selected version), so they are looked up.

An environment is rebuilt only when what defines it changes (pyproject.toml, the Python,
the openai range, the extras): its recipe is stamped into the environment.

Usage::

    python tools/testenv.py ensure DIR [--python 3.13] [--openai 3] [--extras test,lint]
    python tools/testenv.py matrix [NAME ...]      # every pair, or the named ones
    python tools/testenv.py list                   # the pairs and what each installs
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools"
STAMP = ".oci-openai-patch-env.json"

#: The openai requirement for each major; the latest release of the major is taken.
OPENAI_RANGES = {1: "openai>=1.0,<2", 2: "openai>=2,<3", 3: "openai>=3,<4"}

#: pytest's selection for a pair without the libraries built on openai.
WITHOUT_ECOSYSTEM = "not soak and not ecosystem"


@dataclass(frozen=True)
class Pair:
    """One cell of the matrix: a Python, an openai major, and what else it installs."""

    python: str
    openai: int
    extras: tuple[str, ...]
    marks: str = "not soak"

    @property
    def name(self) -> str:
        return f"py{self.python}-openai{self.openai}"

    @property
    def directory(self) -> Path:
        return ROOT / ".venvs" / self.name


#: What ``.ci/run`` tests beside ``make test`` (which runs the machine's python3 with
#: openai 3 and 2, ecosystem libraries included). Every Python with openai 3 (the current
#: major, on httpx2), openai 1 on the oldest and the newest Python, openai 2 on two; the
#: ecosystem libraries once per major. With openai 1.x the resolver picks the libraries'
#: releases that still accept it (langchain-openai 1.1, openai-agents 0.3,
#: llama-index-llms-openai 0.8, instructor 1.12). 8 of the 12 pairs, with ``make test``.
MATRIX = (
    Pair("3.13", 3, ("test", "ecosystem", "ecosystem-openai3")),
    Pair("3.12", 2, ("test",), WITHOUT_ECOSYSTEM),
    Pair("3.10", 1, ("test", "ecosystem", "ecosystem-openai2")),
    Pair("3.13", 1, ("test",), WITHOUT_ECOSYSTEM),
    Pair("3.12", 3, ("test",), WITHOUT_ECOSYSTEM),
    Pair("3.10", 3, ("test",), WITHOUT_ECOSYSTEM),
)


def find_python(version: str) -> str:
    """An interpreter of ``version`` (``3.13``): on PATH, else pyenv's, else uv's."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"), reverse=True)
    for candidate in candidates:
        if candidate and _reports(candidate, version):
            return candidate
    uv = _uv()
    if uv is not None:
        found = subprocess.run([uv, "python", "find", version], capture_output=True, text=True)
        if found.returncode == 0 and _reports(found.stdout.strip(), version):
            return found.stdout.strip()
    raise SystemExit(
        f"Python {version} not found (looked on PATH, in {pyenv_root}/versions and with uv); "
        f"install it (for example: pyenv install {version}) and run again"
    )


def _reports(python: str, version: str) -> bool:
    """True when ``python`` runs and is ``version`` (pyenv shims exist for every version but
    fail for the ones not selected)."""
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
        )
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.strip() == version


def _uv() -> str | None:
    """uv, installed into ``.tools/`` with pip on first use; None if pip is asked for or fails."""
    if os.environ.get("OCI_OPENAI_PATCH_INSTALLER", "").strip().lower() == "pip":
        return None
    found = shutil.which("uv")
    if found:
        return found
    local = TOOLS / "bin" / "uv"
    if local.exists():
        return str(local)
    print("testenv: installing uv into .tools/ with pip", flush=True)
    created = subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], capture_output=True, text=True)
    if created.returncode == 0:
        installed = subprocess.run(
            [str(TOOLS / "bin" / "python"), "-m", "pip", "install", "-q", "uv"], capture_output=True, text=True
        )
        if installed.returncode == 0 and local.exists():
            return str(local)
        print(f"testenv: could not install uv ({installed.stderr.strip()[-300:]}); using pip", flush=True)
    return None


def _recipe(python: str, openai: int | None, extras: tuple[str, ...]) -> dict[str, object]:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return {"python": python, "openai": openai, "extras": sorted(extras), "pyproject": digest}


def ensure(directory: Path, python: str, openai: int | None, extras: tuple[str, ...]) -> None:
    """Make ``directory`` an environment with the package (editable) and ``extras``."""
    recipe = _recipe(python, openai, extras)
    stamp = directory / STAMP
    if stamp.exists():
        made = json.loads(stamp.read_text(encoding="utf-8"))
        if made.get("python") != python:
            shutil.rmtree(directory)  # another interpreter: start over
        else:
            had = set(made.get("extras", []))
            if had >= set(extras) and {**made, "extras": []} == {**recipe, "extras": []}:
                return  # already has all of it (``make demo`` after ``make test`` installs nothing)
            if made.get("openai") == openai:
                extras = tuple(sorted(had | set(extras)))  # keep what the other targets installed
                recipe = _recipe(python, openai, extras)
    started = time.monotonic()
    target = "." + (f"[{','.join(extras)}]" if extras else "")
    requirements = ["-e", target] + ([OPENAI_RANGES[openai]] if openai else [])
    uv = _uv()
    if uv is not None:
        environment = {**os.environ, "VIRTUAL_ENV": str(directory)}
        if not (directory / "bin" / "python").exists():
            _run([uv, "venv", "-q", "--seed", "--python", python, str(directory)], environment)
        _run([uv, "pip", "install", "-q", "--python", str(directory / "bin" / "python"), *requirements], environment)
    else:
        if not (directory / "bin" / "python").exists():
            _run([python, "-m", "venv", str(directory)], dict(os.environ))
        pip = [str(directory / "bin" / "python"), "-m", "pip"]
        _run([*pip, "install", "-q", "--upgrade", "pip"], dict(os.environ))
        _run([*pip, "install", "-q", *requirements], dict(os.environ))
    stamp.write_text(json.dumps(recipe), encoding="utf-8")
    installer = "uv" if uv else "pip"
    print(f"testenv: {directory.name} ready in {time.monotonic() - started:.0f} s ({installer})", flush=True)


def _run(command: list[str], environment: dict[str, str]) -> None:
    result = subprocess.run(command, cwd=ROOT, env=environment)
    if result.returncode != 0:
        raise SystemExit(f"testenv: {' '.join(command[:4])} ... failed with exit code {result.returncode}")


def run_matrix(pairs: tuple[Pair, ...], workers: str) -> int:
    """Set up and test each pair in turn; print one Markdown row per pair; 1 if any failed."""
    rows = []
    failed = False
    for pair in pairs:
        started = time.monotonic()
        ensure(pair.directory, find_python(pair.python), pair.openai, pair.extras)
        set_up = time.monotonic() - started
        python = str(pair.directory / "bin" / "python")
        versions = subprocess.run(
            [python, "-c", "import sys, openai; print('%d.%d.%d' % sys.version_info[:3], openai.__version__)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        print(f"\n== {pair.name}: Python {versions[0]}, openai {versions[1]}, -m '{pair.marks}'", flush=True)
        started = time.monotonic()
        result = subprocess.run(
            [python, "-m", "pytest", "-q", "-n", workers, "-m", pair.marks], cwd=ROOT, capture_output=True, text=True
        )
        sys.stdout.write(result.stdout[-4000:])
        sys.stderr.write(result.stderr[-2000:])
        summary = _summary(result.stdout)
        failed |= result.returncode != 0
        verdict = "passed" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        rows.append(
            f"| {versions[0]} | {versions[1]} | {pair.marks} | {summary} | {set_up:.0f} s | "
            f"{time.monotonic() - started:.0f} s | {verdict} |"
        )
    print("\n| Python | openai | tests | result | set-up | run | verdict |\n|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if failed else 0


def _summary(output: str) -> str:
    """pytest's final counts, e.g. ``351 passed, 2 skipped``."""
    last = output.strip().splitlines()[-1] if output.strip() else ""
    counts = re.findall(r"(\d+ (?:passed|failed|skipped|errors?|deselected))", last)
    return ", ".join(counts) or "no summary"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("ensure", help="create or update one environment")
    create.add_argument("directory", type=Path)
    create.add_argument("--python", default=None, help="a version such as 3.13, or an interpreter path")
    create.add_argument("--openai", type=int, choices=sorted(OPENAI_RANGES), default=None)
    create.add_argument("--extras", default="", help="comma-separated extras of the package")
    matrix = commands.add_parser("matrix", help="set up and test every pair (or the named ones)")
    matrix.add_argument("names", nargs="*", help="pair names such as py3.13-openai3")
    matrix.add_argument("-n", "--workers", default="2", help="pytest-xdist workers per pair (default 2)")
    commands.add_parser("list", help="the pairs of the matrix")
    arguments = parser.parse_args()
    if arguments.command == "ensure":
        python = arguments.python or sys.executable
        if re.fullmatch(r"3\.\d+", python):
            python = find_python(python)
        extras = tuple(item for item in arguments.extras.split(",") if item)
        ensure(arguments.directory.resolve(), python, arguments.openai, extras)
        return 0
    if arguments.command == "list":
        for pair in MATRIX:
            print(f"{pair.name}: extras {','.join(pair.extras)}; tests -m '{pair.marks}'")
        return 0
    chosen = tuple(pair for pair in MATRIX if not arguments.names or pair.name in arguments.names)
    unknown = set(arguments.names) - {pair.name for pair in MATRIX}
    if unknown:
        raise SystemExit(f"testenv: no pair named {', '.join(sorted(unknown))}; see: python tools/testenv.py list")
    return run_matrix(chosen, arguments.workers)


if __name__ == "__main__":
    sys.exit(main())
