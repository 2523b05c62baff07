"""What every benchmark shares: results, interleaved timing, fresh processes, the endpoint.

The machines are shared and noisy, so nothing here is an absolute time: each figure is
a ratio (or a difference) of two things measured side by side, in alternating rounds,
each side's best or median round taken.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Result:
    """One line of the table: what was measured, the figure, the target, and whether it holds."""

    name: str
    figure: str
    target: str
    holds: bool | None  # None: informative only
    detail: str = ""


def interleaved_best(candidates: dict[str, Callable[[], None]], *, batch: int, rounds: int) -> dict[str, float]:
    """Seconds per call of each candidate: the best batch over ``rounds`` alternating rounds."""
    best = dict.fromkeys(candidates, float("inf"))
    for _ in range(rounds):
        for name, function in candidates.items():
            started = time.perf_counter()
            for _ in range(batch):
                function()
            best[name] = min(best[name], (time.perf_counter() - started) / batch)
    return best


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without OCI/OpenAI variables (the shim off), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCI_", "OPENAI_", "KUBERNETES_"))}
    env["OCI_METADATA_BASE_URL"] = "http://127.0.0.1:9/opc/v2"
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str]) -> tuple[float, str]:
    """Wall time of a fresh ``python -c code`` and its stdout; fails loudly on an error."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"benchmark program failed: {result.stderr[-2000:]}")
    return elapsed, result.stdout


def rsa_cpu_seconds(private_key: Any) -> float:
    """CPU seconds of one RSA-2048 signature on this thread, alone: best of five batches
    of 100 (``time.thread_time``)."""
    from oci_openai_patch.signature.signing import rsa_sign

    best = float("inf")
    for _ in range(5):
        started = time.thread_time()
        for _ in range(100):
            rsa_sign(private_key, b"x" * 400)
        best = min(best, (time.thread_time() - started) / 100)
    return best


def compile_package_bytecode() -> None:
    """Write the package's ``.pyc`` files, as ``pip install`` does.

    The editable install imports from the work tree, which has no bytecode when the
    environment sets ``PYTHONDONTWRITEBYTECODE`` (these machines do): every fresh process
    would then compile the package's modules, some 30 ms that an installed package never
    costs, while openai and the rest of site-packages load from their ``.pyc``.
    """
    import compileall

    import oci_openai_patch

    compileall.compile_dir(os.path.dirname(oci_openai_patch.__file__), quiet=1)


def fresh_process_times(variants: dict[str, tuple[str, dict[str, str]]], rounds: int) -> dict[str, list[float]]:
    """Wall times of each (code, env) variant in fresh processes, alternating, ``rounds`` each
    (the package's bytecode written first: :func:`compile_package_bytecode`)."""
    compile_package_bytecode()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, (code, env) in variants.items():
            times[name].append(run_python(code, env)[0])
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextmanager
def endpoint_process(*options: str) -> Iterator[dict[str, Any]]:
    """The local endpoint (and fake federation) in a child process; yields its description.

    After the block, ``description["counts"]`` holds what the endpoint saw.
    """
    with tempfile.TemporaryDirectory(prefix="oci-openai-patch-bench-") as directory:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "_endpoint.py"), directory, *options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdin is not None and process.stdout is not None
        description: dict[str, Any] = json.loads(process.stdout.readline())
        try:
            yield description
        finally:
            process.stdin.close()
            line = process.stdout.readline()
            description["counts"] = json.loads(line) if line else {}
            process.wait(timeout=30)


def rss_bytes() -> int:
    """Resident set size of this process now (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")
