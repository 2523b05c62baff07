"""The zero-code shim, in fresh interpreters: unmodified programs, environment variables only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fresh import ROOT, clean_env, run_program

from oci_openai_patch.testing import ApiKeyProfile, OciTestEndpoint


def _env(endpoint: OciTestEndpoint, profile: ApiKeyProfile, **extra: str) -> dict[str, str]:
    settings = {
        "OCI_OPENAI_AUTH": "user_principal",
        "OCI_OPENAI_CONFIG_FILE": profile.config_file,
        "OCI_OPENAI_HOSTS": endpoint.host,
    }
    return clean_env(**{**settings, **extra})


_run = run_program


APP = """
import asyncio, openai
from openai import OpenAI, AsyncOpenAI
client = OpenAI()
print(client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "one"}]).id)
print(len(list(client.chat.completions.create(model="m", messages=[{"role": "user", "content": "s"}], stream=True))))
print(client.responses.create(model="m", input="r").output_text)
print(len(client.embeddings.create(model="m", input=["a", "b"]).data))
async def main():
    c = AsyncOpenAI()
    await c.chat.completions.create(model="m", messages=[{"role": "user", "content": "a"}])
    s = await c.chat.completions.create(model="m", messages=[{"role": "user", "content": "s"}], stream=True)
    print(len([x async for x in s]))
asyncio.run(main())
print(openai.chat.completions.create(model="m", messages=[{"role": "user", "content": "module"}]).id)
print(client.with_options(timeout=3).models.list().data[0].id)
"""


def test_unmodified_program_is_signed_through_every_route(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    env = _env(
        oci_endpoint,
        oci_api_key_profile,
        OPENAI_BASE_URL=oci_endpoint.base_url,
        OCI_OPENAI_MODEL_MAP="gpt-4o=openai.gpt-oss-120b",
    )
    _run(APP, env)
    assert len(oci_endpoint.requests) == 8
    assert all(r.verified for r in oci_endpoint.requests), [r.reason for r in oci_endpoint.requests]
    assert oci_endpoint.requests[0].json()["model"] == "openai.gpt-oss-120b"
    assert oci_endpoint.requests[1].json()["model"] == "m"


def test_module_client_with_base_url_set_in_code(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = f"""
    import openai
    openai.base_url = "{oci_endpoint.base_url}/"
    print(openai.models.list().data[0].id)
    """
    assert "local.model" in _run(code, _env(oci_endpoint, oci_api_key_profile))
    assert oci_endpoint.verified_count == 1


def test_non_oci_client_is_left_alone_and_caller_http_client_kept(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    with OciTestEndpoint() as foreign:
        code = f"""
        import openai, httpx
        shared = httpx.Client(headers={{"x-team": "blue"}})
        oci = openai.OpenAI(base_url="{oci_endpoint.base_url}", http_client=shared)
        other = openai.OpenAI(api_key="sk-other", base_url="{foreign.base_url}", http_client=shared)
        plain = openai.OpenAI(api_key="sk-plain", base_url="{foreign.base_url}")
        oci.models.list()
        for c in (other, plain):
            try:
                c.models.list()
            except openai.AuthenticationError:
                pass
        print(type(plain._client.auth).__name__)
        """
        out = _run(code, _env(oci_endpoint, oci_api_key_profile))
        assert out.strip() == "NoneType"
        assert [r.headers.get("authorization") for r in foreign.requests] == ["Bearer sk-other", "Bearer sk-plain"]
        assert not any("x-content-sha256" in r.headers or "date" in r.headers for r in foreign.requests)
    assert oci_endpoint.verified_count == 1
    assert oci_endpoint.requests[0].headers["x-team"] == "blue"


def test_shim_off_imports_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCI_")}
    out = _run(
        "import sys; import openai; print(sorted(m for m in ('wrapt', 'oci', 'oci_openai_patch') if m in sys.modules))",
        env,
    )
    assert out.strip() == "[]"


def test_shim_on_defers_everything_until_openai(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys; print(sorted(m for m in ('wrapt', 'oci', 'openai', 'httpx', 'httpx2') if m in sys.modules)); "
        "import openai; print('wrapt' in sys.modules, 'oci' in sys.modules)"
    )
    out = _run(code, _env(oci_endpoint, oci_api_key_profile)).split("\n")
    assert out[0] == "[]"
    assert out[1] == "True False"


def test_configuration_error_surfaces_where_any_client_is_built(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = f"""
    import openai
    for url in ("https://api.example.com/v1", "{oci_endpoint.base_url}"):
        try:
            openai.OpenAI(api_key="sk", base_url=url)
        except ValueError as error:
            print(type(error).__name__, error)
    """
    out = _run(code, _env(oci_endpoint, oci_api_key_profile, OCI_OPENAI_AUTH="kerberos")).splitlines()
    assert len(out) == 2 and out[0] == out[1]
    assert out[0].startswith("ConfigurationError OCI_OPENAI_AUTH='kerberos' is not an auth kind")
    assert "instance_principal" in out[0]


def test_genai_host_needs_the_compartment(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = """
    import openai
    try:
        openai.OpenAI()
    except ValueError as error:
        print(error)
    """
    out = _run(code, _env(oci_endpoint, oci_api_key_profile, OCI_OPENAI_REGION="us-chicago-1"))
    assert "OCI_OPENAI_COMPARTMENT_ID" in out


def test_patch_unpatch_patch_again_in_a_fresh_interpreter(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = f"""
    import openai, wrapt
    from oci_openai_patch.shim import patch
    from oci_openai_patch.openai_clients.client_signing import signing_auth
    url = "{oci_endpoint.base_url}"
    def signed():
        auth = signing_auth(openai.OpenAI(api_key="k", base_url=url))
        return type(auth.credentials).__name__ if auth else "NoneType"
    print(signed())
    patch.unpatch(); print(signed())
    patch.patch(); patch.patch(); print(signed())
    print(isinstance(openai.OpenAI.__init__.__wrapped__, wrapt.FunctionWrapper))
    with patch.patched():
        print(signed())
    print(signed())
    """
    env = _env(oci_endpoint, oci_api_key_profile)
    out = _run(
        code.replace("from oci_openai_patch.shim import patch", "import oci_openai_patch.shim.patch as patch"), env
    )
    assert out.split() == [
        "ApiKeyCredentials",
        "NoneType",
        "ApiKeyCredentials",
        "False",
        "ApiKeyCredentials",
        "ApiKeyCredentials",
    ]


def test_unpatch_leaves_openai_as_it_was_and_the_clients_built_signing(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    """``unpatch()`` undoes what ``patch()`` did to openai's classes, to the last attribute; a
    client built while patched keeps signing (it is an instance of its signing subclass),
    and one built after it is openai's alone."""
    code = f"""
    import openai
    import oci_openai_patch.shim.patch as patch
    from oci_openai_patch import OciUserPrincipalAuth

    def classes():
        # By identity: a wrapt wrapper compares equal to what it wraps.
        return [{{name: id(value) for name, value in vars(cls).items()}} for cls in (openai.OpenAI, openai.AsyncOpenAI)]

    before = classes()
    patch.patch(auth=OciUserPrincipalAuth("{oci_api_key_profile.config_file}"))
    during = openai.OpenAI(base_url="{oci_endpoint.base_url}", api_key="sk-during", max_retries=0)
    print(classes() == before)
    patch.unpatch()
    print(classes() == before)
    after = openai.OpenAI(base_url="{oci_endpoint.base_url}", api_key="sk-after", max_retries=0)
    during.models.list()
    try:
        after.models.list()
    except openai.AuthenticationError:
        print("after: refused")
    kind = type(during)
    print(kind.__name__, kind.__module__, isinstance(during, openai.OpenAI), type(after) is openai.OpenAI)
    """
    env = _env(oci_endpoint, oci_api_key_profile)
    del env["OCI_OPENAI_AUTH"]
    out = _run(code, env)
    assert out.strip().split("\n") == ["False", "True", "after: refused", "OpenAI openai True True"], out
    during, after = oci_endpoint.requests
    assert during.verified and "sk-during" not in str(during.headers)
    assert not after.verified and after.headers.get("authorization") == "Bearer sk-after"


def test_run_command_and_sitecustomize_example(tmp_path: Path, oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    app = tmp_path / "app.py"
    app.write_text("import openai\nprint(openai.OpenAI().models.list().data[0].id)\n")
    env = _env(oci_endpoint, oci_api_key_profile, OPENAI_BASE_URL=oci_endpoint.base_url)
    del env["OCI_OPENAI_AUTH"]
    launcher = str(Path(sys.executable).with_name("oci-openai-patch"))
    _run("", env, launcher, "run", "--auth", "user_principal", "--", sys.executable, str(app))
    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import os\nos.environ['CHAINED'] = 'yes'\n")
    app2 = tmp_path / "app2.py"
    app2.write_text("import os, openai\nopenai.OpenAI().models.list()\nprint(os.environ.get('CHAINED'))\n")
    env2 = dict(
        env, OCI_OPENAI_AUTH="api_key", PYTHONPATH=os.pathsep.join([str(ROOT / "sitecustomize_example"), str(other)])
    )
    assert _run("", env2, sys.executable, "-S", "-c", "pass") == ""
    assert _run("", env2, sys.executable, str(app2)).strip() == "yes"
    assert oci_endpoint.verified_count == 2 and len(oci_endpoint.requests) == 2


def test_doctor(oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    launcher = str(Path(sys.executable).with_name("oci-openai-patch"))
    env = _env(oci_endpoint, oci_api_key_profile)
    out = _run("", env, launcher, "doctor", "--url", oci_endpoint.base_url)
    assert "dry signing: ok" in out and oci_api_key_profile.fingerprint in out
    bad = subprocess.run(
        [launcher, "doctor", "--url", "https://api.openai.com/v1"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 1 and "NOT an OCI host" in bad.stdout
    broken = subprocess.run(
        [launcher, "doctor"], env=dict(env, OCI_OPENAI_PROFILE="NOPE"), capture_output=True, text=True
    )
    assert broken.returncode == 1 and "[NOPE]" in broken.stderr and len(broken.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("value", [" USER_PRINCIPAL ", "Api_Key"])
def test_auth_kind_ignores_case_and_spaces(value: str, oci_endpoint, oci_api_key_profile) -> None:  # type: ignore[no-untyped-def]
    code = f'import openai; openai.OpenAI(base_url="{oci_endpoint.base_url}").models.list()'
    _run(code, _env(oci_endpoint, oci_api_key_profile, OCI_OPENAI_AUTH=value))
    assert oci_endpoint.verified_count == 1
