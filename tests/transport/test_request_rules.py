"""The header rules and the model map, one rule at a time, on the request objects of both
HTTP libraries: in-process and quick, so that the mutation run (``make mutate``) judges
each line of ``transport/request_headers.py`` and ``rewrite_model`` with them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from oci_openai_patch.errors import ConfigurationError
from oci_openai_patch.transport.request_headers import (
    PLACEHOLDER_API_KEY,
    client_headers,
    has_scope,
    is_not_given,
    oci_headers,
    send_read_body_with_its_length,
    strip_oci_headers,
)
from oci_openai_patch.transport.request_rewrite import rewrite_model

COMPARTMENT = "ocid1.compartment.oc1..rules"
STORE = "ocid1.generativeaiconversationstore.oc1..rules"
DATA = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1"
ACTIONS = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/20231130/actions/v1"
CONTROL = "https://generativeai.us-chicago-1.oci.oraclecloud.com/20231130/openai/v1"


def _libraries() -> list[Any]:
    found = [httpx]
    try:
        import httpx2

        found.append(httpx2)
    except ImportError:
        pass
    return found


@pytest.mark.parametrize("library", _libraries(), ids=lambda module: module.__name__)
def test_a_request_bound_elsewhere_loses_every_oci_only_header(library: Any) -> None:
    headers = library.Headers(
        {
            "CompartmentId": COMPARTMENT,
            "OPC-Compartment-Id": COMPARTMENT,
            "opc-conversation-store-id": STORE,
            "Opc-Obo-Token": "delegation",
            "Authorization": f"Bearer {PLACEHOLDER_API_KEY}",
            "OpenAI-Project": "kept",
            "Accept": "application/json",
        }
    )
    strip_oci_headers(headers)
    assert dict(headers) == {"openai-project": "kept", "accept": "application/json"}


def test_the_callers_own_key_is_not_the_placeholder_and_stays() -> None:
    headers = httpx.Headers({"Authorization": "Bearer sk-the-callers-own", "opc-obo-token": "t"})
    strip_oci_headers(headers)
    assert dict(headers) == {"authorization": "Bearer sk-the-callers-own"}
    empty = httpx.Headers()
    strip_oci_headers(empty)
    assert dict(empty) == {}


def test_a_read_body_loses_its_chunked_framing_only() -> None:
    headers = httpx.Headers({"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
    send_read_body_with_its_length(headers)
    assert dict(headers) == {"content-type": "application/json"}
    send_read_body_with_its_length(headers)  # nothing to remove: no error
    assert dict(headers) == {"content-type": "application/json"}


def test_openais_not_given_sentinels_are_told_from_values() -> None:
    class NotGiven:
        pass

    class Omit:
        pass

    assert is_not_given(NotGiven()) and is_not_given(Omit())
    assert not any(is_not_given(value) for value in (None, "", 0, "NotGiven", NotGiven))


@pytest.mark.parametrize(
    ("compartment", "store", "plane", "expected"),
    [
        (COMPARTMENT, None, None, {"CompartmentId": COMPARTMENT, "opc-compartment-id": COMPARTMENT}),
        (COMPARTMENT, None, "data", {"CompartmentId": COMPARTMENT, "opc-compartment-id": COMPARTMENT}),
        (COMPARTMENT, None, "actions", {"CompartmentId": COMPARTMENT, "opc-compartment-id": COMPARTMENT}),
        (COMPARTMENT, None, "control", {"opc-compartment-id": COMPARTMENT}),
        (None, STORE, "data", {"opc-conversation-store-id": STORE}),
        ("", "", "data", {}),
        (
            COMPARTMENT,
            STORE,
            "control",
            {"opc-compartment-id": COMPARTMENT, "opc-conversation-store-id": STORE},
        ),
    ],
)
def test_the_oci_headers_of_a_compartment_and_a_store(
    compartment: str | None, store: str | None, plane: str | None, expected: dict[str, str]
) -> None:
    assert oci_headers(compartment, store, plane=plane) == expected


@pytest.mark.parametrize(
    ("headers", "project", "expected"),
    [
        ({}, None, (False, False)),
        ({}, "ocid1.generativeaiproject.oc1..p", (True, False)),
        ({"OpenAI-Project": "p"}, None, (True, False)),
        ({"openai-project": "p"}, "", (True, False)),
        ({"CompartmentId": COMPARTMENT}, None, (False, True)),
        ({"OPC-COMPARTMENT-ID": COMPARTMENT}, None, (False, True)),
        ({"OpenAI-Project": "p", "compartmentid": COMPARTMENT}, None, (True, True)),
        ({"X-Compartment": COMPARTMENT}, None, (False, False)),
    ],
)
def test_a_scope_is_a_project_or_a_compartment_under_either_name(
    headers: dict[str, str], project: str | None, expected: tuple[bool, bool]
) -> None:
    assert has_scope(headers, project) == expected


def _client_headers(base_url: str, given: dict[str, str] | None = None, **kwargs: Any) -> dict[str, str]:
    return client_headers(
        base_url,
        given,
        kwargs.pop("compartment_id", None),
        kwargs.pop("conversation_store_id", None),
        missing_scope="pass project= or compartment_id=",
        missing_compartment="pass compartment_id= for actions",
        **kwargs,
    )


def test_the_data_plane_needs_a_project_or_a_compartment() -> None:
    with pytest.raises(ConfigurationError, match=r"^pass project= or compartment_id=$"):
        _client_headers(DATA)
    assert _client_headers(DATA, project="ocid1.generativeaiproject.oc1..p") == {}
    assert _client_headers(DATA, {"OpenAI-Project": "p"}) == {"OpenAI-Project": "p"}
    assert _client_headers(DATA, compartment_id=COMPARTMENT) == {
        "CompartmentId": COMPARTMENT,
        "opc-compartment-id": COMPARTMENT,
    }


def test_the_actions_pass_through_needs_the_compartment_even_with_a_project() -> None:
    with pytest.raises(ConfigurationError, match=r"^pass compartment_id= for actions$"):
        _client_headers(ACTIONS, project="ocid1.generativeaiproject.oc1..p")
    assert _client_headers(ACTIONS, {"opc-compartment-id": COMPARTMENT}) == {"opc-compartment-id": COMPARTMENT}


def test_the_control_plane_and_other_hosts_are_built_without_a_scope() -> None:
    assert _client_headers(CONTROL) == {}
    assert _client_headers("https://llm.example.com/v1", {"X": "y"}) == {"X": "y"}
    assert _client_headers(CONTROL, compartment_id=COMPARTMENT) == {"opc-compartment-id": COMPARTMENT}


def test_the_callers_headers_win_over_the_oci_ones() -> None:
    given = {"CompartmentId": "ocid1.compartment.oc1..given", "opc-conversation-store-id": "given-store"}
    headers = _client_headers(DATA, given, compartment_id=COMPARTMENT, conversation_store_id=STORE)
    assert headers == {
        "CompartmentId": "ocid1.compartment.oc1..given",
        "opc-compartment-id": COMPARTMENT,
        "opc-conversation-store-id": "given-store",
    }


MODEL_MAP = {"gpt-4o": "openai.gpt-4.1", "ocid1.generativeaiendpoint.oc1..e": "never"}


@pytest.mark.parametrize("library", _libraries(), ids=lambda module: module.__name__)
def test_the_model_map_rewrites_a_json_body_with_its_new_length(library: Any) -> None:
    body = json.dumps({"model": "gpt-4o", "input": "hi"}).encode()
    request = library.Request(
        "POST",
        DATA + "/responses",
        headers={"Content-Type": "application/json; charset=utf-8", "X-Kept": "1"},
        content=body,
        extensions={"timeout": {"read": 7.0}},
    )
    mapped = rewrite_model(request, MODEL_MAP)
    assert mapped is not request and type(mapped) is type(request)
    assert mapped.content == b'{"model":"openai.gpt-4.1","input":"hi"}'
    assert mapped.headers["content-length"] == str(len(mapped.content))
    assert mapped.headers["x-kept"] == "1" and mapped.headers["content-type"] == "application/json; charset=utf-8"
    assert (mapped.method, mapped.url, mapped.extensions) == ("POST", request.url, {"timeout": {"read": 7.0}})
    assert request.content == body  # the original is not changed


@pytest.mark.parametrize(
    ("content_type", "content", "model_map"),
    [
        ("application/json", b'{"model": "gpt-4o"}', {}),
        ("text/plain", b'{"model": "gpt-4o"}', MODEL_MAP),
        ("application/json", b"not json", MODEL_MAP),
        ("application/json", b'["gpt-4o"]', MODEL_MAP),
        ("application/json", b'{"model": "unmapped"}', MODEL_MAP),
        ("application/json", b'{"model": 4}', MODEL_MAP),
        ("application/json", b'{"model": "ocid1.generativeaiendpoint.oc1..e"}', MODEL_MAP),
        ("application/json", b'{"input": "no model"}', MODEL_MAP),
    ],
)
def test_a_request_the_map_does_not_apply_to_is_the_same_object(
    content_type: str, content: bytes, model_map: dict[str, str]
) -> None:
    request = httpx.Request("POST", DATA + "/responses", headers={"Content-Type": content_type}, content=content)
    assert rewrite_model(request, model_map) is request


def test_a_request_without_a_content_type_is_not_mapped() -> None:
    request = httpx.Request("POST", DATA + "/responses", content=b'{"model": "gpt-4o"}')
    assert rewrite_model(request, MODEL_MAP) is request


# -- the request made ready for its signature (transport/signed_request.py) ------------------


def _key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from oci_openai_patch.credentials import SigningKey

    return SigningKey("tenancy/user/fingerprint", rsa.generate_private_key(public_exponent=65537, key_size=2048))


KEY = _key()


@pytest.mark.parametrize("library", _libraries(), ids=lambda module: module.__name__)
def test_a_request_loses_every_key_it_carried_before_it_is_signed(library: Any) -> None:
    from oci_openai_patch.transport.signed_request import prepare

    request = library.Request(
        "POST",
        DATA + "/responses?api-version=2",
        headers={
            "Authorization": "Bearer sk-app",
            "X-Api-Key": "k",
            "api-key": "a",
            "Content-Type": "application/json",
        },
        content=b"{}",
    )
    pending = prepare(request, KEY, fresh_date=False)
    assert not {"authorization", "x-api-key", "api-key"} & {name.lower() for name in request.headers}
    text = pending.data.decode()
    assert "sk-app" not in text and text.startswith(
        "date: " + pending.added["date"] + "\n(request-target): post /openai/v1/responses?api-version=2\n"
    )
    assert "\nhost: inference.generativeai.us-chicago-1.oci.oraclecloud.com\n" in text
    assert "\ncontent-length: 2\ncontent-type: application/json\n" in text
    assert pending.key_id == KEY.key_id and pending.private_key is KEY.private_key


def test_the_callers_date_is_signed_unless_a_fresh_one_is_asked_for() -> None:
    from oci_openai_patch.transport.signed_request import prepare

    old = "Mon, 01 Jan 2024 00:00:00 GMT"
    request = httpx.Request("GET", DATA + "/models", headers={"Date": old})
    kept = prepare(request, KEY, fresh_date=False)
    assert kept.data.decode().startswith(f"date: {old}\n") and "date" not in kept.added
    assert request.headers["date"] == old
    fresh = prepare(request, KEY, fresh_date=True)
    assert "date" not in request.headers and fresh.added["date"] != old
    assert fresh.data.decode().startswith(f"date: {fresh.added['date']}\n")


def test_the_host_header_the_caller_set_is_the_one_signed() -> None:
    from oci_openai_patch.transport.signed_request import prepare

    request = httpx.Request("GET", "https://127.0.0.1:8443/openai/v1/models", headers={"Host": "llm.example.com"})
    assert "\nhost: llm.example.com" in prepare(request, KEY, fresh_date=False).data.decode()
    bare = httpx.Request("GET", "https://127.0.0.1:8443/openai/v1/models")
    del bare.headers["host"]
    assert "\nhost: 127.0.0.1:8443" in prepare(bare, KEY, fresh_date=False).data.decode()


def test_other_header_names_are_read_off_the_request_and_signed_in_their_order() -> None:
    from oci_openai_patch.signature.signing import signed_header_policy
    from oci_openai_patch.transport.signed_request import prepare

    names = signed_header_policy(["date", "(request-target)", "host", "x-custom"], None)
    request = httpx.Request("GET", DATA + "/models", headers={"X-Custom": "yes", "X-Other": "no"})
    pending = prepare(request, KEY, fresh_date=False, header_names=names)
    assert pending.names == ("date", "(request-target)", "host", "x-custom")
    assert pending.data.decode().endswith("\nx-custom: yes") and "x-other" not in pending.data.decode()


def test_the_signature_goes_on_the_request_and_the_log_names_the_route(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from oci_openai_patch.signature.signing import rsa_sign
    from oci_openai_patch.transport.signed_request import apply, prepare

    request = httpx.Request(
        "POST", DATA + "/responses?x=1", headers={"Content-Type": "application/json"}, content=b"{}"
    )
    pending = prepare(request, KEY, fresh_date=False)
    with caplog.at_level(logging.DEBUG, logger="oci_openai_patch"):
        apply(request, pending, rsa_sign(KEY.private_key, pending.data), route="requests")
    assert request.headers["authorization"].startswith('Signature algorithm="rsa-sha256",headers="date ')
    assert request.headers["x-content-sha256"] == pending.added["x-content-sha256"]
    assert request.headers["date"] == pending.added["date"]
    (line,) = [record.getMessage() for record in caplog.records]
    host = "inference.generativeai.us-chicago-1.oci.oraclecloud.com"
    assert line.startswith(f"signed POST {host}/openai/v1/responses as ") and line.endswith(" (route requests)")
