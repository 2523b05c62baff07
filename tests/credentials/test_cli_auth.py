"""The OCI CLI's own settings: ``OCI_CLI_AUTH`` as the fallback principal, ``OCI_CONFIG_PROFILE``,
and ``auth="auto"``, which picks the principal the environment shows (never instance metadata)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fresh import clean_env, run_program

from oci_openai_patch import ConfigurationError, OciOpenAI
from oci_openai_patch.commands.cli import main
from oci_openai_patch.settings import requested_auth, shim_requested
from oci_openai_patch.transport.auto_auth import choose

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("api_key", "user_principal"),
        ("security_token", "session"),
        ("instance_principal", "instance_principal"),
        ("resource_principal", "resource_principal"),
        ("oke_workload_identity", "workload_identity"),
        ("instance_obo_user", "delegation_token"),
    ],
)
def test_oci_cli_auth_values_map_to_kinds(value: str, kind: str) -> None:
    assert requested_auth({"OCI_CLI_AUTH": value}) == (kind, f"OCI_CLI_AUTH={value}")
    assert requested_auth({"OCI_CLI_AUTH": value, "OCI_OPENAI_AUTH": "session"}) == (
        "session",
        "OCI_OPENAI_AUTH=session",
    )


def test_a_value_the_cli_does_not_know_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match=r"^OCI_CLI_AUTH='apikey' is not a value the OCI CLI knows"):
        requested_auth({"OCI_CLI_AUTH": "apikey"})


def test_oci_cli_auth_alone_does_not_switch_the_shim_on(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    assert not shim_requested({"OCI_CLI_AUTH": "api_key"})
    env = clean_env(OCI_CLI_AUTH="api_key", OCI_CLI_CONFIG_FILE=oci_api_key_profile.config_file)
    out = run_program(
        "import sys, openai\nprint(sorted(m for m in sys.modules if m.startswith('oci_openai_patch.')))", env
    )
    assert out.strip() == "[]"


def test_auth_none_takes_the_principal_oci_cli_auth_names(oci_endpoint, oci_api_key_profile, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OCI_CLI_AUTH", "api_key")
    monkeypatch.setenv("OCI_CLI_CONFIG_FILE", oci_api_key_profile.config_file)
    monkeypatch.setenv("OCI_OPENAI_HOSTS", oci_endpoint.host)
    OciOpenAI(base_url=oci_endpoint.base_url, max_retries=0).chat.completions.create(**CHAT)  # type: ignore[arg-type]
    assert oci_endpoint.requests[-1].verified
    assert oci_endpoint.requests[-1].key_id == oci_api_key_profile.key_id


def test_auto_picks_a_session_profile_and_says_why(oci_endpoint, oci_session_profile, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OCI_CONFIG_FILE", oci_session_profile.config_file)
    kind, reason = choose()
    assert kind == "session"
    assert reason == f"profile [DEFAULT] of {oci_session_profile.config_file} has a security_token_file"
    client = OciOpenAI(auth="auto", base_url=oci_endpoint.base_url, max_retries=0)
    client.chat.completions.create(**CHAT)  # type: ignore[arg-type]
    assert oci_endpoint.requests[-1].key_id == "ST$" + oci_session_profile.token


def test_auto_reads_oci_config_profile(tmp_path: Path, oci_endpoint, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from oci_openai_patch.testing import make_api_key_profile

    profile = make_api_key_profile(tmp_path / "p", oci_endpoint.verifier, profile="WORK")
    monkeypatch.setenv("OCI_CLI_CONFIG_FILE", profile.config_file)
    monkeypatch.setenv("OCI_CONFIG_PROFILE", "WORK")
    assert choose() == ("user_principal", f"profile [WORK] of {profile.config_file} has a key_file")
    OciOpenAI(auth="auto", base_url=oci_endpoint.base_url, max_retries=0).chat.completions.create(**CHAT)  # type: ignore[arg-type]
    assert oci_endpoint.requests[-1].key_id == profile.key_id


def test_auto_prefers_the_platforms_principal(oci_resource_principal, oci_session_profile, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OCI_CONFIG_FILE", oci_session_profile.config_file)
    assert choose() == ("resource_principal", "OCI_RESOURCE_PRINCIPAL_VERSION is set")
    token = Path(oci_session_profile.config_file).parent / "sa-token"
    token.write_text("x.y.z", encoding="utf-8")
    monkeypatch.delenv("OCI_RESOURCE_PRINCIPAL_VERSION")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH", str(token))
    assert choose() == ("workload_identity", f"KUBERNETES_SERVICE_HOST is set and {token} exists")


def test_auto_with_nothing_to_find_says_what_to_set(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ConfigurationError, match=r"^auth='auto' found no principal: set OCI_OPENAI_AUTH"):
        OciOpenAI(auth="auto", region="us-chicago-1", compartment_id="ocid1.compartment.oc1..aaaa")


def test_doctor_prints_the_choice_and_why(oci_session_profile, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OCI_CONFIG_FILE", oci_session_profile.config_file)
    main(["doctor"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"auth: session (profile [DEFAULT] of {oci_session_profile.config_file} has a security_token_file)"


def test_run_takes_oci_cli_auth(oci_endpoint, oci_api_key_profile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = tmp_path / "app.py"
    app.write_text("import openai\nprint(openai.OpenAI().models.list().data[0].id)\n", encoding="utf-8")
    env = clean_env(
        OCI_CLI_AUTH="api_key",
        OCI_CLI_CONFIG_FILE=oci_api_key_profile.config_file,
        OCI_OPENAI_HOSTS=oci_endpoint.host,
        OPENAI_BASE_URL=oci_endpoint.base_url,
    )
    launcher = str(Path(sys.executable).with_name("oci-openai-patch"))
    run_program("", env, launcher, "run", "--", sys.executable, str(app))
    assert oci_endpoint.requests[-1].verified and oci_endpoint.requests[-1].key_id == oci_api_key_profile.key_id
