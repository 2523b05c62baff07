"""``oci-openai-patch doctor`` tells the truth, and the command line helps a newcomer.

``--call`` is run against the local endpoint: a key it knows, a key it does not, a server
clock 15 minutes ahead, and TLS with a certificate this machine does not trust.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oci_openai_patch import __version__
from oci_openai_patch.commands.cli import main
from oci_openai_patch.testing import (
    OciTestEndpoint,
    SignatureVerifier,
    TestCertificateAuthority,
    make_api_key_profile,
)


def _doctor(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    config: str,
    endpoint: OciTestEndpoint,
    *options: str,
) -> tuple[int, str]:
    monkeypatch.setenv("OCI_OPENAI_AUTH", "user_principal")
    monkeypatch.setenv("OCI_OPENAI_CONFIG_FILE", config)
    monkeypatch.setenv("OCI_OPENAI_HOSTS", endpoint.host)
    code = main(["doctor", "--url", endpoint.base_url, *options])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_call_that_works(oci_endpoint, oci_api_key_profile, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out = _doctor(monkeypatch, capsys, oci_api_key_profile.config_file, oci_endpoint, "--call")
    assert code == 0, out
    assert f"url: {oci_endpoint.base_url}: a host trusted through OCI_OPENAI_HOSTS, requests will be signed" in out
    assert "OCI service host" not in out  # a loopback host is never called one
    assert f"call: GET {oci_endpoint.base_url}/models: HTTP 200\n" in out
    assert "clock: within" in out and out.rstrip().endswith("doctor: usable")
    assert oci_endpoint.requests[-1].verified


def test_a_key_the_server_does_not_know(oci_endpoint, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    stranger = make_api_key_profile(tmp_path / "stranger", SignatureVerifier())
    code, out = _doctor(monkeypatch, capsys, stranger.config_file, oci_endpoint, "--call")
    assert code == 1
    assert f"call: GET {oci_endpoint.base_url}/models: HTTP 401 NotAuthenticated" in out
    assert "call: the server does not accept key id ocid1.tenancy" in out
    assert "doctor: NOT usable" in out


def test_a_skewed_clock_is_named(oci_endpoint, oci_api_key_profile, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    oci_endpoint.verifier.clock_offset = 900.0
    code, out = _doctor(monkeypatch, capsys, oci_api_key_profile.config_file, oci_endpoint, "--call")
    assert code == 1
    assert "HTTP 401" in out
    line = next(text for text in out.splitlines() if text.startswith("clock: "))
    seconds = int(line.split()[4])  # the server's Date has a resolution of one second
    assert abs(seconds - 900) <= 2, line
    assert line == (
        f"clock: this machine is {seconds} s behind the server; OCI refuses signatures more than 5 minutes off: "
        "synchronise the clock (NTP)"
    )


def test_a_tls_failure_is_its_own_message(oci_api_key_profile, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    context = TestCertificateAuthority("a CA nobody trusts").server_context(tmp_path / "tls")
    with OciTestEndpoint(ssl_context=context) as endpoint:
        code, out = _doctor(monkeypatch, capsys, oci_api_key_profile.config_file, endpoint, "--call")
    assert code == 1
    assert f"call: {endpoint.base_url}/models: TLS certificate verification failed (" in out
    assert "does not verify against this machine's CA bundle" in out


def test_a_generative_ai_url_without_a_project_or_compartment_is_not_usable(  # type: ignore[no-untyped-def]
    oci_api_key_profile, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("OCI_OPENAI_AUTH", "user_principal")
    monkeypatch.setenv("OCI_OPENAI_CONFIG_FILE", oci_api_key_profile.config_file)
    code = main(["doctor", "--url", "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1"])
    out = capsys.readouterr().out
    assert code == 1
    assert ": an OCI service host, requests will be signed" in out
    assert "project: MISSING: the Generative AI data plane refuses requests without a project; " in out
    assert "set OCI_OPENAI_PROJECT_ID (the older form: OCI_OPENAI_COMPARTMENT_ID)" in out
    assert out.rstrip().endswith("doctor: NOT usable (see above)")


def test_a_bare_command_prints_usage_and_the_commands(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: oci-openai-patch")
    for command in ("run", "doctor", "demo"):
        assert f"\n    {command} " in out
    assert "``" not in out  # plain text, not reStructuredText


def test_version_and_every_command_described(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0 and capsys.readouterr().out.strip() == f"oci-openai-patch {__version__}"
    for command in ("run", "doctor", "demo"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        description = text.split("\n\n")[1]
        assert len(description) > 60 and "``" not in text, text
