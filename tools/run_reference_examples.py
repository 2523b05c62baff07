"""Run the older oci-openai package's published examples against ``oci-openai-patch serve``.

Usage: ``python tools/run_reference_examples.py PATH/TO/oci-openai-README.md [PYTHON]``

The examples are read from that README at run time (nothing of them is kept here) and
changed only as a migrating user would: the import line (``oci_openai`` ->
``oci_openai_patch``), the endpoint URL (-> the served one, which is loopback, so
``OCI_OPENAI_HOSTS`` names it: the Generative AI one, or for a model-deployment URL the
served deployment's), and the README's placeholders (profile, compartment,
model). A snippet written with a top-level ``await`` is wrapped in ``asyncio.run``.
``~/.oci/config`` is the served session profile, or the API-key one for snippets using
``OciUserPrincipalAuth``. Prints one line per snippet: exit status, first line, last error.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    readme = Path(sys.argv[1]).read_text(encoding="utf-8")
    python = sys.argv[2] if len(sys.argv) > 2 else sys.executable
    snippets = re.findall(r"```python\n(.*?)```", readme, re.S)
    work = Path(tempfile.mkdtemp(prefix="oci-openai-examples-"))
    server = subprocess.Popen(
        [python, "-m", "oci_openai_patch.commands.cli", "serve", "--dir", str(work / "served")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    exports: dict[str, str] = {}
    session_config = ""
    deployment_url = ""
    for line in server.stdout:
        if line.startswith("Data Science model deployment"):
            deployment_url = line.rpartition(": ")[2].strip()
        if line.startswith("export "):
            name, _, value = line[len("export ") :].strip().partition("=")
            exports[name] = value
        if line.startswith("session token instead"):
            session_config = line.split("OCI_OPENAI_CONFIG_FILE=")[1].strip()
        if line.startswith("Ctrl-C"):
            break
    home = work / "home"
    (home / ".oci").mkdir(parents=True)
    failed = 0
    for number, code in enumerate(snippets):
        code = code.replace("from oci_openai import", "from oci_openai_patch import")
        code = re.sub(r'"https://modeldeployment\.[^"]+"', f'"{deployment_url}"', code)
        code = re.sub(r'"https://[^"]+"', f'"{exports["OPENAI_BASE_URL"]}"', code)
        for placeholder, value in (
            ("<profile name>", "DEFAULT"),
            ("<compartment ocid>", "ocid1.compartment.oc1..aaaaexample"),
            ("<model name>", "m"),
            ("<model-name>", "m"),
        ):
            code = code.replace(placeholder, value)
        if "await " in code:
            body = "\n".join("    " + line for line in code.splitlines())
            code = f"import asyncio\nasync def _main():\n{body}\nasyncio.run(_main())\n"
        config = exports["OCI_OPENAI_CONFIG_FILE"] if "OciUserPrincipalAuth(" in code else session_config
        shutil.copy(config, home / ".oci" / "config")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OCI_", "OPENAI_"))}
        env.update(
            HOME=str(home),
            OCI_OPENAI_HOSTS=exports["OCI_OPENAI_HOSTS"],
            OCI_METADATA_BASE_URL="http://127.0.0.1:9/opc/v2",
        )
        result = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        failed += result.returncode != 0
        error = (result.stderr.strip().splitlines() or [""])[-1][:150]
        print(f"snippet {number}: exit {result.returncode}: {code.strip().splitlines()[0][:60]!r} {error}")
    server.send_signal(signal.SIGINT)
    log = server.communicate(timeout=30)[0]
    print(f"endpoint: {log.count(': verified')} requests verified, {log.count(': The')} refused")
    deployment = deployment_url.split("/")[3] if deployment_url else "-"
    print(f"model deployment: {log.count(f'POST /{deployment}/predict/v1/')} requests verified at its /predict/v1")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
