"""The ``oci-openai-patch`` command: ``run``, ``doctor`` and ``demo``.

``run -- CMD`` starts any program with the shim on (through a ``sitecustomize`` on
PYTHONPATH, so it works where .pth files are not read). ``doctor`` prints the resolved
configuration, secrets redacted, and signs a request dry. ``demo`` runs an unmodified
openai program, with only environment variables set, against the embedded endpoint.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..credentials import redact_key_id
from ..errors import ConfigurationError, OciOpenAIError

if TYPE_CHECKING:
    from ..testing import OciTestEndpoint


DEMO_PROGRAM = """\
# An unmodified openai program: no oci_openai_patch import, no OCI code.
import asyncio
import openai
from openai import AsyncOpenAI, OpenAI

client = OpenAI()
reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Say hello from OCI."}])
print("chat reply:", reply.choices[0].message.content)
stream = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "stream"}], stream=True)
print("streamed reply:", "".join(c.choices[0].delta.content or "" for c in stream if c.choices))
print("responses reply:", client.responses.create(model="gpt-4o", input="a story").output_text)
print("embedding length:", len(client.embeddings.create(model="text-embedding-3-small", input="x").data[0].embedding))
async_client = AsyncOpenAI()
reply = asyncio.run(async_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "a"}]))
print("async reply:", reply.choices[0].message.content)
"""


def _demo(_: argparse.Namespace) -> int:
    from ..testing import OciTestEndpoint, make_api_key_profile

    with (
        tempfile.TemporaryDirectory(prefix="oci-openai-demo-") as directory,
        OciTestEndpoint(require_scope=True) as endpoint,
    ):
        profile = make_api_key_profile(Path(directory), endpoint.verifier)
        program = Path(directory) / "app.py"
        program.write_text(DEMO_PROGRAM, encoding="utf-8")
        env = {
            "OCI_OPENAI_AUTH": "user_principal",
            "OCI_OPENAI_CONFIG_FILE": profile.config_file,
            "OCI_OPENAI_HOSTS": endpoint.host,
            "OCI_OPENAI_PROJECT_ID": "ocid1.generativeaiproject.oc1.us-chicago-1.demo",
            "OCI_OPENAI_MODEL_MAP": "gpt-4o=openai.gpt-oss-120b",
            "OPENAI_BASE_URL": endpoint.base_url,
        }
        print(f"embedded OCI endpoint: {endpoint.base_url} (verifies every signature with the public key)")
        print("running an unmodified openai program with only these environment variables set:")
        for name, value in env.items():
            print(f"  {name}={value}")
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("OCI_", "OPENAI_"))}
        child_env.update(env)
        child_env["OCI_METADATA_BASE_URL"] = "http://127.0.0.1:9/opc/v2"
        result = subprocess.run([sys.executable, str(program)], env=child_env, check=False)
        if result.returncode != 0:
            print(f"demo: the program exited with {result.returncode}")
            return 1
        return _report(endpoint)


def _report(endpoint: OciTestEndpoint) -> int:
    for request in endpoint.requests:
        status = "signature verified" if request.verified else f"REJECTED ({request.reason})"
        model = (request.json() or {}).get("model") if request.body else None
        suffix = f", model {model}" if model else ""
        key_id = redact_key_id(request.key_id or "-")
        findings = "".join(f"; FINDING: {finding}" for finding in request.findings)
        print(f"endpoint: {request.method} {request.target}: {status}, keyId {key_id}{suffix}{findings}")
    ok = bool(endpoint.requests) and all(r.verified and not r.findings for r in endpoint.requests)
    print("demo: every request was signed and verified" if ok else "demo: FAILED")
    return 0 if ok else 1


def _run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise ConfigurationError("oci-openai-patch run needs a command: oci-openai-patch run -- python app.py")
    env = dict(os.environ)
    if args.auth:
        env["OCI_OPENAI_AUTH"] = args.auth
    from ..settings import requested_auth

    requested = requested_auth(env)  # OCI_OPENAI_AUTH, else the OCI CLI's OCI_CLI_AUTH
    if requested is None:
        raise ConfigurationError(
            "OCI_OPENAI_AUTH is not set; export it or pass --auth (e.g. --auth instance_principal)"
        )
    env["OCI_OPENAI_AUTH"] = requested[0]  # run switches the shim on for the command, whichever named it
    shim_dir = str(Path(__file__).parents[1] / "_sitecustomize")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (shim_dir, env.get("PYTHONPATH", "")) if p)
    try:
        os.execvpe(command[0], command, env)
    except OSError as error:
        raise ConfigurationError(f"cannot run {command[0]!r}: {error.strerror}") from None
    return 1  # pragma: no cover - execvpe does not return


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    return serve(args.port, args.dir, args.tls)


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import run

    return run(args.url, call=args.call, model=args.model)


DESCRIPTION = """\
Run openai programs against OCI Generative AI and Data Science, signed with OCI IAM.
The zero-code shim itself is switched on by OCI_OPENAI_AUTH (see the README)."""


def _parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="oci-openai-patch", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"oci-openai-patch {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="{run,doctor,serve,demo}")
    demo = commands.add_parser(
        "demo",
        help="an unmodified openai program signing against the embedded endpoint",
        description="Start a local OCI-style endpoint that verifies every signature, write a throwaway API-key "
        "profile, and run an unmodified openai program (chat, streaming, responses, embeddings, async) against "
        "it with only environment variables set. Exits 1 unless every request was signed and verified.",
    )
    demo.set_defaults(handler=_demo)
    run = commands.add_parser(
        "run",
        help="run a command with the shim on: oci-openai-patch run -- python app.py",
        description="Run a command with the zero-code shim on, through a sitecustomize on PYTHONPATH (for "
        "interpreters that do not read .pth files). OCI_OPENAI_AUTH, or --auth, picks the principal.",
    )
    run.add_argument("--auth", help="set OCI_OPENAI_AUTH for the command (e.g. instance_principal)")
    run.add_argument("command", nargs=argparse.REMAINDER, help="the command and its arguments")
    run.set_defaults(handler=_run)
    doctor = commands.add_parser(
        "doctor",
        help="show the resolved configuration and check it",
        description="Print what the OCI_OPENAI_* environment resolves to (secrets redacted), load the "
        "credentials and sign dry. With --call, make one real signed request and report the HTTP status with "
        "OCI's error code, the clock skew against the server, or a TLS failure. Exits 1 when not usable.",
    )
    doctor.add_argument("--url", help="a base URL to check (default: OPENAI_BASE_URL or the region's endpoint)")
    doctor.add_argument("--call", action="store_true", help="make one real signed request (a models list)")
    doctor.add_argument("--model", help="with --call: a one-token chat completion with this model instead")
    doctor.set_defaults(handler=_doctor)
    serve = commands.add_parser(
        "serve",
        help="run the local OCI endpoint for other processes (containers, shells, other languages)",
        description="Serve the local OCI-style endpoint (every signature checked; chat, responses, "
        "conversations, embeddings, models, files) until Ctrl-C. Writes throwaway API-key and session profiles "
        "it trusts into --dir, prints the export lines that point an unmodified openai program at it, and logs "
        "each request with its verdict.",
    )
    serve.add_argument("--port", type=int, default=0, help="the port on 127.0.0.1 (default: a free one)")
    serve.add_argument("--dir", help="where to write the profiles (default: a new temporary directory)")
    serve.add_argument("--tls", action="store_true", help="serve https with a throwaway CA (its file is exported)")
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        code: int = args.handler(args)
    except OciOpenAIError as error:
        print(f"oci-openai-patch: {error}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
