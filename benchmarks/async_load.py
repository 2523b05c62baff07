"""Async: throughput with 100 requests in flight, and the event loop during a refresh.

Throughput: 1,000 chat completions, at most 100 in flight, on ``AsyncOciOpenAI``
(signed) and ``openai.AsyncOpenAI`` (unsigned) against the local endpoint in its own
process; rounds alternate and each side's best round counts. Each case runs in a child
process: once on every CPU (signatures beside the loop, in a worker thread), once pinned
to one CPU (``os.sched_setaffinity``, as ``taskset -c 0`` does; signatures stay on the
loop, and the worker hand-off is measured forced, for comparison). Besides wall clock,
throughput per second of the event-loop thread's CPU (``time.thread_time``) and of the
whole client process's CPU (loop plus signing workers).

Stall: requests one after another on an instance-principal client whose federation
takes 500 ms (the fake in the endpoint process), while a ticker task records the longest
time the loop did not run it. The credentials are invalidated mid-way, so one request
triggers a federation; the figure is the longest stall in that window, next to the same
loop's longest stall without a refresh. Measured on openai 3.x (httpx2) in this
environment and on openai 2.x (httpx) in ``.venv-openai2`` when it exists.
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

from _measure import Result, endpoint_process, rsa_cpu_seconds

from oci_openai_patch.testing.loop import longest_stall

REQUESTS = 1000
ROUNDS = 4
IN_FLIGHT = 100
WALL_TARGET = 0.95
ONE_CPU_TARGET = 0.88
STALL_TARGET_MS = 20.0
FEDERATION_DELAY = 0.5
MESSAGES = [{"role": "user", "content": "hello"}]
OPENAI2_PYTHON = Path(__file__).resolve().parents[1] / ".venv-openai2" / "bin" / "python"


async def throughput(client: Any, in_flight: int = IN_FLIGHT) -> tuple[float, float, float]:
    """Requests per second of wall time, of the loop thread's CPU, of the process's CPU,
    for :data:`REQUESTS` chat completions with at most ``in_flight`` at a time."""
    limit = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with limit:
            await client.chat.completions.create(model="m", messages=MESSAGES)

    started, loop_started, cpu_started = time.perf_counter(), time.thread_time(), time.process_time()
    await asyncio.gather(*(one() for _ in range(REQUESTS)))
    return (
        REQUESTS / (time.perf_counter() - started),
        REQUESTS / (time.thread_time() - loop_started),
        REQUESTS / (time.process_time() - cpu_started),
    )


def _child_throughput(endpoint: dict[str, Any], one_cpu: bool) -> dict[str, Any]:
    """In a child process: the best round of each client kind (``best``), and the CPU of
    one RSA signature on that CPU set (``rsa_seconds``)."""
    if one_cpu:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import openai

    from oci_openai_patch import AsyncOciOpenAI, OciUserPrincipalAuth
    from oci_openai_patch.signature import async_signing

    async def rounds() -> dict[str, Any]:
        auth = OciUserPrincipalAuth(config_file=endpoint["api_key_config"], hosts=[endpoint["host"]])
        clients = {
            "signed": AsyncOciOpenAI(auth=auth, base_url=endpoint["base_url"], max_retries=0),
            "unsigned": openai.AsyncOpenAI(api_key="sk-unsigned", base_url=endpoint["base_url"], max_retries=0),
        }
        # The other mode, forced, for comparison: on one CPU the hand-off, on many inline.
        modes: dict[str, bool | None] = {"signed": None, "unsigned": None}
        if one_cpu:
            clients["signed, worker forced"] = AsyncOciOpenAI(auth=auth, base_url=endpoint["base_url"], max_retries=0)
            modes["signed, worker forced"] = True
        best = dict.fromkeys(clients, (0.0, 0.0, 0.0))
        for _ in range(ROUNDS):
            for name, client in clients.items():
                async_signing.force_off_loop = modes[name]
                figures = await throughput(client)
                best[name] = tuple(max(a, b) for a, b in zip(best[name], figures, strict=True))  # type: ignore[assignment]
        async_signing.force_off_loop = None
        for client in clients.values():
            await client.close()
        return {"best": best, "rsa_seconds": rsa_cpu_seconds(auth.credentials.get().private_key)}

    return asyncio.run(rounds())


def _in_child(python: Path | str, mode: str, endpoint: dict[str, Any]) -> Any:
    """Run this module's ``mode`` in a fresh process of ``python``; its JSON answer."""
    counts = endpoint.pop("counts", None)
    result = subprocess.run(
        [str(python), __file__, mode, json.dumps(endpoint)], capture_output=True, text=True, timeout=600
    )
    if counts is not None:
        endpoint["counts"] = counts
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child {mode} failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


async def _sequential(client: Any, count: int) -> None:
    for _ in range(count):
        await client.chat.completions.create(model="m", messages=MESSAGES)


async def _stalls(endpoint: dict[str, Any]) -> tuple[float, float, float]:
    from oci_openai_patch import AsyncOciOpenAI, OciInstancePrincipalAuth

    auth = OciInstancePrincipalAuth(hosts=[endpoint["host"]])
    client = AsyncOciOpenAI(auth=auth, base_url=endpoint["base_url"])
    await _sequential(client, 5)
    baseline = await longest_stall(_sequential(client, 20))
    from oci_openai_patch.credentials import CredentialsProvider

    assert isinstance(auth.credentials, CredentialsProvider)
    auth.credentials.invalidate()
    started = time.perf_counter()
    during = await longest_stall(_sequential(client, 1))
    refresh_seconds = time.perf_counter() - started
    await client.close()
    return baseline, during, refresh_seconds


def _stall_rows(python: Path | str, label: str) -> list[Result]:
    with endpoint_process("--federation-delay", str(FEDERATION_DELAY)) as endpoint:
        baseline, during, refresh_seconds, versions = _in_child(python, "stall", endpoint)
    refreshed = endpoint["counts"].get("federations") == 2
    return [
        Result(
            f"async: longest event-loop stall during a forced 500 ms federation, {label} ({versions})",
            f"{during * 1e3:.1f} ms (request took {refresh_seconds * 1e3:.0f} ms; "
            f"same loop without refresh {baseline * 1e3:.1f} ms)",
            f"<= {STALL_TARGET_MS:.0f} ms",
            during * 1e3 <= STALL_TARGET_MS and refreshed and refresh_seconds >= FEDERATION_DELAY,
        )
    ]


def _child_stall(endpoint: dict[str, Any]) -> tuple[float, float, float, str]:
    import openai

    os.environ["OCI_METADATA_BASE_URL"] = endpoint["metadata_base_url"]
    os.environ["OCI_OPENAI_FEDERATION_ENDPOINT"] = endpoint["federation_endpoint"]
    baseline, during, seconds = asyncio.run(_stalls(endpoint))
    library = "httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx"
    return baseline, during, seconds, f"openai {openai.__version__}, {library}"


def run() -> list[Result]:
    results = []
    for one_cpu in (False, True):
        with endpoint_process() as endpoint:
            child = _in_child(sys.executable, "one-cpu" if one_cpu else "all-cpus", endpoint)
        best, rsa = child["best"], child["rsa_seconds"]
        counts = endpoint["counts"]
        all_verified = counts.get("refused") == 0 and counts.get("verified") == ROUNDS * REQUESTS * (
            2 if one_cpu else 1
        )
        where = "pinned to one CPU (signing on the loop)" if one_cpu else "every CPU (signing beside the loop)"
        target = ONE_CPU_TARGET if one_cpu else WALL_TARGET
        signed, unsigned = best["signed"], best["unsigned"]
        wall = signed[0] / unsigned[0]
        # On one CPU the loop's thread does everything: the RSA operation alone bounds it.
        unsigned_cpu = 1 / unsigned[2]
        ceiling = f"; the signature alone allows {unsigned_cpu / (unsigned_cpu + rsa):.3f}x" if one_cpu else ""
        results.append(
            Result(
                f"async, {where}: {REQUESTS} requests, {IN_FLIGHT} in flight, signed / unsigned, wall clock",
                f"{wall:.3f}x ({signed[0]:.0f} / {unsigned[0]:.0f} req/s{ceiling}: "
                f"{unsigned_cpu * 1e3:.2f} ms of CPU per unsigned request, {rsa * 1e3:.2f} ms per RSA signature)",
                f">= {target:.2f}x",
                wall >= target and all_verified,
                "" if all_verified else f"endpoint counts {counts}",
            )
        )
        if one_cpu:
            forced = best["signed, worker forced"]
            results.append(
                Result(
                    "async, pinned to one CPU: signing on the loop (chosen there) / the worker hand-off forced",
                    f"{signed[0] / forced[0]:.3f}x ({signed[0]:.0f} / {forced[0]:.0f} req/s)",
                    "(informative: at 100 in flight the hand-off wins, at 1 and 10 it loses)",
                    None,
                )
            )
        results.append(
            Result(
                f"async, {where}: requests per CPU-second of the event-loop thread, signed / unsigned",
                f"{signed[1] / unsigned[1]:.3f}x ({signed[1]:.0f} / {unsigned[1]:.0f})",
                "(informative)",
                None,
            )
        )
        results.append(
            Result(
                f"async, {where}: requests per CPU-second of the client process, signed / unsigned",
                f"{signed[2] / unsigned[2]:.3f}x ({signed[2]:.0f} / {unsigned[2]:.0f})",
                "(informative: the RSA operation itself is in it)",
                None,
            )
        )
    results += _stall_rows(sys.executable, "this environment")
    if OPENAI2_PYTHON.exists():
        results += _stall_rows(OPENAI2_PYTHON, ".venv-openai2")
    return results


if __name__ == "__main__":
    mode, description = sys.argv[1], json.loads(sys.argv[2])
    if mode == "stall":
        print(json.dumps(_child_stall(description)))
    else:
        print(json.dumps(_child_throughput(description, one_cpu=mode == "one-cpu")))
