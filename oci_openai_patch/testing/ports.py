"""A fixed loopback port shared safely by concurrent test runs.

The SDK always reaches the OKE proxymux on port 12250 and has no setting to change it,
so every fake proxymux on a machine needs that one port. :class:`ExclusivePort` takes
a file lock first, so that pytest-xdist workers and two test runs side by side take
turns instead of failing with "Address already in use", and when the port is held by
something that is not one of our tests, says which process holds it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the bind error below still names the port
    fcntl = None  # type: ignore[assignment]

#: How long a test waits for another run's proxymux to finish with the port.
PORT_WAIT_SECONDS = 300.0


class PortInUseError(RuntimeError):
    """The fixed port is taken by a process that will not give it back."""


def pid_listening_on(port: int) -> int | None:
    """The PID of the process listening on TCP ``port`` (Linux ``/proc``), else None."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as handle:
            next(handle, None)
            for line in handle:
                fields = line.split()
                if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for descriptor in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(descriptor) in inodes:
                        return int(entry.name)
    return None


def describe_holder(port: int) -> str:
    """``PID n (command)`` for the process listening on ``port``, or a hint to find it."""
    pid = pid_listening_on(port)
    if pid is None:
        return f"another process (find it with: ss -ltnp 'sport = :{port}')"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        command = ""
    return f"PID {pid}" + (f" ({command[:80]})" if command else "")


class ExclusivePort:
    """Hold the machine-wide turn for ``port`` while a fake server listens on it."""

    def __init__(self, port: int, purpose: str, *, wait: float = PORT_WAIT_SECONDS) -> None:
        self.port = port
        self.purpose = purpose
        self.wait = wait
        self._lock_path = Path(tempfile.gettempdir()) / f"oci-openai-patch-port-{port}.lock"
        self._handle: IO[str] | None = None

    def __enter__(self) -> ExclusivePort:
        if fcntl is None:
            return self
        handle = open(self._lock_path, "a+", encoding="ascii")  # held until __exit__
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    handle.close()
                    raise PortInUseError(
                        f"port {self.port} has been held by another test run (PID {holder}) for more than "
                        f"{self.wait:g} s; {self.purpose} need it"
                    ) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def refuse_taken(self, error: OSError) -> PortInUseError:
        """The error for a bind that failed although we hold the turn: a stranger has the port."""
        return PortInUseError(
            f"port {self.port} is in use by {describe_holder(self.port)}; {self.purpose} need it "
            f"({error.strerror}); stop that process and run them again"
        )

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._handle is not None:
            self._handle.close()  # closing releases the lock
            self._handle = None
