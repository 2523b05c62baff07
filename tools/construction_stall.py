"""How long an instance-principal client built inside a coroutine stops the event loop.

Usage: ``.venv/bin/python tools/construction_stall.py`` (a fresh process per case, as the
first principal imports the SDK's signers).

With the endpoint and the identity fakes in this process, a ticker measures the longest
gap while the auth is built, and then during the client's first request: the auth built
on the loop (inside a coroutine it leaves its first token to that request, which fetches
it in a worker thread), then, in another process, built with ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from oci_openai_patch import AsyncOciOpenAI, OciInstancePrincipalAuth
from oci_openai_patch.testing import FakeInstanceIdentity, OciTestEndpoint
from oci_openai_patch.testing.loop import longest_stall

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaconstructionstall"


def _measure(in_thread: bool) -> tuple[float, float]:
    """The longest loop stalls while the auth is built and during the first request."""
    with OciTestEndpoint() as endpoint, FakeInstanceIdentity(endpoint.issuer) as identity:
        os.environ["OCI_METADATA_BASE_URL"] = identity.metadata_base_url
        os.environ["OCI_OPENAI_FEDERATION_ENDPOINT"] = identity.federation_endpoint

        async def build() -> OciInstancePrincipalAuth:
            if in_thread:
                return await asyncio.to_thread(OciInstancePrincipalAuth, hosts=[endpoint.host])
            return OciInstancePrincipalAuth(hosts=[endpoint.host])

        async def main() -> tuple[float, float]:
            built: list[OciInstancePrincipalAuth] = []

            async def keep() -> None:
                built.append(await build())

            building = await longest_stall(keep(), tick=0.002)
            # openai's own client set-up (an SSL context) is not timed: it is the same unsigned.
            client = AsyncOciOpenAI(auth=built[0], base_url=endpoint.base_url, compartment_id=COMPARTMENT)
            first_request = await longest_stall(client.models.list(), tick=0.002)
            await client.close()
            return building, first_request

        return asyncio.run(main())


def main() -> None:
    if len(sys.argv) > 1:
        in_thread = sys.argv[1] == "thread"
        where = "with asyncio.to_thread" if in_thread else "on the loop"
        building, first_request = _measure(in_thread)
        print(
            f"auth built {where}: longest event-loop stall {building * 1e3:.0f} ms while building, "
            f"{first_request * 1e3:.0f} ms during the first request"
        )
        return
    for case in ("loop", "thread"):
        subprocess.run([sys.executable, __file__, case], check=True)


if __name__ == "__main__":
    main()
