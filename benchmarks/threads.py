"""Sync clients in threads: 8 threads sharing one client, signed against unsigned.

``OciOpenAI`` (signed) and ``openai.OpenAI`` (unsigned) each make 1,200 chat
completions from 8 threads against the local endpoint (in its own process); rounds
alternate and each side's best round counts. The figure is requests per CPU-second of
the client process (the shared machine's other tenants cannot shift it), next to the
wall-clock ratio, and next to the bound the signature itself sets: with ``u`` the CPU of
an unsigned request and ``r`` that of one RSA-2048 signature (measured in the same run,
``time.thread_time`` over 500 signatures), signing can at best reach ``u / (u + r)``.
Also printed: each RSA operation's CPU under the load itself (timed on its thread during
the signed rounds), which is higher than alone, and what signing added per request.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from _measure import Result, endpoint_process, rsa_cpu_seconds

THREADS = 8
REQUESTS = 1200
ROUNDS = 4
TARGET = 0.85
MESSAGES: Any = [{"role": "user", "content": "hello"}]


def _load(client: Any) -> tuple[float, float]:
    """Requests per second of wall time and per second of this process's CPU time."""
    per_thread = REQUESTS // THREADS

    def work() -> None:
        for _ in range(per_thread):
            client.chat.completions.create(model="m", messages=MESSAGES)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    started, cpu_started = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = per_thread * THREADS
    return done / (time.perf_counter() - started), done / (time.process_time() - cpu_started)


class _RsaUnderLoad:
    """The CPU of each RSA operation the signed client makes, on the thread making it:
    under load it is not what it is alone (the figure's ``r`` is the alone one)."""

    def __init__(self) -> None:
        import oci_openai_patch.transport.auth

        self._module: Any = oci_openai_patch.transport.auth  # its rsa_sign is swapped for a timed one
        self._original = self._module.rsa_sign
        self.seconds: list[float] = []

    def __enter__(self) -> _RsaUnderLoad:
        original, seconds = self._original, self.seconds

        def timed(private_key: Any, data: bytes) -> bytes:
            started = time.thread_time()
            signature: bytes = original(private_key, data)
            seconds.append(time.thread_time() - started)
            return signature

        self._module.rsa_sign = timed
        return self

    def __exit__(self, *_: object) -> None:
        self._module.rsa_sign = self._original

    def mean(self) -> float:
        return sum(self.seconds) / len(self.seconds)


def run() -> list[Result]:
    import openai

    from oci_openai_patch import OciOpenAI, OciUserPrincipalAuth

    with endpoint_process() as endpoint:
        auth = OciUserPrincipalAuth(config_file=endpoint["api_key_config"], hosts=[endpoint["host"]])
        clients = {
            "signed": OciOpenAI(auth=auth, base_url=endpoint["base_url"], max_retries=0),
            "unsigned": openai.OpenAI(api_key="sk-unsigned", base_url=endpoint["base_url"], max_retries=0),
        }
        best = dict.fromkeys(clients, (0.0, 0.0))
        under_load = _RsaUnderLoad()
        for _ in range(ROUNDS):
            for name, client in clients.items():
                if name == "signed":
                    with under_load:
                        wall, cpu = _load(client)
                else:
                    wall, cpu = _load(client)
                best[name] = (max(best[name][0], wall), max(best[name][1], cpu))
        for client in clients.values():
            client.close()
        rsa = rsa_cpu_seconds(auth.credentials.get().private_key)
    counts = endpoint["counts"]
    expected = ROUNDS * (REQUESTS // THREADS) * THREADS
    all_verified = counts.get("verified") == expected and counts.get("refused") == 0
    signed, unsigned = best["signed"], best["unsigned"]
    bound = (1 / unsigned[1]) / (1 / unsigned[1] + rsa)
    return [
        Result(
            f"sync, {THREADS} threads on one client: requests per client CPU-second, signed / unsigned",
            f"{signed[1] / unsigned[1]:.3f}x ({signed[1]:.0f} / {unsigned[1]:.0f}; "
            f"wall clock {signed[0] / unsigned[0]:.3f}x; the signature alone allows {bound:.3f}x: "
            f"{1e3 / unsigned[1]:.2f} ms per unsigned request, {rsa * 1e3:.2f} ms per RSA signature alone, "
            f"{under_load.mean() * 1e3:.2f} ms each under this load; signed costs "
            f"{1e3 / signed[1] - 1e3 / unsigned[1]:.2f} ms more per request)",
            f">= {TARGET:.2f}x",
            signed[1] / unsigned[1] >= TARGET and all_verified,
            "" if all_verified else f"endpoint counts {counts}",
        )
    ]
