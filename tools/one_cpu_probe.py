"""Why the signing worker beats inline signing on one CPU with 100 requests in flight.

Usage: ``.venv/bin/python tools/one_cpu_probe.py [IN_FLIGHT ...]`` (default: 100 10).

A child process pinned to one CPU (as ``taskset -c 0`` does) makes 1,000 async chat
completions per client (``benchmarks/async_load.py``'s ``throughput``) against the local
endpoint (in its own process), best of four alternating rounds, and prints requests per
second of wall clock and of the process's CPU. Besides the signed client (inline and
with the worker forced), the unsigned client runs plain and with a request hook that does, per request:

- ``rsa inline``: one RSA-2048 signature on the loop (what inline signing adds);
- ``rsa in worker``: the same signature in a worker thread, one at a time;
- ``sleep in worker``: a 0.25 ms sleep in a worker thread, one at a time: no CPU, only
  a queue in front of the client.

If ``sleep in worker`` is faster than plain unsigned, a queue in front of the
openai/httpx stack alone makes it cheaper per request at that concurrency, and the
worker's win is that queue, not cheaper signing.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

ROUNDS = 4


def _child(endpoint: dict[str, Any], in_flight: int) -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import anyio.to_thread
    import openai
    from async_load import throughput
    from cryptography.hazmat.primitives.asymmetric import rsa

    from oci_openai_patch import AsyncOciOpenAI, OciUserPrincipalAuth
    from oci_openai_patch.signature import async_signing
    from oci_openai_patch.signature.signing import rsa_sign

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    limiters: dict[str, Any] = {}

    def one_at_a_time() -> Any:
        if "one" not in limiters:
            limiters["one"] = anyio.CapacityLimiter(1)
        return limiters["one"]

    async def rsa_inline(request: Any) -> None:
        rsa_sign(key, b"x" * 400)

    async def rsa_in_worker(request: Any) -> None:
        await anyio.to_thread.run_sync(rsa_sign, key, b"x" * 400, limiter=one_at_a_time())

    async def sleep_in_worker(request: Any) -> None:
        await anyio.to_thread.run_sync(time.sleep, 0.00025, limiter=one_at_a_time())

    def unsigned(hook: Any = None) -> Any:
        http_client = openai.DefaultAsyncHttpxClient(event_hooks={"request": [hook]}) if hook else None
        return openai.AsyncOpenAI(
            api_key="sk-unsigned", base_url=endpoint["base_url"], max_retries=0, http_client=http_client
        )

    async def rounds() -> None:
        auth = OciUserPrincipalAuth(config_file=endpoint["api_key_config"], hosts=[endpoint["host"]])
        clients: dict[str, tuple[Any, bool | None]] = {
            "unsigned": (unsigned(), None),
            "unsigned + rsa inline": (unsigned(rsa_inline), None),
            "unsigned + rsa in worker": (unsigned(rsa_in_worker), None),
            "unsigned + sleep in worker": (unsigned(sleep_in_worker), None),
            "signed, inline": (AsyncOciOpenAI(auth=auth, base_url=endpoint["base_url"], max_retries=0), False),
            "signed, worker": (AsyncOciOpenAI(auth=auth, base_url=endpoint["base_url"], max_retries=0), True),
        }
        best = dict.fromkeys(clients, (0.0, 0.0))
        for _ in range(ROUNDS):
            for name, (client, off_loop) in clients.items():
                async_signing.force_off_loop = off_loop
                wall, _, cpu = await throughput(client, in_flight)
                figures = (wall, cpu)
                best[name] = (max(best[name][0], figures[0]), max(best[name][1], figures[1]))
        for name, (wall, cpu) in best.items():
            print(f"{in_flight:>4} in flight  {name:28s} {wall:6.0f} req/s  {cpu:6.0f} req per CPU-s")

    asyncio.run(rounds())


def main() -> None:
    from _measure import endpoint_process

    levels = sys.argv[1:] or ["100", "10"]
    with endpoint_process() as endpoint:
        endpoint.pop("counts", None)
        for in_flight in levels:
            subprocess.run([sys.executable, __file__, "--child", json.dumps(endpoint), in_flight], check=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(json.loads(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
