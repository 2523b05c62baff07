"""Async signatures: the RSA operation beside the event loop when another CPU can take it.

Checked under asyncio and trio (httpx and httpx2 run on both through anyio), with the
endpoint verifying every request: the signature is the same whichever thread computes it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import trio

from oci_openai_patch import AsyncOciOpenAI, OciUserPrincipalAuth
from oci_openai_patch.signature import async_signing
from oci_openai_patch.signature.signing import rsa_sign
from oci_openai_patch.testing import ApiKeyProfile, OciTestEndpoint

MESSAGES: Any = [{"role": "user", "content": "hello"}]


@pytest.fixture
def signing_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread of every RSA operation of an async signature."""
    threads: list[int] = []

    def recording_sign(private_key: Any, data: bytes) -> bytes:
        threads.append(threading.get_ident())
        return rsa_sign(private_key, data)

    monkeypatch.setattr(async_signing, "rsa_sign", recording_sign)
    return threads


def _requests(endpoint: OciTestEndpoint, profile: ApiKeyProfile, gather: Callable[..., Any]) -> Any:
    async def main() -> int:
        auth = OciUserPrincipalAuth(config_file=profile.config_file, hosts=[endpoint.host])
        async with AsyncOciOpenAI(auth=auth, base_url=endpoint.base_url, max_retries=0) as client:
            await gather([client.chat.completions.create(model="m", messages=MESSAGES) for _ in range(6)])
        return threading.get_ident()

    return main


async def _asyncio_gather(calls: list[Coroutine[Any, Any, Any]]) -> None:
    await asyncio.gather(*calls)


async def _trio_gather(calls: list[Coroutine[Any, Any, Any]]) -> None:
    async with trio.open_nursery() as nursery:
        for call in calls:

            async def one(call: Coroutine[Any, Any, Any] = call) -> None:
                await call

            nursery.start_soon(one)


def _run_asyncio(main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    return asyncio.run(main())


RUNNERS = {
    "asyncio": (_run_asyncio, _asyncio_gather),
    "trio": (trio.run, _trio_gather),
}


@pytest.mark.parametrize("runner", sorted(RUNNERS))
@pytest.mark.parametrize("off_loop", [True, False], ids=["worker", "inline"])
def test_async_signatures_run_where_the_mode_says_and_verify(  # type: ignore[no-untyped-def]
    runner: str, off_loop: bool, oci_endpoint, oci_api_key_profile, signing_threads, monkeypatch
) -> None:
    monkeypatch.setattr(async_signing, "force_off_loop", off_loop)
    run, gather = RUNNERS[runner]
    loop_thread = run(_requests(oci_endpoint, oci_api_key_profile, gather))
    assert len(oci_endpoint.requests) == 6 and all(r.verified for r in oci_endpoint.requests)
    assert len(signing_threads) == 6
    if off_loop:
        assert loop_thread not in signing_threads
    else:
        assert set(signing_threads) == {loop_thread}


def test_one_usable_cpu_signs_on_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(async_signing, "force_off_loop", None)
    monkeypatch.setattr(async_signing, "_usable_cpus", 1)
    assert not async_signing.signs_off_loop()
    monkeypatch.setattr(async_signing, "_usable_cpus", 2)
    assert async_signing.signs_off_loop()


def test_usable_cpus_follow_the_affinity_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(async_signing, "_usable_cpus", None)
    monkeypatch.setattr(async_signing.os, "sched_getaffinity", lambda pid: {0})
    assert async_signing.usable_cpus() == 1


def test_at_most_one_worker_signature_per_cpu(  # type: ignore[no-untyped-def]
    oci_endpoint, oci_api_key_profile, monkeypatch
) -> None:
    monkeypatch.setattr(async_signing, "force_off_loop", True)
    monkeypatch.setattr(async_signing, "_usable_cpus", 2)
    running, most = [0], [0]
    lock = threading.Lock()

    def slow_sign(private_key: Any, data: bytes) -> bytes:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            threading.Event().wait(0.02)
            return rsa_sign(private_key, data)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(async_signing, "rsa_sign", slow_sign)
    asyncio.run(_requests(oci_endpoint, oci_api_key_profile, _asyncio_gather)())
    assert all(r.verified for r in oci_endpoint.requests) and len(oci_endpoint.requests) == 6
    assert most[0] == 2
