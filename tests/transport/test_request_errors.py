"""Errors of ours raised while a request is sent reach the caller as themselves: openai 2.x
would otherwise retry them and report "Connection error." (openai 1.x still does: there
the error is the ``__cause__``)."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import openai
import pytest
from openai_versions import OPENAI_MAJOR, error_of_ours

from oci_openai_patch import AsyncOciOpenAI, ConfigurationError, CredentialsError, OciOpenAI, OciSessionAuth
from oci_openai_patch.testing import OciTestEndpoint, SessionProfile
from oci_openai_patch.transport.auth import OciAuth

REASON = "instance_principal: could not obtain an OCI security token from 127.0.0.1:9 (connection refused)"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaarequesterrors"


class _UnreachableTokenService:
    """A key source whose every fetch fails, counting the attempts."""

    kind = "instance_principal"

    def __init__(self) -> None:
        self.fetches = 0

    def get(self) -> Any:
        self.fetches += 1
        raise CredentialsError(REASON)

    def current(self) -> Any:
        return None

    def refresh(self, seen: Any, refused_at: float | None = None) -> Any:
        return self.get()


async def _list_models(client: AsyncOciOpenAI) -> None:
    await client.models.list()


def _caught(error: BaseException) -> BaseException:
    """The error of ours the caller sees: itself, or on openai 1.x the connection error's cause."""
    if OPENAI_MAJOR == 1:
        assert isinstance(error, openai.APIConnectionError)
        assert error.__cause__ is not None
    return error_of_ours(error)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_token_that_cannot_be_fetched_is_raised_as_itself_once(oci_endpoint: OciTestEndpoint, mode: str) -> None:
    source = _UnreachableTokenService()
    options: dict[str, Any] = {
        "auth": OciAuth(source, hosts=[oci_endpoint.host]),
        "base_url": oci_endpoint.base_url,
        "compartment_id": COMPARTMENT,
        "max_retries": 2,
    }
    with pytest.raises(Exception) as raised:
        if mode == "sync":
            OciOpenAI(**options).models.list()
        else:
            asyncio.run(_list_models(AsyncOciOpenAI(**options)))
    error = _caught(raised.value)
    assert isinstance(error, CredentialsError)
    assert str(error) == REASON
    assert oci_endpoint.requests == []
    if OPENAI_MAJOR >= 2:
        assert source.fetches == 1  # not retried
        assert isinstance(error, openai.OpenAIError)
        assert type(error).__name__ == "CredentialsError"
        assert type(pickle.loads(pickle.dumps(error))) is CredentialsError
    else:
        assert source.fetches == 3  # openai 1.x retries every exception


def test_a_header_that_cannot_be_signed_is_raised_as_itself(
    oci_endpoint: OciTestEndpoint, oci_session_profile: SessionProfile
) -> None:
    generic = ["date", "(request-target)", "host", "x-not-sent"]
    auth = OciSessionAuth(oci_session_profile.config_file, generic_headers=generic)
    client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url, compartment_id=COMPARTMENT, max_retries=2)
    with pytest.raises(Exception) as raised:
        client.models.list()
    error = _caught(raised.value)
    assert isinstance(error, ConfigurationError)
    assert str(error) == "cannot sign header x-not-sent: the request does not carry it"
    assert oci_endpoint.requests == []
