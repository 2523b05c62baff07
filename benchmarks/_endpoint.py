"""The local OCI endpoint in its own process, for benchmarks.

A client and a server in one interpreter share one GIL, so every figure would measure
both. This script starts an :class:`OciTestEndpoint` (unsigned requests served too, for
the unsigned baselines; signed ones verified), fake instance metadata and federation on
the same token issuer, and writes credentials the endpoint trusts (API key profile,
session profile, resource principal 2.2 files) into a directory. It prints one JSON line
describing all of it, serves until its stdin closes, then prints a JSON line of counts.

Run: python benchmarks/_endpoint.py DIRECTORY [--stream-delay SECONDS] [--federation-delay SECONDS]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from oci_openai_patch.testing import (
    FakeInstanceIdentity,
    OciTestEndpoint,
    make_api_key_profile,
    make_resource_principal_files,
    make_session_profile,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--stream-delay", type=float, default=0.0)
    parser.add_argument("--federation-delay", type=float, default=0.0)
    args = parser.parse_args()
    # A hundred connections are a hundred server threads: hand the GIL over sooner than the
    # default 5 ms, or the server, not the client under test, sets the pace.
    sys.setswitchinterval(0.0005)
    with (
        OciTestEndpoint(stream_chunk_delay=args.stream_delay, require_signature=False) as endpoint,
        FakeInstanceIdentity(endpoint.issuer) as identity,
    ):
        identity.delay = args.federation_delay
        api_key = make_api_key_profile(args.directory / "api", endpoint.verifier)
        session = make_session_profile(args.directory / "session", endpoint.verifier)
        resource = make_resource_principal_files(args.directory / "rp", endpoint.verifier)
        description = {
            "base_url": endpoint.base_url,
            "host": endpoint.host,
            "api_key_config": api_key.config_file,
            "session_config": session.config_file,
            "resource_principal_env": resource.environ(),
            "metadata_base_url": identity.metadata_base_url,
            "federation_endpoint": identity.federation_endpoint,
        }
        print(json.dumps(description), flush=True)
        sys.stdin.read()
        requests = list(endpoint.requests)
        counts = {
            "verified": sum(r.verified for r in requests),
            "unsigned": sum(r.reason == "unsigned" for r in requests),
            "refused": sum(not r.verified and r.reason != "unsigned" for r in requests),
            "federations": identity.token_requests,
        }
        print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
