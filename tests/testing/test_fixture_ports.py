"""The fake OKE proxymux needs the SDK's fixed port: runs take turns, strangers are named."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from oci_openai_patch.testing import FakeProxymux, TokenIssuer
from oci_openai_patch.testing.ports import PortInUseError, pid_listening_on


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_port_held_by_another_process_is_named_with_its_pid(tmp_path: Path) -> None:
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen(1)
        port = stranger.getsockname()[1]
        assert pid_listening_on(port) == os.getpid()
        with pytest.raises(PortInUseError) as caught:
            FakeProxymux(TokenIssuer(), tmp_path, port=port).__enter__()
    message = str(caught.value)
    assert message.startswith(f"port {port} is in use by PID {os.getpid()} (")
    assert "the OKE workload-identity tests need it" in message


def test_two_proxymuxes_on_one_port_take_turns(tmp_path: Path) -> None:
    port = _free_port()
    issuer = TokenIssuer()
    events: list[str] = []

    def second() -> None:
        with FakeProxymux(issuer, tmp_path / "second", port=port):
            events.append("second started")

    with FakeProxymux(issuer, tmp_path / "first", port=port):
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.3)
        events.append("first stopping")
    waiting.join(10)
    assert events == ["first stopping", "second started"]


STRANGER_HOLDS_THE_PORT = """
import socket
from oci_openai_patch.testing import identity

stranger = socket.socket()
stranger.bind(("127.0.0.1", 0))
stranger.listen(1)
identity.FakeProxymux.__init__.__kwdefaults__["port"] = stranger.getsockname()[1]


def test_needs_the_proxymux(oci_proxymux):
    pass
"""


@pytest.mark.parametrize("required", ["", "1"])
def test_a_stranger_on_the_fixed_port_skips_the_test_unless_ci_requires_it(tmp_path: Path, required: str) -> None:
    import subprocess
    import sys

    (tmp_path / "test_stranger.py").write_text(STRANGER_HOLDS_THE_PORT, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCI_", "PYTEST_"))}
    env["OCI_OPENAI_PATCH_REQUIRE_FIXED_PORTS"] = required
    command = [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", "-p", "no:randomly", "-c"]
    result = subprocess.run(
        [*command, str(tmp_path / "pytest.ini"), str(tmp_path)], env=env, capture_output=True, text=True, timeout=120
    )
    if required:
        assert result.returncode == 1 and "1 error" in result.stdout, result.stdout[-2000:]
        assert "PortInUseError" in result.stdout
    else:
        assert result.returncode == 0 and "1 skipped" in result.stdout, result.stdout[-2000:]
        assert "is in use by PID" in result.stdout and "OCI_OPENAI_PATCH_REQUIRE_FIXED_PORTS=1" in result.stdout
