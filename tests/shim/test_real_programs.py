"""Zero code in programs as they are really written: every import route, http clients
replaced after construction, the caller's own auth, strict pytest, broken variables,
and what the shim says it did. Each program runs in a fresh interpreter with only
environment variables set, with the app's own OpenAI key in the environment: it must
never reach the OCI endpoint.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fresh import NETWORK_GUARD, clean_env, run_program

from oci_openai_patch.testing import ApiKeyProfile, OciTestEndpoint
from oci_openai_patch.testing.profiles import make_api_key_profile

APP_KEY = "sk-app-secret-never-to-oci"


def _env(endpoint: OciTestEndpoint, profile: ApiKeyProfile, **extra: str) -> dict[str, str]:
    settings = {
        "OCI_OPENAI_AUTH": "user_principal",
        "OCI_OPENAI_CONFIG_FILE": profile.config_file,
        "OCI_OPENAI_HOSTS": endpoint.host,
        "OPENAI_API_KEY": APP_KEY,
        "OPENAI_BASE_URL": endpoint.base_url,
    }
    return clean_env(**{**settings, **extra})


def assert_all_signed_and_keyless(endpoint: OciTestEndpoint, count: int) -> None:
    """``count`` requests arrived, every one verified, none carrying the app's key."""
    assert len(endpoint.requests) == count, [(r.method, r.target) for r in endpoint.requests]
    assert all(r.verified for r in endpoint.requests), [r.reason for r in endpoint.requests]
    for request in endpoint.requests:
        assert APP_KEY not in repr(request.headers)
        assert "x-api-key" not in request.headers


LIST_MODELS = "print(OpenAI().models.list().data[0].id)"


@pytest.mark.parametrize(
    "importing",
    [
        "from openai import OpenAI",
        "import openai; OpenAI = openai.OpenAI",
        "import importlib; OpenAI = importlib.import_module('openai').OpenAI",
        "OpenAI = __import__('openai').OpenAI",
        "import importlib.util; importlib.util.find_spec('openai'); importlib.util.find_spec('openai'); "
        "from openai import OpenAI",
        "import importlib.util; importlib.util.find_spec('openai.types'); from openai import OpenAI",
        "import importlib.util, sys\n"
        "spec = importlib.util.find_spec('openai')\n"
        "spec.loader = importlib.util.LazyLoader(spec.loader)\n"
        "module = importlib.util.module_from_spec(spec); sys.modules['openai'] = module\n"
        "spec.loader.exec_module(module)\n"
        "OpenAI = module.OpenAI",
    ],
    ids=["from", "import", "import_module", "__import__", "find_spec-twice", "find_spec-submodule", "lazy-loader"],
)
def test_every_import_route_is_patched(importing: str, oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    out = run_program(importing + "\n" + LIST_MODELS, _env(oci_endpoint, oci_api_key_profile))
    assert "local.model" in out
    assert_all_signed_and_keyless(oci_endpoint, 1)


def test_openai_imported_before_the_shim_is_switched_on(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    env = _env(oci_endpoint, oci_api_key_profile)
    auth = env.pop("OCI_OPENAI_AUTH")
    code = f"""
    import os, openai
    early = openai.OpenAI()
    os.environ["OCI_OPENAI_AUTH"] = "{auth}"
    from oci_openai_patch.shim.bootstrap import install
    install()
    openai.OpenAI().models.list()
    early.models.list()
    """
    run_program(code, env)
    assert_all_signed_and_keyless(oci_endpoint, 2)


def test_replaced_http_clients_keep_signing(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    """pydantic-ai swaps the http client per event loop; libraries assign ``_client``;
    ``with_options`` / ``copy`` take a new one. Each request must still be signed."""
    code = """
    import asyncio, httpx, openai
    client = openai.OpenAI()
    client.models.list()
    client._client = httpx.Client()
    client.models.list()
    client.with_options(http_client=httpx.Client()).models.list()
    client.copy(http_client=httpx.Client(), max_retries=0).models.list()
    aclient = openai.AsyncOpenAI()
    async def once():
        aclient._client = httpx.AsyncClient()  # a fresh client for this loop
        await aclient.models.list()
    asyncio.run(once())
    asyncio.run(once())
    """
    run_program(code, _env(oci_endpoint, oci_api_key_profile))
    assert_all_signed_and_keyless(oci_endpoint, 6)


def test_explicit_client_with_options_new_http_client(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    from oci_openai_patch import OciOpenAI, OciUserPrincipalAuth

    pytest.importorskip("httpx")
    import httpx

    auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
    client = OciOpenAI(auth=auth, base_url=oci_endpoint.base_url)
    client.with_options(http_client=httpx.Client()).models.list()
    client.copy(http_client=httpx.Client()).models.list()
    assert oci_endpoint.verified_count == 2


def test_the_callers_own_oci_auth_signs(tmp_path: Path, oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    other = make_api_key_profile(tmp_path / "b", oci_endpoint.verifier, profile="B")
    code = f"""
    import httpx, openai
    from oci_openai_patch import OciUserPrincipalAuth
    own = OciUserPrincipalAuth(profile_name="B", config_file="{other.config_file}")
    openai.OpenAI(http_client=httpx.Client(auth=own)).models.list()
    openai.OpenAI().models.list()
    """
    run_program(code, _env(oci_endpoint, oci_api_key_profile))
    assert_all_signed_and_keyless(oci_endpoint, 2)
    assert [r.key_id for r in oci_endpoint.requests] == [other.key_id, oci_api_key_profile.key_id]


def test_pytest_with_warnings_as_errors_starts(tmp_path: Path, oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\nfilterwarnings =\n    error\n")
    (project / "test_app.py").write_text(
        textwrap.dedent(
            """
            from oci_openai_patch import OciOpenAI, OciUserPrincipalAuth

            def test_app(oci_endpoint, oci_api_key_profile):
                auth = OciUserPrincipalAuth(config_file=oci_api_key_profile.config_file)
                OciOpenAI(auth=auth, base_url=oci_endpoint.base_url).models.list()
                assert oci_endpoint.verified_count == 1
            """
        )
    )
    env = _env(oci_endpoint, oci_api_key_profile)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OCI_OPENAI_HOSTS", "https://llm.corp.example:8443/"),
        ("OCI_OPENAI_HOSTS", "llm.corp.example:8443/"),
        ("OCI_OPENAI_MODEL_MAP", "gpt-4o"),
        ("OCI_OPENAI_COMPARTMENT_ID", "not-an-ocid"),
        ("OCI_OPENAI_REGION", "mars-west-1"),
        ("OCI_OPENAI_AUTH", "kerberos"),
        ("OCI_OPENAI_AUTH_TIMEOUT", "soon"),
        ("OCI_OPENAI_LOG", "chatty"),
    ],
)
def test_a_malformed_variable_fails_every_client(variable: str, value: str, oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = """
    import openai
    for url in ("https://api.example.com/v1", None):
        try:
            openai.OpenAI(base_url=url)
            print("built")
        except openai.OpenAIError:
            print("openai error")
        except ValueError as error:
            print(type(error).__name__, error)
    """
    env = _env(oci_endpoint, oci_api_key_profile, **{variable: value})
    lines = run_program(code, env).splitlines()
    assert len(lines) == 2 and lines[0] == lines[1], lines
    assert lines[0].startswith("ConfigurationError ") and variable in lines[0]
    assert oci_endpoint.requests == []


def test_openai_constructor_runs_once_and_its_error_passes_unchanged(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = """
    import openai
    calls = []
    class Probe:
        # openai reads a given http client's timeout first: each construction is counted.
        @property
        def timeout(self):
            calls.append(1)
            raise RuntimeError("probe")
    try:
        openai.OpenAI(api_key="sk", base_url="https://api.example.com/v1", http_client=Probe())
    except Exception as error:
        print(type(error).__name__, error)
    print(len(calls))
    """
    env = _env(oci_endpoint, oci_api_key_profile)
    off = {k: v for k, v in env.items() if k != "OCI_OPENAI_AUTH"}
    command = [sys.executable, "-c", NETWORK_GUARD + textwrap.dedent(code)]
    on_result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    off_result = subprocess.run(command, env=off, capture_output=True, text=True, timeout=120)
    assert on_result.stdout == off_result.stdout
    assert int(on_result.stdout.split()[-1]) >= 1 and "Error" in on_result.stdout
    assert "oci_openai_patch" not in on_result.stderr


def test_debug_log_tells_every_decision_and_no_secret(oci_endpoint, oci_session_profile) -> None:  # type: ignore[no-untyped-def]
    code = """
    import openai
    client = openai.OpenAI()
    client.models.list()
    client._client.auth  # untouched
    from oci_openai_patch.openai_clients.client_signing import signing_auth
    signing_auth(client).credentials.invalidate()
    client.models.list()
    openai.OpenAI(base_url="https://api.example.com/v1")
    openai.AzureOpenAI(api_key="azure-key", api_version="2024-01-01", azure_endpoint="https://x.openai.azure.com")
    """
    env = clean_env(
        OCI_OPENAI_AUTH="session",
        OCI_OPENAI_CONFIG_FILE=oci_session_profile.config_file,
        OCI_OPENAI_HOSTS=oci_endpoint.host,
        OPENAI_API_KEY=APP_KEY,
        OPENAI_BASE_URL=oci_endpoint.base_url,
        OCI_OPENAI_LOG="debug",
    )
    result = subprocess.run(
        [sys.executable, "-c", NETWORK_GUARD + textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    log = [line for line in result.stderr.splitlines() if line.startswith("oci_openai_patch ")]
    text = "\n".join(log)
    assert "on (auth session, profile DEFAULT)" in text
    assert f"OpenAI for {oci_endpoint.host}: signed with" in text
    assert "api.example.com: not an OCI host" in text
    assert "AzureOpenAI left alone: Azure" in text
    assert sum(f"signed GET {oci_endpoint.host}/openai/v1/models as ST$..." in line for line in log) == 2
    assert "session credentials loaded (cause: invalidate())" in text
    token = Path(oci_session_profile.token_file).read_text().strip()
    for secret in (APP_KEY, token, token[:40], "BEGIN", "PRIVATE KEY"):
        assert secret not in result.stderr
    assert oci_endpoint.verified_count == 2


def test_log_variable_also_serves_explicit_clients(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = f"""
    from oci_openai_patch import OciOpenAI, OciUserPrincipalAuth
    auth = OciUserPrincipalAuth(config_file="{oci_api_key_profile.config_file}")
    OciOpenAI(auth=auth, base_url="{oci_endpoint.base_url}").models.list()
    """
    env = clean_env(OCI_OPENAI_LOG="debug")
    result = subprocess.run(
        [sys.executable, "-c", NETWORK_GUARD + textwrap.dedent(code)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"oci_openai_patch DEBUG: signed GET {oci_endpoint.host}/openai/v1/models as " in result.stderr
    bad = subprocess.run(
        [sys.executable, "-c", NETWORK_GUARD + textwrap.dedent(code)],
        env=clean_env(OCI_OPENAI_LOG="chatty"),
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "ConfigurationError: OCI_OPENAI_LOG='chatty' is not a log level; use debug or info" in bad.stderr
