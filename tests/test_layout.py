"""The package layout: one folder per behaviour, and the old import paths the README and
earlier installs use still lead to the same modules."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import oci_openai_patch

PACKAGE = Path(oci_openai_patch.__file__).parent

#: The base layer, which every behaviour folder may use.
BASE = {
    "__init__",
    "errors",
    "event_loops",
    "key_cache",
    "logs",
    "oci_config",
    "permissions",
    "process_locks",
    "redact",
    "settings",
}
#: Old paths kept as the same module object.
ALIASES = {
    "_bootstrap": "shim.bootstrap",
    "cli": "commands.cli",
    "client_signing": "openai_clients.client_signing",
    "patch": "shim.patch",
}
FOLDERS = {"commands", "credentials", "openai_clients", "shim", "signature", "testing", "transport", "trust"}


def test_the_root_holds_the_base_layer_the_aliases_and_one_folder_per_behaviour() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert modules == BASE | set(ALIASES)
    folders = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert folders == FOLDERS


@pytest.mark.parametrize(("old", "new"), sorted(ALIASES.items()))
def test_an_old_path_is_the_same_module(old: str, new: str) -> None:
    assert importlib.import_module(f"oci_openai_patch.{old}") is importlib.import_module(f"oci_openai_patch.{new}")


def test_the_old_cli_path_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "oci_openai_patch.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.startswith("oci-openai-patch "), result.stderr
