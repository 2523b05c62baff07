"""Whether the RSA operation releases the GIL: two threads signing against one.

The async signing design (:mod:`oci_openai_patch.signature.async_signing`) rests on it: if
``cryptography`` held the GIL while signing, a worker thread could not overlap the event
loop. 2,000 RSA-2048 signatures in one thread, then split over two; best of three rounds.
"""

from __future__ import annotations

import threading
import time

from _measure import Result

SIGNATURES = 2000
ROUNDS = 3


def run() -> list[Result]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(65537, 2048)
    data = b"x" * 300

    def sign(count: int) -> None:
        for _ in range(count):
            key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    best = 0.0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        sign(SIGNATURES)
        one = time.perf_counter() - started
        threads = [threading.Thread(target=sign, args=(SIGNATURES // 2,)) for _ in range(2)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        best = max(best, one / (time.perf_counter() - started))
    return [
        Result(
            f"RSA-2048 signing, {SIGNATURES:,} signatures: two threads / one thread, speed-up",
            f"{best:.2f}x",
            "(informative: near 2x on 2 CPUs means the GIL is released while signing)",
            None,
        )
    ]
