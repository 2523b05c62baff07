"""``oci-openai-patch serve``: the local OCI endpoint, standalone, for another process.

The endpoint the tests and ``demo`` use, served until Ctrl-C (or SIGTERM, as ``docker
stop`` sends), so a shell, a container or a program in another language can be pointed
at it. It writes throwaway API-key and session profiles the endpoint trusts into a
directory, prints the ``export`` lines that switch an unmodified openai program onto it,
and logs every request with its verdict. Nothing in the directory is a real credential.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import signal
import ssl
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TextIO

from ..credentials import redact_key_id
from ..errors import ConfigurationError
from ..trust.hosts import CONTROL_API_PATH

#: The project and compartment the exports name: the endpoint accepts any OCID-shaped ones.
PROJECT = "ocid1.generativeaiproject.oc1.us-chicago-1.localserve"
COMPARTMENT = "ocid1.compartment.oc1..localserve"


def serve(port: int, directory: str | None, tls: bool, out: TextIO = sys.stdout) -> int:
    """Run the endpoint until interrupted; 0 on a clean stop."""
    from ..testing import OciTestEndpoint, TestCertificateAuthority, make_api_key_profile, make_session_profile
    from ..testing.server import RecordedRequest

    lock = threading.Lock()

    def log(request: RecordedRequest) -> None:
        verdict = f"verified, keyId {redact_key_id(request.key_id or '-')}" if request.verified else request.reason
        findings = "".join(f"; FINDING: {finding}" for finding in request.findings)
        with lock:
            print(f"{request.method} {request.target}: {verdict}{findings}", file=out, flush=True)

    authority = TestCertificateAuthority("oci-openai-patch serve CA") if tls else None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER) if authority is not None else None
    try:
        endpoint = OciTestEndpoint(
            port=port, ssl_context=context, on_request=log, keep_requests=False, require_scope=True
        )
    except OSError as error:
        raise ConfigurationError(f"port {port} on 127.0.0.1 is taken; pass another --port") from error
    root = _private_directory(Path(directory)) if directory else Path(tempfile.mkdtemp(prefix="oci-openai-serve-"))
    ca_file = None
    _refuse_link(root / "ca.pem")
    if authority is not None and context is not None:
        # The context is already wrapped around the listening socket: its chain can still be loaded.
        ca_file = authority.write_certificate(root / "ca.pem")
        chain = authority.issue_server_chain(root / "tls", "127.0.0.1", "localhost")
        context.load_cert_chain(chain)
    for ours in ("api-key", "session", "tls"):  # a previous run's throwaway profiles: replaced
        _refuse_link(root / ours)
        shutil.rmtree(root / ours, ignore_errors=True)
    api_key = make_api_key_profile(root / "api-key", endpoint.verifier)
    session = make_session_profile(root / "session", endpoint.verifier, ttl=12 * 3600.0)
    exports = {
        "OCI_OPENAI_AUTH": "user_principal",
        "OCI_OPENAI_CONFIG_FILE": api_key.config_file,
        "OCI_OPENAI_HOSTS": endpoint.host,
        "OPENAI_BASE_URL": endpoint.base_url,
        "OCI_OPENAI_PROJECT_ID": PROJECT,
    }
    if ca_file is not None:
        exports["SSL_CERT_FILE"] = str(ca_file)
    # Both stop it, even when the script that started it ignores SIGINT (a background job of a
    # non-interactive shell starts with SIGINT ignored).
    previous = {number: signal.signal(number, _interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    endpoint.start()
    try:
        print(f"serving the local OCI endpoint at {endpoint.base_url} (every signature is checked)", file=out)
        print(f"profiles in {root} (throwaway keys the endpoint trusts); in another shell:\n", file=out)
        for name, value in exports.items():
            print(f"export {name}={shlex.quote(value)}", file=out)
        print(
            f"\nsession token instead: export OCI_OPENAI_AUTH=session "
            f"OCI_OPENAI_CONFIG_FILE={shlex.quote(session.config_file)}",
            file=out,
        )
        print(f"the older form, instead of the project: export OCI_OPENAI_COMPARTMENT_ID={COMPARTMENT}", file=out)
        print(
            f"control plane (vector stores; needs the compartment): {endpoint.origin}{CONTROL_API_PATH}",
            file=out,
        )
        print(
            f"Data Science model deployment (streams from /predictWithResponseStream): "
            f"{endpoint.model_deployment_base_url}",
            file=out,
        )
        print("Ctrl-C stops it.\n", file=out, flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    print("stopped", file=out, flush=True)
    return 0


def _private_directory(root: Path) -> Path:
    """``--dir``, made 0700 if new; an existing one must be the user's own and writable by
    no one else (else another user could plant links, or swap the CA that SSL_CERT_FILE names)."""
    import os
    import stat

    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=0o700, parents=True)
    info = root.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise ConfigurationError(f"serve --dir {root}: not a directory (a link?); pass a directory of your own")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConfigurationError(
            f"serve --dir {root}: owned by another user (uid {info.st_uid}); pass a directory of your own, "
            "such as ~/.oci-openai-serve, or leave --dir out"
        )
    if info.st_mode & 0o022:
        raise ConfigurationError(
            f"serve --dir {root}: writable by group or others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run chmod 700 {root}, or pass another directory"
        )
    return root


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise ConfigurationError(
            f"serve --dir: {path} is a symbolic link, which serve does not write through; remove it"
        )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
