"""Faults injected at the local endpoint, survived through the real openai client.

5xx answers and dropped connections are retried by openai itself: every attempt must be
signed again, with the date of its own sending. (A revoked token, a persistent 401 and
slow or failing identity endpoints are in test_clients.py and test_principals.py.)
"""

from __future__ import annotations

import email.utils

import pytest

from oci_openai_patch import AsyncOciOpenAI, OciOpenAI, OciUserPrincipalAuth

MESSAGES = [{"role": "user", "content": "hi"}]


def _dates(endpoint) -> list[float]:  # type: ignore[no-untyped-def]
    return [email.utils.parsedate_to_datetime(r.headers["date"]).timestamp() for r in endpoint.requests]


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_retried_and_each_attempt_signed_afresh(oci_endpoint, oci_api_key_profile, status) -> None:  # type: ignore[no-untyped-def]
    client = OciOpenAI(
        auth=OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file),
        base_url=oci_endpoint.base_url,
        max_retries=2,
    )
    oci_endpoint.fail_next(status, count=2)
    client.chat.completions.create(model="m", messages=MESSAGES)
    requests = oci_endpoint.requests
    assert [r.reason for r in requests] == ["injected", "injected", None] and requests[-1].verified
    assert all(r.headers["authorization"].startswith("Signature ") for r in requests)
    dates = _dates(oci_endpoint)
    # openai backs off at least 0.5 s, then about 1 s: the last attempt carries a later date.
    assert dates == sorted(dates) and dates[-1] > dates[0]


def test_dropped_connection_is_retried_and_signed(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    client = OciOpenAI(
        auth=OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file),
        base_url=oci_endpoint.base_url,
        max_retries=2,
    )
    oci_endpoint.drop_next(1)
    reply = client.chat.completions.create(model="m", messages=MESSAGES)
    assert reply.choices[0].message.content
    assert [r.reason for r in oci_endpoint.requests] == ["injected", None]
    assert oci_endpoint.requests[-1].verified


def test_async_client_survives_errors_drops_and_a_revoked_session(oci_endpoint, oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from oci_openai_patch import OciSessionAuth

    async def main() -> None:
        client = AsyncOciOpenAI(
            auth=OciSessionAuth(config_file=oci_session_profile.config_file),
            base_url=oci_endpoint.base_url,
            max_retries=3,
        )
        await client.models.list()
        oci_endpoint.fail_next(503)
        oci_endpoint.drop_next(1)
        await client.chat.completions.create(model="m", messages=MESSAGES)
        oci_session_profile.rotate()  # the token in use is revoked
        await client.chat.completions.create(model="m", messages=MESSAGES)

    asyncio.run(main())
    reasons = [r.reason for r in oci_endpoint.requests]
    assert reasons[:4] == [None, "injected", "injected", None]
    assert reasons[4] == "The security token has been revoked" and reasons[5] is None
    assert oci_endpoint.verified_count == 3
