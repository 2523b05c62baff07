"""Each constructor argument of the auth classes reaches what it configures (the call forms of
the older package are in ``tests/openai_clients/test_migration.py``)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from oci_openai_patch import ConfigurationError, OciSessionAuth, OciUserPrincipalAuth
from oci_openai_patch.signature.signing import BASIC_HEADERS, BODY_HEADERS, signed_header_policy
from oci_openai_patch.testing.profiles import make_api_key_profile, make_session_profile

EXTRA = (*BASIC_HEADERS, "opc-request-id")


def test_signed_header_policy_takes_either_list_alone() -> None:
    assert signed_header_policy(None, None) is None
    assert signed_header_policy(list(EXTRA), None) == (EXTRA, BODY_HEADERS)
    assert signed_header_policy(None, [*BODY_HEADERS, "opc-request-id"]) == (
        BASIC_HEADERS,
        (*BODY_HEADERS, "opc-request-id"),
    )


def test_a_session_auth_takes_every_argument(tmp_path: Path, oci_endpoint) -> None:  # type: ignore[no-untyped-def]
    profile = make_session_profile(tmp_path, oci_endpoint.verifier, profile="NAMED")
    auth = OciSessionAuth(
        profile.config_file,
        "NAMED",
        90,
        hosts=[oci_endpoint.host],
        deployment_routing="header",
        generic_headers=list(EXTRA),
        body_headers=list(BODY_HEADERS),
    )
    assert auth.credentials.max_age == 90
    assert auth.deployment_routing == "header"
    assert auth.header_names == (EXTRA, BODY_HEADERS)
    with httpx.Client(auth=auth, headers={"opc-request-id": "req-1"}) as client:
        assert client.get(oci_endpoint.base_url + "/models").status_code == 200
    signed = oci_endpoint.requests[-1]
    assert signed.verified and 'headers="date (request-target) host opc-request-id"' in signed.headers["authorization"]


def test_a_user_principal_auth_takes_every_argument(tmp_path: Path, oci_endpoint) -> None:  # type: ignore[no-untyped-def]
    profile = make_api_key_profile(tmp_path, oci_endpoint.verifier, profile="NAMED")
    with pytest.raises(ConfigurationError, match="refresh_interval"):
        OciUserPrincipalAuth(profile.config_file, "NAMED", -1)  # checked, though an API key never expires
    auth = OciUserPrincipalAuth(profile.config_file, "NAMED", 45, hosts=[oci_endpoint.host], deployment_routing="off")
    assert auth.deployment_routing == "off"
    with httpx.Client(auth=auth) as client:
        assert client.get(oci_endpoint.base_url + "/models").status_code == 200
    assert oci_endpoint.requests[-1].verified


def test_hosts_given_replace_oci_openai_hosts_and_left_out_take_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, oci_endpoint
) -> None:  # type: ignore[no-untyped-def]
    """One rule on every path (``trust.hosts.configured_hosts``): ``hosts=`` is what is
    trusted, ``hosts=()`` is no extra host, and only a left-out ``hosts`` reads the variable."""
    from oci_openai_patch.shim import patch as shim

    monkeypatch.setenv("OCI_OPENAI_HOSTS", "from-env.example.com")
    profile = make_api_key_profile(tmp_path, oci_endpoint.verifier)
    env_url = httpx.URL("https://from-env.example.com/openai/v1/models")
    given_url = httpx.URL(oci_endpoint.base_url + "/models")
    left_out = OciUserPrincipalAuth(profile.config_file)
    given = OciUserPrincipalAuth(profile.config_file, hosts=[oci_endpoint.host])
    none = OciUserPrincipalAuth(profile.config_file, hosts=())
    assert (left_out.signs(env_url), left_out.signs(given_url)) == (True, False)
    assert (given.signs(env_url), given.signs(given_url)) == (False, True)
    assert (none.signs(env_url), none.signs(given_url)) == (False, False)
    with shim.patched(auth=none, hosts=()):
        assert shim._state is not None and shim._state.policy.extra == ()
    with shim.patched(auth=none):
        assert [p.host for p in shim._state.policy.extra] == ["from-env.example.com"]  # type: ignore[union-attr]


def test_only_a_missing_bare_upper_case_name_is_taken_for_a_profile_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``OciUserPrincipalAuth("DEFAULT")`` is oci-openai's argument order mistaken; a file
    of that name that exists, or a path, is a config file whatever its case."""
    from oci_openai_patch.transport.principals import _config_file

    monkeypatch.chdir(tmp_path)
    (tmp_path / "PROD").write_text("[DEFAULT]\n")
    assert _config_file("PROD") == "PROD"
    assert _config_file(str(tmp_path / "MISSING")) == str(tmp_path / "MISSING")
    assert _config_file("missing-config") == "missing-config"
    with pytest.raises(ConfigurationError) as raised:
        _config_file("DEFAULT")
    assert str(raised.value) == (
        "config_file='DEFAULT' looks like a profile name, not a file; the first argument is the config file "
        "(as in oci-openai): pass profile_name='DEFAULT'"
    )
