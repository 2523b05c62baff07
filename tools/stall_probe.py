"""Event-loop gaps during token refreshes under async traffic, with every fake in-process.

Usage: ``PYTHON tools/stall_probe.py [SECONDS]`` (in any of the test environments).

Instance-principal tokens live 2 s (so they refresh about every second), each federation
takes 0.4 s, 10 tasks send requests back to back, and a 5 ms ticker reports every gap
over 30 ms with the time and the federation count, and every garbage collection over 5 ms
(``gc.callbacks``) with its generation, length and thread. Unlike
``benchmarks/async_load.py`` (endpoint in another process, one forced federation), the
endpoint and the identity fakes run in this process, as in the test suite.

What it showed: the one gap of about 100 ms at the first refresh (Python 3.12 with
openai 2 / httpx; not every run on 3.11 with httpx2) is a full (generation 2) collection,
run on the loop's thread, as long as the gap: a collection stops every thread. Its length
is the heap's size (the fakes live in this process); in a plain process holding openai
and the SDK's signers a full collection took 27 ms (3.11) and 47 ms (3.12), openai alone
14 and 34 ms. Collecting once after the SDK's import, at the principal's construction, did
not prevent it (the first requests' lazy imports fill the generation again).
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import time

from oci_openai_patch import AsyncOciOpenAI, OciInstancePrincipalAuth
from oci_openai_patch.testing import FakeInstanceIdentity, OciTestEndpoint


def _report_long_collections() -> None:
    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started and time.perf_counter() - started[0] > 0.005:
            print(
                f"garbage collection, generation {info['generation']} took "
                f"{(time.perf_counter() - started[0]) * 1e3:.0f} ms on {threading.current_thread().name}"
            )

    gc.callbacks.append(callback)


def main() -> None:
    _report_long_collections()
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
    with OciTestEndpoint() as endpoint, FakeInstanceIdentity(endpoint.issuer, token_ttl=2.0) as identity:
        os.environ["OCI_METADATA_BASE_URL"] = identity.metadata_base_url
        os.environ["OCI_OPENAI_FEDERATION_ENDPOINT"] = identity.federation_endpoint
        identity.delay = 0.4

        async def traffic() -> float:
            client = AsyncOciOpenAI(
                auth=OciInstancePrincipalAuth(hosts=[endpoint.host]),
                base_url=endpoint.base_url,
                compartment_id="ocid1.compartment.oc1..aaaastallprobe",
                max_retries=0,
            )
            await client.models.list()
            end = time.monotonic() + seconds

            async def ticker() -> float:
                longest, last = 0.0, time.perf_counter()
                while time.monotonic() < end:
                    await asyncio.sleep(0.005)
                    now = time.perf_counter()
                    gap = now - last - 0.005
                    if gap > 0.03:
                        print(
                            f"gap {gap * 1e3:.0f} ms at {seconds - (end - time.monotonic()):.2f} s, "
                            f"federations so far {identity.token_requests}"
                        )
                    longest, last = max(longest, gap), now
                return longest

            async def worker() -> None:
                while time.monotonic() < end:
                    await client.models.list()

            results = await asyncio.gather(ticker(), *(worker() for _ in range(10)))
            await client.close()
            return float(results[0] or 0.0)

        longest = asyncio.run(traffic())
        refused = len(endpoint.requests) - endpoint.verified_count
        print(
            f"longest gap {longest * 1e3:.0f} ms; federations {identity.token_requests}; "
            f"verified {endpoint.verified_count}, refused {refused}"
        )


if __name__ == "__main__":
    main()
