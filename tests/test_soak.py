"""Load, with the credentials turning over: nothing lost, memory flat. ``make soak``.

One session client is shared by 32 threads (100 requests each), then by 200 concurrent
async tasks, while the session token file is rewritten every 0.5 s as
``oci session refresh`` does; a token is revoked 8 s after it was superseded, so clients
holding an old one meet 401s and must recover. Every request must succeed and be
verified by the endpoint. Then 20,000 requests on one client: resident memory may grow
by less than 5 MB after warm-up.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from oci_openai_patch import AsyncOciOpenAI, OciOpenAI, OciSessionAuth
from oci_openai_patch.testing import OciTestEndpoint, SessionProfile, make_session_profile

pytestmark = pytest.mark.soak
MESSAGES = [{"role": "user", "content": "load"}]


@contextmanager
def rotating(
    profile: SessionProfile, endpoint: OciTestEndpoint, every: float = 0.5, revoke_after: int = 16
) -> Iterator[list[str]]:
    """Rewrite the token file every ``every`` seconds; revoke a token once ``revoke_after``
    newer ones exist (8 s: longer than a request waits here under full load -- 200 tasks
    and the server share one interpreter -- and shorter than the 15 s a client would
    otherwise keep a 30 s token, so 401s do happen and must be recovered)."""
    stop = threading.Event()
    issued: list[str] = [profile.token]

    def run() -> None:
        while not stop.wait(every):
            issued.append(profile.rotate(ttl=30.0, revoke_old=False))
            if len(issued) > revoke_after:
                endpoint.issuer.revoke(issued[-revoke_after - 1])

    thread = threading.Thread(target=run, name="rotation")
    thread.start()
    try:
        yield issued
    finally:
        stop.set()
        thread.join()


def _rss() -> int:
    import os

    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_32_threads_share_one_client_while_tokens_rotate(tmp_path, oci_endpoint) -> None:  # type: ignore[no-untyped-def]
    profile = make_session_profile(tmp_path, oci_endpoint.verifier)
    client = OciOpenAI(
        auth=OciSessionAuth(config_file=profile.config_file),
        base_url=oci_endpoint.base_url,
        max_retries=0,
    )
    failures: list[BaseException] = []

    def worker() -> None:
        for _ in range(100):
            try:
                client.chat.completions.create(model="m", messages=MESSAGES)
            except Exception as error:  # noqa: BLE001 - counted and asserted below
                failures.append(error)

    with rotating(profile, oci_endpoint) as issued:
        threads = [threading.Thread(target=worker) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert oci_endpoint.verified_count == 3200
    assert len(issued) >= 3  # the tokens really turned over during the run
    print(f"3200 requests, {len(issued) - 1} rotations, {oci_endpoint.refused_count} 401s recovered")


def test_200_async_tasks_while_tokens_rotate(tmp_path, oci_endpoint) -> None:  # type: ignore[no-untyped-def]
    profile = make_session_profile(tmp_path, oci_endpoint.verifier)

    async def main() -> list[BaseException]:
        client = AsyncOciOpenAI(
            auth=OciSessionAuth(config_file=profile.config_file),
            base_url=oci_endpoint.base_url,
            max_retries=0,
        )

        async def task() -> None:
            for _ in range(10):
                await client.chat.completions.create(model="m", messages=MESSAGES)

        results = await asyncio.gather(*(task() for _ in range(200)), return_exceptions=True)
        return [r for r in results if isinstance(r, BaseException)]

    with rotating(profile, oci_endpoint) as issued:
        failures = asyncio.run(main())
    assert failures == []
    assert oci_endpoint.verified_count == 2000
    assert len(issued) >= 3
    print(f"2000 requests, {len(issued) - 1} rotations, {oci_endpoint.refused_count} 401s recovered")


def test_memory_is_flat_over_20000_requests(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with OciTestEndpoint(keep_requests=False) as endpoint:
        profile = make_session_profile(tmp_path, endpoint.verifier)
        client = OciOpenAI(
            auth=OciSessionAuth(config_file=profile.config_file),
            base_url=endpoint.base_url,
            max_retries=0,
        )
        for _ in range(2000):  # warm-up: pools, caches, lazy imports
            client.chat.completions.create(model="m", messages=MESSAGES)
        start = peak = _rss()
        for index in range(20_000):
            client.chat.completions.create(model="m", messages=MESSAGES)
            if index % 1000 == 0:
                peak = max(peak, _rss())
        peak = max(peak, _rss())
        assert endpoint.verified_count == 22_000 and endpoint.refused_count == 0
    growth_mb = (peak - start) / 2**20
    print(f"RSS growth over 20,000 signed requests: {growth_mb:.2f} MB")
    assert growth_mb < 5.0
