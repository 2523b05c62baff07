"""How long building an instance-principal auth inside a coroutine stops the event loop.

Usage: ``.venv/bin/python tools/construction_stall.py`` (fresh process per case, as the
first construction imports the SDK's signers).

The principal fetches its first token where it is built (so errors surface there). With
the endpoint and the identity fakes in this process, a ticker measures the longest gap
while the auth is built on the loop, then, in another process, while it is built with
``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from oci_openai_patch import OciInstancePrincipalAuth
from oci_openai_patch.testing import FakeInstanceIdentity, OciTestEndpoint
from oci_openai_patch.testing.loop import longest_stall


def _measure(in_thread: bool) -> float:
    with OciTestEndpoint() as endpoint, FakeInstanceIdentity(endpoint.issuer) as identity:
        os.environ["OCI_METADATA_BASE_URL"] = identity.metadata_base_url
        os.environ["OCI_OPENAI_FEDERATION_ENDPOINT"] = identity.federation_endpoint

        async def build() -> object:
            if in_thread:
                return await asyncio.to_thread(OciInstancePrincipalAuth, hosts=[endpoint.host])
            return OciInstancePrincipalAuth(hosts=[endpoint.host])

        async def main() -> float:
            return await longest_stall(build(), tick=0.002)

        return asyncio.run(main())


def main() -> None:
    if len(sys.argv) > 1:
        in_thread = sys.argv[1] == "thread"
        where = "with asyncio.to_thread" if in_thread else "on the loop"
        print(f"built {where}: longest event-loop stall {_measure(in_thread) * 1e3:.0f} ms")
        return
    for case in ("loop", "thread"):
        subprocess.run([sys.executable, __file__, case], check=True)


if __name__ == "__main__":
    main()
