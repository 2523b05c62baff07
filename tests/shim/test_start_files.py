"""PEP 829's ``.start`` file beside the ``.pth`` line: the shim installs exactly once.

No Python 3.15 runs here, so the start-up of each Python is reproduced from the PEP and
the 3.15 ``site`` documentation, in a fresh ``python -S`` (no ``site`` of its own):

- up to 3.14: every ``.pth`` line is processed in file order (paths added, ``import``
  lines run); ``.start`` files mean nothing;
- 3.15 on: the ``.pth`` files add their paths, and their ``import`` lines run unless a
  ``<name>.start`` of the same name exists; then, after all paths, each ``.start`` file's
  ``pkg.mod:callable`` lines are resolved with ``pkgutil.resolve_name`` and called.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fresh import ROOT, clean_env

STARTUP = r"""
import os, pkgutil, sys

site_dir, mode, root = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, root)
import oci_openai_patch.shim.bootstrap as bootstrap

calls = []
real_install = bootstrap.install
bootstrap.install = lambda: (calls.append(1), real_install())[1]  # counts every route's call
names = sorted(os.listdir(site_dir))
starts = {name[: -len(".start")] for name in names if name.endswith(".start")}
for name in names:
    if not name.endswith(".pth"):
        continue
    for line in open(os.path.join(site_dir, name), encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith(("import ", "import\t")):
            if mode == "3.15" and name[: -len(".pth")] in starts:
                continue  # silently skipped: a .start file of the same name exists
            exec(line)
        else:
            sys.path.append(os.path.join(site_dir, line))
if mode == "3.15":
    for name in names:
        if name.endswith(".start"):
            for line in open(os.path.join(site_dir, name), encoding="utf-8"):
                line = line.strip()
                if line and not line.startswith("#"):
                    pkgutil.resolve_name(line)()

finders = [f for f in sys.meta_path if isinstance(f, bootstrap._PatchAfterImport)]
print("calls", len(calls), "finders", len(finders))
import openai
from oci_openai_patch.shim.patch import is_patched

print("patched", is_patched())
"""


def _site_dir(tmp_path: Path) -> Path:
    site = tmp_path / "site-packages"
    site.mkdir()
    shutil.copy(ROOT / "oci_openai_patch.pth", site)
    shutil.copy(ROOT / "oci_openai_patch.start", site)
    # What the environment's own .pth files give: the package and its dependencies.
    paths = [str(ROOT)] + [p for p in sys.path if p.endswith("site-packages")]
    (site / "aaa-paths.pth").write_text("\n".join(paths) + "\n", encoding="utf-8")
    return site


@pytest.mark.parametrize("mode", ["3.14", "3.15"])
def test_the_shim_installs_exactly_once(tmp_path: Path, oci_api_key_profile, mode: str) -> None:  # type: ignore[no-untyped-def]
    env = clean_env(OCI_OPENAI_AUTH="user_principal", OCI_OPENAI_CONFIG_FILE=oci_api_key_profile.config_file)
    command = [sys.executable, "-S", "-c", STARTUP, str(_site_dir(tmp_path)), mode, str(ROOT)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:2] == ["calls 1 finders 1", "patched True"], result.stdout


def test_with_the_shim_off_the_start_file_does_nothing(tmp_path: Path) -> None:
    command = [sys.executable, "-S", "-c", STARTUP, str(_site_dir(tmp_path)), "3.15", str(ROOT)]
    result = subprocess.run(command, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:2] == ["calls 1 finders 0", "patched False"], result.stdout


def test_the_start_file_names_what_the_pth_line_calls() -> None:
    pth = (ROOT / "oci_openai_patch.pth").read_text(encoding="utf-8")
    entries = [
        line.strip()
        for line in (ROOT / "oci_openai_patch.start").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert entries == ["oci_openai_patch.shim.bootstrap:install"]
    module, _, function = entries[0].partition(":")
    assert f'__import__("{module}", fromlist=["{function}"]).{function}()' in pth
