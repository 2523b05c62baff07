"""The ``oci-openai-patch`` command.

``demo`` starts the embedded OCI endpoint on loopback, writes a throwaway API-key
profile, and runs openai calls through it, printing each reply and what the endpoint
verified. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import OciOpenAIError


def _demo(_: argparse.Namespace) -> int:
    from .auth import OciUserPrincipalAuth
    from .clients import OciOpenAI
    from .testing import OciTestEndpoint, make_api_key_profile

    with tempfile.TemporaryDirectory(prefix="oci-openai-demo-") as directory, OciTestEndpoint() as endpoint:
        profile = make_api_key_profile(Path(directory), endpoint.verifier)
        print(f"embedded OCI endpoint: {endpoint.base_url}")
        print(f"throwaway API-key profile: {profile.config_file} [DEFAULT]")
        auth = OciUserPrincipalAuth(config_file=profile.config_file, hosts=[endpoint.host])
        client = OciOpenAI(auth=auth, base_url=endpoint.base_url, compartment_id="ocid1.compartment.oc1..demo")
        reply = client.chat.completions.create(
            model="openai.gpt-oss-120b", messages=[{"role": "user", "content": "Say hello from OCI."}]
        )
        print(f"chat reply: {reply.choices[0].message.content}")
        stream = client.chat.completions.create(
            model="openai.gpt-oss-120b", messages=[{"role": "user", "content": "stream please"}], stream=True
        )
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        print(f"streamed reply: {text}")
        return _report(endpoint)


def _report(endpoint: object) -> int:
    from .testing import OciTestEndpoint

    assert isinstance(endpoint, OciTestEndpoint)
    for request in endpoint.requests:
        status = "signature verified" if request.verified else f"REJECTED ({request.reason})"
        print(f"endpoint: {request.method} {request.target}: {status}, keyId {request.key_id}")
    ok = bool(endpoint.requests) and all(r.verified for r in endpoint.requests)
    print("demo: every request was signed and verified" if ok else "demo: FAILED")
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oci-openai-patch", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="sign openai calls against the embedded local OCI endpoint").set_defaults(
        handler=_demo
    )
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except OciOpenAIError as error:
        print(f"oci-openai-patch: {error}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
