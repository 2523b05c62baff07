"""Streaming: time to the first chunk, signed / unsigned, and that nothing is buffered.

The local endpoint (its own process) waits 50 ms before each chunk, as a model
generating tokens. Signed and unsigned streams alternate; the median time from the call
to the first chunk is compared. Chunk arrival gaps show that chunks reach the caller as
they are sent: a buffering auth would deliver them in one burst at the end.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from _measure import Result, endpoint_process, median

CHUNK_DELAY = 0.05
TARGET = 1.05
ROUNDS = 12


def _stream(client: Any) -> tuple[float, list[float]]:
    started = time.perf_counter()
    arrivals = []
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "one two three four five"}], stream=True
    )
    for _chunk in stream:
        arrivals.append(time.perf_counter() - started)
    return arrivals[0], [b - a for a, b in itertools.pairwise(arrivals)]


def run() -> list[Result]:
    import openai

    from oci_openai_patch import OciOpenAI, OciUserPrincipalAuth

    with endpoint_process("--stream-delay", str(CHUNK_DELAY)) as endpoint:
        auth = OciUserPrincipalAuth(config_file=endpoint["api_key_config"], hosts=[endpoint["host"]])
        clients = {
            "signed": OciOpenAI(auth=auth, base_url=endpoint["base_url"]),
            "unsigned": openai.OpenAI(api_key="sk-unsigned", base_url=endpoint["base_url"]),
        }
        first: dict[str, list[float]] = {name: [] for name in clients}
        gaps: list[float] = []
        for client in clients.values():  # warm up connections
            _stream(client)
        for _ in range(ROUNDS):
            for name, client in clients.items():
                ttfc, chunk_gaps = _stream(client)
                first[name].append(ttfc)
                if name == "signed":
                    gaps.extend(chunk_gaps[:-1])  # the last gap is [DONE], sent without delay
    signed_ok = endpoint["counts"].get("verified") == ROUNDS + 1 and endpoint["counts"].get("refused") == 0
    ratio = median(first["signed"]) / median(first["unsigned"])
    typical_gap = median(gaps)
    return [
        Result(
            "streaming: time to first chunk, signed / unsigned (50 ms chunk gaps)",
            f"{ratio:.3f}x ({median(first['signed']) * 1e3:.1f} / {median(first['unsigned']) * 1e3:.1f} ms)",
            f"<= {TARGET:.2f}x",
            ratio <= TARGET and signed_ok,
        ),
        Result(
            "streaming: median gap between signed chunks as received",
            f"{typical_gap * 1e3:.1f} ms (smallest {min(gaps) * 1e3:.1f} ms)",
            f">= {CHUNK_DELAY * 0.8 * 1e3:.0f} ms (not buffered)",
            typical_gap >= CHUNK_DELAY * 0.8,
        ),
    ]
