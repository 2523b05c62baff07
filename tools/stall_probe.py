"""Event-loop gaps during token refreshes under async traffic, with every fake in-process.

Usage: ``PYTHON tools/stall_probe.py [SECONDS]`` (in any of the test environments).

Instance-principal tokens live 2 s (so they refresh about every second), each federation
takes 0.4 s, 10 tasks send requests back to back, and a 5 ms ticker reports every gap
over 30 ms with the time and the federation count. Unlike ``benchmarks/async_load.py``
(endpoint in another process, one forced federation), the endpoint and the identity fakes
run in this process, as in the test suite. Open question (see the README's benchmark
section): with httpx on Python 3.10 and 3.12 one gap of about 100 ms appears at the first
refresh; on httpx2 it does not.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from oci_openai_patch import AsyncOciOpenAI, OciInstancePrincipalAuth
from oci_openai_patch.testing import FakeInstanceIdentity, OciTestEndpoint


def main() -> None:
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
            return float(results[0])

        longest = asyncio.run(traffic())
        refused = len(endpoint.requests) - endpoint.verified_count
        print(
            f"longest gap {longest * 1e3:.0f} ms; federations {identity.token_requests}; "
            f"verified {endpoint.verified_count}, refused {refused}"
        )


if __name__ == "__main__":
    main()
