"""The CPU one RSA-2048 signature costs, alone and in the situations the benchmarks create.

Usage: ``.venv/bin/python tools/rsa_cpu_probe.py``

``benchmarks/threads.py`` finds each signature costing more CPU under its 8-thread load
than alone, which is most of the gap between its figure and the ceiling ``u / (u + r)``.
This probe measures the median CPU of one ``private_key.sign`` (``time.thread_time``
around the call) in isolation from openai and the package:

- back to back, nothing else running;
- after the thread slept 1 ms and 5 ms (its CPU went idle in between);
- while another thread of this process runs Python (it holds the GIL, so the signing
  thread waits for it after each signature, idle);
- while another process runs Python on the other CPU (no GIL shared).
"""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
import time
from collections.abc import Callable

SIGNATURES = 300


def _median_sign_cpu(sign: Callable[[], object], before: Callable[[], None] = lambda: None) -> float:
    samples = []
    for _ in range(SIGNATURES):
        before()
        started = time.thread_time()
        sign()
        samples.append(time.thread_time() - started)
    samples.sort()
    return samples[len(samples) // 2]


def main() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from oci_openai_patch.signature.signing import rsa_sign

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def sign() -> object:
        return rsa_sign(key, b"x" * 400)

    rows = [("back to back", _median_sign_cpu(sign))]
    for pause in (0.001, 0.005):
        rows.append((f"after {pause * 1e3:.0f} ms idle", _median_sign_cpu(sign, functools.partial(time.sleep, pause))))

    stop = threading.Event()

    def python_loop() -> None:
        while not stop.is_set():
            sum(range(200))

    other = threading.Thread(target=python_loop)
    other.start()
    try:
        rows.append(("beside a Python thread of this process", _median_sign_cpu(sign)))
    finally:
        stop.set()
        other.join()

    hog = subprocess.Popen([sys.executable, "-c", "while True: sum(range(200))"])
    try:
        time.sleep(0.2)
        rows.append(("beside a Python process", _median_sign_cpu(sign)))
    finally:
        hog.kill()
        hog.wait()

    for label, seconds in rows:
        print(f"{label:40s} {seconds * 1e3:.3f} ms of CPU per signature (median of {SIGNATURES})")


if __name__ == "__main__":
    main()
