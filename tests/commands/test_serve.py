"""``oci-openai-patch serve``: the endpoint for another process, driven as a user would.

The command runs in its own process; an unmodified openai program (behind the network
guard) gets only the ``export`` lines it printed; Ctrl-C (SIGINT) stops it cleanly.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fresh import clean_env, run_program

PROGRAM = """
from openai import OpenAI
client = OpenAI()
reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "over there"}])
print(reply.choices[0].message.content)
with client.responses.stream(model="m", input="streamed") as stream:
    print(stream.get_final_response().output_text)
conversation = client.conversations.create(metadata={"from": "serve"})
print(client.conversations.retrieve(conversation.id).metadata)
"""


class Served:
    def __init__(self, process: subprocess.Popen[str], exports: dict[str, str], banner: list[str]) -> None:
        self.process, self.exports, self.banner = process, exports, banner

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        rest, _ = self.process.communicate(timeout=20)
        return rest


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _serve(directory: Path, *options: str, sigint_ignored: bool = False) -> Iterator[Served]:
    process = subprocess.Popen(
        [sys.executable, "-m", "oci_openai_patch.commands.cli", "serve", "--dir", str(directory), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(),
        # As a script's background job starts: SIGINT ignored, which the child inherits.
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )
    assert process.stdout is not None
    banner, exports = [], {}
    try:
        for line in process.stdout:
            banner.append(line)
            if line.startswith("export "):
                name, _, value = line[len("export ") :].strip().partition("=")
                exports[name] = shlex.split(value)[0]
            if line.startswith("Ctrl-C stops it."):
                break
        assert exports, "".join(banner)
        yield Served(process, exports, banner)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from _serve(tmp_path / "serve")


def test_an_unmodified_program_signs_against_serve(served: Served, tmp_path: Path) -> None:
    assert set(served.exports) == {
        "OCI_OPENAI_AUTH",
        "OCI_OPENAI_CONFIG_FILE",
        "OCI_OPENAI_HOSTS",
        "OPENAI_BASE_URL",
        "OCI_OPENAI_PROJECT_ID",
    }
    assert Path(served.exports["OCI_OPENAI_CONFIG_FILE"]).is_relative_to(tmp_path / "serve")
    out = run_program(PROGRAM, clean_env(**served.exports))
    assert out.splitlines()[0].endswith("You said: over there")
    assert out.splitlines()[1].endswith("You said: streamed")
    assert out.splitlines()[2] == "{'from': 'serve'}"
    log = served.stop()
    assert served.process.returncode == 0
    assert log.count(": verified, keyId ocid1.tenancy") == 4, log
    assert "POST /openai/v1/chat/completions: verified" in log and log.rstrip().endswith("stopped")


def test_the_banner_leads_with_the_project_and_names_the_older_form_and_the_control_plane(served: Served) -> None:
    text = "".join(served.banner)
    assert served.exports["OCI_OPENAI_PROJECT_ID"].startswith("ocid1.generativeaiproject.")
    assert "the older form, instead of the project: export OCI_OPENAI_COMPARTMENT_ID=ocid1.compartment." in text
    origin = served.exports["OPENAI_BASE_URL"].removesuffix("/openai/v1")
    assert f"control plane (vector stores; needs the compartment): {origin}/20231130/openai/v1" in text
    served.stop()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_on_a_signal_even_when_started_with_sigint_ignored(tmp_path: Path, stop: int) -> None:
    for served in _serve(tmp_path / "ignored", sigint_ignored=True):
        served.process.send_signal(stop)
        rest, _ = served.process.communicate(timeout=20)
        assert served.process.returncode == 0 and rest.rstrip().endswith("stopped"), rest


def test_the_log_reports_a_foreign_credential_redacted(served: Served) -> None:
    program = (
        "import openai\ntry:\n    openai.OpenAI().models.list()\nexcept openai.AuthenticationError:\n    print(401)\n"
    )
    secret = "sk-leaked-0123456789abcdef"
    shim_off = {**served.exports, "OPENAI_API_KEY": secret, "OCI_OPENAI_AUTH": ""}
    assert run_program(program, clean_env(**shim_off)).strip() == "401"
    log = served.stop()
    assert "GET /openai/v1/models: " in log
    assert "FINDING: foreign credential: Authorization Bearer sk-l…(26 chars)" in log, log
    assert secret not in log


def test_serving_again_from_the_same_directory(tmp_path: Path) -> None:
    for _ in range(2):  # the second run replaces the first run's profiles
        for served in _serve(tmp_path / "again"):
            out = run_program(PROGRAM, clean_env(**served.exports))
            assert out.splitlines()[0].endswith("You said: over there")
            assert served.stop().count(": verified") == 4


def test_the_session_profile_line_works_too(served: Served) -> None:
    line = next(text for text in served.banner if text.startswith("session token instead: export "))
    session = dict(item.split("=", 1) for item in shlex.split(line.partition("export ")[2]))
    out = run_program(PROGRAM, clean_env(**{**served.exports, **session}))
    assert out.splitlines()[0].endswith("You said: over there")
    assert ": verified, keyId ST$..." in served.stop()


def test_serve_over_tls(tmp_path: Path) -> None:
    for served in _serve(tmp_path / "tls", "--tls"):
        assert served.exports["OPENAI_BASE_URL"].startswith("https://127.0.0.1:")
        assert Path(served.exports["SSL_CERT_FILE"]).is_file()
        env = clean_env(**served.exports)
        env.pop("REQUESTS_CA_BUNDLE", None)
        out = run_program(PROGRAM, env)
        assert out.splitlines()[0].endswith("You said: over there")
        assert served.stop().count(": verified") == 4


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "oci_openai_patch.commands.cli",
                "serve",
                "--port",
                str(port),
                "--dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=30,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == f"oci-openai-patch: port {port} on 127.0.0.1 is taken; pass another --port", (
        result.stderr
    )
    assert os.listdir(tmp_path) == []  # nothing written before the port is ours


# The three call forms of the older package's model-deployment examples (sync client, async
# client, the native client with the auth on its http client), written here: the base URL
# ``serve`` prints, a model name and the default profile fill the placeholders.
QUESTION = "Explain how to list all files in a directory using Python."
ASK = f"model='odsc-llm', messages=[{{'role': 'user', 'content': {QUESTION!r}}}]"
OLDER_DEPLOYMENT_EXAMPLES = {
    "sync": f"""
from oci_openai_patch import OciOpenAI, OciSessionAuth
client = OciOpenAI(base_url="<base url>", auth=OciSessionAuth(profile_name="DEFAULT"))
print(client.chat.completions.create({ASK}).model_dump_json())
""",
    "async": f"""
import asyncio
from oci_openai_patch import AsyncOciOpenAI, OciSessionAuth

async def main():
    client = AsyncOciOpenAI(base_url="<base url>", auth=OciSessionAuth(profile_name="DEFAULT"))
    print((await client.chat.completions.create({ASK})).model_dump_json())

asyncio.run(main())
""",
    "native": f"""
import openai
from oci_openai_patch import OciSessionAuth
if openai.__version__.startswith("3."):  # openai 3 sends with httpx2
    import httpx2 as httpx
else:
    import httpx
client = openai.OpenAI(api_key="OCI", base_url="<base url>", http_client=httpx.Client(auth=OciSessionAuth()))
print(client.chat.completions.create({ASK}).model_dump_json())
""",
}

STREAMED_TOO = """
stream = client.chat.completions.create(
    model="odsc-llm", messages=[{"role": "user", "content": "streamed"}], stream=True
)
print("".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices))
"""


def test_the_older_packages_deployment_examples_run_against_serve(served: Served, tmp_path: Path) -> None:
    import json

    line = next(text for text in served.banner if text.startswith("Data Science model deployment"))
    base_url = line.rpartition(": ")[2].strip()
    assert base_url.endswith("/predict/v1") and "/ocid1.datasciencemodeldeployment." in base_url
    session_line = next(text for text in served.banner if text.startswith("session token instead: export "))
    session = dict(item.split("=", 1) for item in shlex.split(session_line.partition("export ")[2]))
    home = tmp_path / "home"
    (home / ".oci").mkdir(parents=True)
    (home / ".oci" / "config").write_text(Path(session["OCI_OPENAI_CONFIG_FILE"]).read_text(encoding="utf-8"))
    # No shim: the examples sign by themselves; the endpoint's host is trusted as serve says.
    env = clean_env(HOME=str(home), OCI_OPENAI_HOSTS=served.exports["OCI_OPENAI_HOSTS"], OPENAI_API_KEY="sk-app")
    for name, example in OLDER_DEPLOYMENT_EXAMPLES.items():
        program = example.replace("<base url>", base_url) + (STREAMED_TOO if name != "async" else "")
        lines = run_program(program, env).splitlines()
        reply = json.loads(lines[0])
        assert reply["choices"][0]["message"]["content"].endswith("list all files in a directory using Python."), name
        if name != "async":
            assert lines[1].endswith("You said: streamed"), name
    log = served.stop()
    deployment = base_url.split("/")[3]
    assert log.count(f"POST /{deployment}/predict/v1/chat/completions: verified, keyId ST$") == 3, log
    assert log.count(f"POST /{deployment}/predictWithResponseStream/v1/chat/completions: verified, keyId ST$") == 2
    assert "FINDING" not in log


def _serve_once(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oci_openai_patch.commands.cli", "serve", "--port", "0", "--dir", str(directory)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=30,
    )


def test_serve_refuses_a_directory_others_can_write(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    result = _serve_once(shared)
    assert result.returncode == 1
    assert "writable by group or others (mode 777); run chmod 700" in result.stderr, result.stderr
    assert os.listdir(shared) == []


def test_serve_refuses_a_planted_link_and_writes_nothing_through_it(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    root.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious").write_text("keep me", encoding="utf-8")
    (root / "api-key").symlink_to(victim)
    result = _serve_once(root)
    assert result.returncode == 1 and "is a symbolic link" in result.stderr, result.stderr
    assert os.listdir(victim) == ["precious"] and (victim / "precious").read_text(encoding="utf-8") == "keep me"


def test_serve_makes_a_new_directory_private_and_keys_0600(tmp_path: Path) -> None:
    for served in _serve(tmp_path / "new" / "dir"):
        root = tmp_path / "new" / "dir"
        assert (root.stat().st_mode & 0o777) == 0o700
        keys = list(root.rglob("*.pem"))
        assert keys and all((key.stat().st_mode & 0o077) == 0 for key in keys if key.name != "ca.pem")
        served.stop()
