"""Time to the first signed request, in a fresh process, against the unsigned program.

The program imports openai, builds a client and makes one chat completion against the
local endpoint (in its own process). Signed: the shim on, with a user principal, a
session, and resource principal 2.2; unsigned: the same program with an API key and the
shim off. Whole-process wall time, alternating, best of the rounds.
"""

from __future__ import annotations

from _measure import Result, clean_env, endpoint_process, fresh_process_times

PROGRAM = """
import openai
client = openai.OpenAI(base_url={base_url!r})
client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "hi"}}])
"""
#: The user principal needs no token service: its first request should cost what an
#: unsigned one does; the others read a token file or variables as well.
TARGETS = {"user principal": 1.05}
TARGET = 1.15
ROUNDS = 8


def run() -> list[Result]:
    with endpoint_process() as endpoint:
        code = PROGRAM.format(base_url=endpoint["base_url"])
        signed = {"OCI_OPENAI_HOSTS": endpoint["host"]}
        variants = {
            "unsigned": (code, clean_env(OPENAI_API_KEY="sk-unsigned", OPENAI_BASE_URL=endpoint["base_url"])),
            "user principal": (
                code,
                clean_env(
                    OCI_OPENAI_AUTH="user_principal", OCI_OPENAI_CONFIG_FILE=endpoint["api_key_config"], **signed
                ),
            ),
            "session": (
                code,
                clean_env(OCI_OPENAI_AUTH="session", OCI_OPENAI_CONFIG_FILE=endpoint["session_config"], **signed),
            ),
            "resource principal 2.2": (
                code,
                clean_env(OCI_OPENAI_AUTH="resource_principal", **endpoint["resource_principal_env"], **signed),
            ),
        }
        times = fresh_process_times(variants, rounds=ROUNDS)
    counts = endpoint["counts"]
    expected_signed = ROUNDS * (len(variants) - 1)
    all_verified = counts.get("verified") == expected_signed and counts.get("refused") == 0
    baseline = min(times.pop("unsigned"))
    results = []
    for name, values in times.items():
        ratio = min(values) / baseline
        target = TARGETS.get(name, TARGET)
        results.append(
            Result(
                f"time to first request, fresh process: {name} / unsigned",
                f"{ratio:.3f}x ({min(values) * 1e3:.0f} / {baseline * 1e3:.0f} ms)",
                f"<= {target:.2f}x",
                ratio <= target and all_verified,
                "" if all_verified else f"endpoint counts {counts}",
            )
        )
    return results
