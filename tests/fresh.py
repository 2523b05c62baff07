"""Running programs in fresh interpreters, with only the environment variables a test sets.

Programs given as code run behind a network guard: an audit hook that refuses any name
lookup or connection that is not loopback and reports it on stderr, where the test
looks for it (libraries that swallow connection errors cannot hide an attempt).
"""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def non_loopback_target(event: str, args: tuple[object, ...]) -> str | None:
    """The host of a name lookup or connection that is not loopback (an audit event), else None.
    Unix-socket paths are local, not network targets."""
    if event not in ("socket.getaddrinfo", "socket.connect"):
        return None
    target = args[0] if event == "socket.getaddrinfo" else args[1]
    host = target[0] if isinstance(target, tuple) else target
    if isinstance(host, bytes):
        host = host.decode()
    if event == "socket.connect" and not isinstance(target, tuple):
        return None  # AF_UNIX
    if not isinstance(host, str) or host in ("localhost", "::1") or host.startswith("127."):
        return None
    return host


#: Prepended to programs run in fresh interpreters: the same check, failing loudly.
NETWORK_GUARD = (
    "import sys as _sys\n"
    + inspect.getsource(non_loopback_target)
    + """
def _oci_openai_patch_test_guard(event, args):
    host = non_loopback_target(event, args)
    if host is not None:
        print(f"network-guard: blocked {event} to {host!r}", file=_sys.stderr, flush=True)
        raise PermissionError(f"network-guard: {host!r} is not loopback")

_sys.addaudithook(_oci_openai_patch_test_guard)
"""
)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without OCI/OpenAI variables, metadata pointed at a
    closed loopback port, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCI_", "OPENAI_", "KUBERNETES_"))}
    env["OCI_METADATA_BASE_URL"] = "http://127.0.0.1:9/opc/v2"
    env.update(extra)
    return env


def run_program(code: str, env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 120) -> str:
    """Run ``code`` behind the network guard (or the command ``args``) and return its
    stdout; fail the test on a non-zero exit or a blocked network attempt."""
    command = [*args] if args else [sys.executable, "-c", NETWORK_GUARD + textwrap.dedent(code)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "network-guard:" not in result.stderr, result.stderr[-3000:]
    return result.stdout
