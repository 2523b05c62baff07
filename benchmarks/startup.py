"""Start-up tax of the zero-code shim, paid by every interpreter where it is switched on.

Fresh processes, shim on (``OCI_OPENAI_AUTH`` set) and off alternating: ``python -c
pass`` (a program that never imports openai), ``python -c "import openai"``, and which
heavy modules are imported when.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _measure import Result, clean_env, fresh_process_times, run_python

HEAVY = ("oci_openai_patch", "wrapt", "openai", "oci", "httpx", "httpx2")
PASS_TARGET_MS = 15.0
IMPORT_TARGET = 1.05
#: pytest start-up with the package's plugin (loaded by every run where it is installed).
PLUGIN_TARGET = 1.01


def run() -> list[Result]:
    from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile

    profile = make_api_key_profile(Path(tempfile.mkdtemp(prefix="oci-openai-patch-bench-")), SignatureVerifier())
    off = clean_env()
    on = clean_env(OCI_OPENAI_AUTH="user_principal", OCI_OPENAI_CONFIG_FILE=profile.config_file)
    results = []

    probe = f"import sys; print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"
    imported_off = run_python(probe, off)[1].strip()
    imported_on = run_python(probe, on)[1].strip()
    results.append(
        Result(
            "start-up, shim off: heavy modules imported",
            imported_off,
            "[]",
            imported_off == "[]",
            f"shim on, before openai: {imported_on}",
        )
    )

    # Best of many alternating runs: the intrinsic cost, without the neighbours' noise.
    times = fresh_process_times({"off": ("pass", off), "on": ("pass", on)}, rounds=25)
    delta_ms = (min(times["on"]) - min(times["off"])) * 1e3
    results.append(
        Result(
            "start-up, shim on, program without openai: python -c pass",
            f"+{delta_ms:.1f} ms ({min(times['on']) * 1e3:.0f} / {min(times['off']) * 1e3:.0f} ms)",
            f"<= +{PASS_TARGET_MS:.0f} ms",
            delta_ms <= PASS_TARGET_MS,
        )
    )

    times = fresh_process_times({"off": ("import openai", off), "on": ("import openai", on)}, rounds=10)
    ratio = min(times["on"]) / min(times["off"])
    results.append(
        Result(
            "start-up: import openai, shim on / off",
            f"{ratio:.3f}x ({min(times['on']) * 1e3:.0f} / {min(times['off']) * 1e3:.0f} ms)",
            f"<= {IMPORT_TARGET:.2f}x",
            ratio <= IMPORT_TARGET,
        )
    )

    when = run_python(
        "import sys, openai\n"
        "after_import = 'oci' in sys.modules\n"
        "openai.OpenAI(base_url='https://modeldeployment.us-ashburn-1.oci.customer-oci.com/ocid1.x/predict/v1')\n"
        "print(after_import, 'oci' in sys.modules)",
        on,
    )[1].split()
    results.append(
        Result(
            "start-up: oci imported after import openai / after the first OCI client (user principal)",
            f"{when[0]} / {when[1]}",
            "False / (only for the SDK-signed kinds)",
            when[0] == "False",
        )
    )
    results.append(_plugin_cost(off))
    return results


def _plugin_cost(env: dict[str, str]) -> Result:
    """pytest running one trivial test, with the plugin as installed and with it disabled."""
    directory = Path(tempfile.mkdtemp(prefix="oci-openai-patch-bench-pytest-"))
    (directory / "test_nothing.py").write_text("def test_nothing():\n    pass\n", encoding="utf-8")
    (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    common = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-c", str(directory / "pytest.ini"), str(directory)]
    code = "import sys, pytest; sys.exit(pytest.main({args!r}))"
    variants = {
        "without": (code.format(args=["-p", "no:oci_openai_patch", *common]), env),
        "with": (code.format(args=common), env),
    }
    times = fresh_process_times(variants, rounds=15)
    ratio = min(times["with"]) / min(times["without"])
    return Result(
        "start-up: pytest with the package's plugin / with -p no:oci_openai_patch",
        f"{ratio:.3f}x ({min(times['with']) * 1e3:.0f} / {min(times['without']) * 1e3:.0f} ms)",
        f"<= {PLUGIN_TARGET:.2f}x",
        ratio <= PLUGIN_TARGET,
    )
