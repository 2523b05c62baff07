"""Running programs in fresh interpreters, with only the environment variables a test sets."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without OCI/OpenAI variables, metadata pointed at a
    closed loopback port, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCI_", "OPENAI_", "KUBERNETES_"))}
    env["OCI_METADATA_BASE_URL"] = "http://127.0.0.1:9/opc/v2"
    env.update(extra)
    return env


def run_program(code: str, env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 120) -> str:
    """Run ``code`` (or the command ``args``) and return its stdout; fail the test on a non-zero exit."""
    command = [*args] if args else [sys.executable, "-c", textwrap.dedent(code)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
