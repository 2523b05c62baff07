"""Run openai-python's own unit tests with the shim off, then on, and list what differs.

The shim must change nothing in openai but where a client with no base URL goes (to OCI,
by design). Usage, with a checkout of openai-python at the installed openai's version and a
Python that has that openai, its test requirements and this package::

    python tools/openai_suite_diff.py --suite ../openai-python --python /tmp/venv/bin/python

The api_resources tests need OpenAI's mock server and are left out. The shim runs as a user
principal from a throwaway profile, with a compartment set; nothing leaves the machine
(openai's tests use mock transports).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
from pathlib import Path

from oci_openai_patch.testing.profiles import make_api_key_profile
from oci_openai_patch.testing.verify import SignatureVerifier

OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED) (\S+)")


def outcomes(python: str, suite: Path, env: dict[str, str]) -> dict[str, str]:
    command = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "8", "-o", "addopts=", "-rA"]
    command += ["--ignore=tests/api_resources", "tests"]
    result = subprocess.run(command, cwd=suite, env=env, capture_output=True, text=True, timeout=1800)
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        match = OUTCOME.match(line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, required=True, help="a checkout of openai-python")
    parser.add_argument("--python", required=True, help="a Python with openai, its test extras and this package")
    arguments = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OCI_", "OPENAI_"))}
    with tempfile.TemporaryDirectory() as directory:
        profile = make_api_key_profile(Path(directory), SignatureVerifier())
        shim = dict(
            base,
            OCI_OPENAI_AUTH="user_principal",
            OCI_OPENAI_CONFIG_FILE=profile.config_file,
            OCI_OPENAI_COMPARTMENT_ID="ocid1.compartment.oc1..aaaaopenaisuite",
        )
        off = outcomes(arguments.python, arguments.suite, base)
        on = outcomes(arguments.python, arguments.suite, shim)
    differing = sorted(test for test in off.keys() | on.keys() if off.get(test) != on.get(test))
    print(f"{len(off)} tests; {len(differing)} differ with the shim on")
    for test in differing:
        print(f"  {off.get(test, '-'):7} -> {on.get(test, '-'):7} {test}")


if __name__ == "__main__":
    main()
