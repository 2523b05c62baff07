"""``OciAuth`` piece by piece, without a server: which client it tracks for fork safety,
its views, its host verdicts, the auth a foreign request gets and which 401 counts.
In-process and quick, for the mutation run (``make mutate``) as much as for the suite;
the same behaviours end to end are in ``test_clients.py`` and ``test_fork_after_use.py``."""

from __future__ import annotations

import sys
from typing import Any

import httpx
import pytest

from oci_openai_patch.credentials import SigningKey
from oci_openai_patch.testing.profiles import new_private_key
from oci_openai_patch.transport import auth as auth_module
from oci_openai_patch.transport.auth import OciAuth
from oci_openai_patch.trust.hosts import HostPattern, HostPolicy

OCI = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/models"


class _Client:
    """Stands for an http client: weakly referenced, as the auth holds it."""


class _NoCredentials:
    """The auth keeps its credentials for the signed flow, which these tests do not run."""


def _auth(**kwargs: Any) -> OciAuth:
    return OciAuth(_NoCredentials(), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def tracked(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    monkeypatch.setattr(auth_module.inherited_connections, "track", seen.append)
    return seen


def test_the_client_driving_the_flow_is_tracked_once_until_another_drives_it(
    monkeypatch: pytest.MonkeyPatch, tracked: list[Any]
) -> None:
    first, second = _Client(), _Client()
    driving: list[Any] = [first]
    monkeypatch.setattr(auth_module, "_client_driving_the_flow", lambda: driving[0])
    auth = _auth()
    for client in (first, first, second, None, second, first):
        driving[0] = client
        auth._track_sending_client()
    assert tracked == [first, second, first]


def test_a_view_made_for_one_client_tracks_it_once_and_never_looks_at_the_stack(
    monkeypatch: pytest.MonkeyPatch, tracked: list[Any]
) -> None:
    mine, other = _Client(), _Client()
    monkeypatch.setattr(auth_module, "_client_driving_the_flow", lambda: other)
    view = _auth().for_http_client(mine, delegate="the client's own auth")
    view._track_sending_client()
    assert tracked == [mine]
    assert view._http_client is not None and view._http_client() is mine
    assert view.delegate == "the client's own auth"


def test_the_client_is_read_off_the_frame_where_a_client_drives_the_flow() -> None:
    class Client:
        def _transport_for_url(self, url: object) -> None:
            """What marks an httpx / httpx2 client."""

        def _send_handling_auth(self) -> Any:
            return auth_module._client_in(sys._getframe())

    class NotAClient:
        def _send_handling_auth(self) -> Any:
            return auth_module._client_in(sys._getframe())

    client = Client()
    assert client._send_handling_auth() is client
    assert NotAClient()._send_handling_auth() is None
    assert auth_module._client_in(sys._getframe()) is None  # any other frame


def test_views_share_the_credentials_and_change_only_what_they_name() -> None:
    credentials = _NoCredentials()
    auth = OciAuth(credentials, hosts=["a.example.com"], model_map={"x": "y"}, retry_on_401=False)  # type: ignore[arg-type]
    assert auth.signs(httpx.URL("https://b.example.com/v1")) is False
    trusting = auth.trusting(["b.example.com"])
    assert trusting.signs(httpx.URL("https://b.example.com/v1")) is True
    assert auth.signs(httpx.URL("https://b.example.com/v1")) is False  # its own verdicts are its own
    routed = auth.routing_deployments("header")
    named = auth.for_route("requests")
    assert (routed.deployment_routing, auth.deployment_routing) == ("header", "path")
    assert (named.route, auth.route) == ("requests", "openai")
    for view in (trusting, routed, named):
        assert view.credentials is credentials and view.model_map == {"x": "y"} and view.retry_on_401 is False
        assert type(view) is OciAuth


def test_the_arguments_are_kept_as_given() -> None:
    policy = HostPolicy(extra=(HostPattern.parse("p.example.com"),))
    auth = _auth(hosts=["h.example.com"], policy=policy, delegate="own", model_map={"a": "b"})
    assert auth.policy.extra == (HostPattern("p.example.com"), HostPattern("h.example.com"))
    assert (auth.delegate, auth.model_map, auth.retry_on_401) == ("own", {"a": "b"}, True)
    assert auth.deployment_routing == "path"
    assert auth._http_client is None and auth._tracked_client is None
    assert _auth().model_map == {} and _auth().policy == HostPolicy()


def test_the_routing_mode_comes_from_the_argument_else_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCI_OPENAI_DEPLOYMENT_ROUTING", "off")
    assert _auth().deployment_routing == "off"
    assert _auth(deployment_routing="header").deployment_routing == "header"


@pytest.mark.parametrize(
    ("url", "signed"),
    [
        (OCI, True),
        ("http://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1", False),
        ("https://api.openai.com/v1", False),
        ("https://h.example.com:8443/v1", True),
        ("https://h.example.com/v1", False),
    ],
)
def test_each_origin_is_decided_once_and_the_same_way(url: str, signed: bool) -> None:
    auth = _auth(hosts=["h.example.com:8443"])
    assert [auth.signs(httpx.URL(url)) for _ in range(3)] == [signed] * 3
    assert list(auth._verdicts.values()) == [signed]


def test_a_foreign_request_gets_the_delegate_else_basic_auth_from_its_url_else_nothing() -> None:
    assert _auth(delegate="own")._foreign_auth(httpx.Request("GET", "https://u:p@api.example.com/")) == "own"
    basic = _auth()._foreign_auth(httpx.Request("GET", "https://u:p@api.example.com/"))
    assert isinstance(basic, httpx.BasicAuth)
    user_only = _auth()._foreign_auth(httpx.Request("GET", "https://u@api.example.com/"))
    password_only = _auth()._foreign_auth(httpx.Request("GET", "https://:p@api.example.com/"))
    assert isinstance(user_only, httpx.BasicAuth) and isinstance(password_only, httpx.BasicAuth)
    assert _auth()._foreign_auth(httpx.Request("GET", "https://api.example.com/")) is None


def _answer(status: int, url: str) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", url))


@pytest.mark.parametrize(
    ("status", "answered_from", "retry", "counts"),
    [
        (401, OCI, True, True),
        (401, OCI, False, False),
        (403, OCI, True, False),
        (200, OCI, True, False),
        (401, "https://inference.generativeai.us-ashburn-1.oci.oraclecloud.com/openai/v1/models", True, False),
        (401, "http://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1/models", True, False),
        (401, "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com:8443/openai/v1", True, False),
    ],
)
def test_only_a_401_from_the_signed_origin_forces_a_reload(
    status: int, answered_from: str, retry: bool, counts: bool
) -> None:
    request = httpx.Request("GET", OCI)
    assert _auth(retry_on_401=retry)._refused_by_signed_host(request, _answer(status, answered_from)) is counts


def test_the_verdicts_never_hold_more_than_256_origins() -> None:
    auth = _auth()
    sizes = []
    for port in range(1, 600):
        auth.signs(httpx.URL(f"https://api.openai.com:{port}/v1"))
        sizes.append(len(auth._verdicts))
    assert max(sizes) == 256 and sizes[-1] < 256


@pytest.mark.parametrize(
    "make", [lambda mode: _auth(deployment_routing=mode), lambda mode: _auth().routing_deployments(mode)]
)
def test_a_bad_routing_argument_is_named_as_the_argument(make: Any) -> None:
    from oci_openai_patch.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as refused:
        make("sideways")
    assert str(refused.value).startswith("deployment_routing='sideways' is not a deployment routing mode; use one of ")


class _HeldKey:
    """Credentials whose key is loaded: ``current()`` answers, a refresh makes the next key."""

    def __init__(self) -> None:
        self._private = new_private_key()
        self.key = SigningKey("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb", self._private)
        self.refreshed: list[Any] = []

    def current(self) -> Any:
        return self.key

    def get(self) -> Any:
        return self.key

    def refresh(self, key: Any, refused_at: float) -> Any:
        self.refreshed.append(key)
        self.key = SigningKey(key.key_id + "-renewed", self._private)
        return self.key


def test_a_loaded_key_signs_without_a_blocking_step_and_a_401_retry_keeps_the_chosen_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from oci_openai_patch.signature.signing import PendingSignature, rsa_sign

    credentials = _HeldKey()
    names = (("date", "(request-target)", "host", "x-custom"), ())
    signing = OciAuth(credentials)  # type: ignore[arg-type]
    signing.header_names = names  # as the principals' auths with generic_headers= set it
    auth = signing.for_route("requests")
    request = httpx.Request("GET", OCI, headers={"X-Custom": "yes"})
    flow = auth._signed_flow(request, on_loop=True)
    steps, answer = [], None
    with caplog.at_level(logging.DEBUG, logger="oci_openai_patch"):
        try:
            while True:
                step = flow.send(answer)
                steps.append(step)
                if isinstance(step, PendingSignature):
                    answer = rsa_sign(step.private_key, step.data)
                elif isinstance(step, httpx.Request):
                    answer = httpx.Response(401, request=step)
                elif isinstance(step, auth_module._Blocking):
                    answer = step.function(*step.args)
                else:
                    answer = None
        except StopIteration:
            pass
    kinds = [type(step).__name__ for step in steps]
    assert kinds == ["_ReadBody", "PendingSignature", "Request", "_Blocking", "PendingSignature", "Request"]
    signatures = [step for step in steps if isinstance(step, PendingSignature)]
    assert [pending.names for pending in signatures] == [names[0], names[0]]
    assert credentials.refreshed and 'headers="date (request-target) host x-custom"' in request.headers["authorization"]
    lines = [record.getMessage() for record in caplog.records if record.getMessage().startswith("signed ")]
    key_id = "ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb"
    assert [line.rpartition(" as ")[2] for line in lines] == [
        f"{key_id} (route requests)",
        f"{key_id}-renewed (route requests)",
    ]
