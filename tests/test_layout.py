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


#: Which package folders each layer may import (the root's base modules, then upwards):
#: data flows one way. ``settings`` (the environment contract) sits on ``trust``; each
#: folder may import the ones below it, never one above.
LAYERS = {
    "base": set(),
    "trust": {"base"},
    "settings": {"base", "trust"},
    "signature": {"base"},
    "credentials": {"base", "trust", "settings", "signature"},
    "transport": {"base", "trust", "settings", "signature", "credentials"},
    "openai_clients": {"base", "trust", "settings", "signature", "credentials", "transport"},
    "shim": {"base", "trust", "settings", "signature", "credentials", "transport", "openai_clients"},
    "testing": {"base", "trust", "settings", "signature", "credentials", "transport", "openai_clients", "shim"},
    "commands": {
        "base",
        "trust",
        "settings",
        "signature",
        "credentials",
        "transport",
        "openai_clients",
        "shim",
        "testing",
    },
}


def _layer(module: str) -> str | None:
    """The layer of ``oci_openai_patch.<module>`` (None: the old names kept as aliases)."""
    head = module.split(".")[0]
    if head == "settings":
        return "settings"
    if head in BASE:
        return "base"
    return head if head in LAYERS else None


def _imports(path: Path) -> set[str]:
    """The package modules a file imports, at any depth (also inside functions)."""
    import ast

    relative = path.relative_to(PACKAGE).with_suffix("")
    package = list(relative.parts[:-1])  # a module's package, and an __init__'s own package alike
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = [*base, *(node.module.split(".") if node.module else [])]
                names = [[*target, alias.name] for alias in node.names] if not node.module else [target]
                found.update(".".join(name) for name in names if name)
            elif node.module and node.module.startswith("oci_openai_patch."):
                found.add(node.module.removeprefix("oci_openai_patch."))
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("oci_openai_patch.") for a in node.names if a.name.startswith("oci_openai_patch.")
            )
    return found


def test_data_flows_one_way_between_the_layers() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
        layer = _layer(relative)
        if layer is None or relative in ALIASES or relative == "__init__":
            continue
        for imported in sorted(_imports(path)):
            target = _layer(imported)
            if target is not None and target != layer and target not in LAYERS[layer]:
                wrong.append(f"{relative} ({layer}) imports {imported} ({target})")
    assert not wrong, "\n".join(wrong)
