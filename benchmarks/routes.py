"""The routes past the openai client (``shim/routes``): what they cost the program's traffic
and its imports.

- **A request to a host the shim does not sign for**, through each stack, with the shim
  on: in one child process, the hooked method and the original it wraps (its
  ``__wrapped__``) take turns on the class, in batches of GET requests to a loopback
  server that is no OCI host, each round in the order ABBA or BAAB. What is compared is the CPU
  time of the sending thread (``time.thread_time``: the server's work and the waits left
  out, which makes the ratio stricter than wall time and far less noisy on a shared
  machine, where wall-time batches moved by up to a tenth in an A/A run); the median of the
  rounds' ratios, pooled over three such children (one child's median moved by up to 1.3%
  in an A/A run). The same children with the hooked method on both sides give the floor.
- **Importing each stack**, shim on / off: pairs of fresh processes, the order swapped
  every pair, the CPU time of the ``import`` statement taken inside each
  (``time.process_time``: a process descheduled by a neighbour's work is not charged for
  the wait, which moved wall-time medians by a tenth here); the median of the pairs'
  ratios. The same pairs with the shim off on both sides give the noise floor.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from pathlib import Path

from _measure import Result, clean_env, compile_package_bytecode, run_python

REQUEST_TARGET = 1.02
IMPORT_TARGET = 1.03

#: Per stack: what to import, the class and method its route hooks, and one request to URL.
STACKS = {
    "requests": ("requests", "requests.adapters", "HTTPAdapter", "send", "session.get(URL).content"),
    "httpx": ("httpx", "httpx", "Client", "send", "client.get(URL).content"),
    "httpx2": ("httpx2", "httpx2", "Client", "send", "client.get(URL).content"),
    "urllib": ("urllib.request", "http.client", "HTTPConnection", "request", "urllib.request.urlopen(URL).read()"),
}

CHILD = """
import http.server, importlib, json, socket, sys, threading, time
class Quick(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()  # headers and body go in two writes: no Nagle wait between them
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quick)
threading.Thread(target=server.serve_forever, daemon=True).start()
URL = f"http://127.0.0.1:{{server.server_address[1]}}/openai/v1/models"
import {library}
session = client = None
if "{library}" == "requests":
    session = requests.Session()
elif "{library}" in ("httpx", "httpx2"):
    client = {library}.Client()
cls = getattr(importlib.import_module("{module}"), "{cls}")
def batch(function):
    setattr(cls, "{method}", function)
    started = time.thread_time()  # this thread's CPU: not the server's, not the waits
    for _ in range(20):
        {request}
    return (time.thread_time() - started) / 20
# The first request builds the shim's state, decides the host and may put the route's
# steady method in the place of the first-call wrapper: what is measured is what is there then.
batch(cls.__dict__["{method}"])
hooked = cls.__dict__["{method}"]
original = getattr(hooked, "__wrapped__", None)
assert original is not None, "the route is not hooked"
ratios, seconds = [], {{"off": [], "on": []}}
for round in range(200):
    # ABBA, then BAAB: a drift of the machine's speed within a round cancels out.
    first, second = (("off", original), ("on", hooked)) if round % 2 else (("on", hooked), ("off", original))
    times = {{"off": 0.0, "on": 0.0}}
    for side, function in (first, second, second, first):
        spent = batch(function)
        times[side] += spent
        seconds[side].append(spent)
    ratios.append(times["on"] / times["off"])
setattr(cls, "{method}", hooked)
print(json.dumps({{"ratios": ratios, "on": min(seconds["on"]), "off": min(seconds["off"])}}))
"""

#: Child processes per request row, their rounds pooled: a process's own luck (where its
#: code and objects landed in memory) moved a single child's median by up to 1.3% in an A/A run.
REQUEST_CHILDREN = 3


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _request_rows(codes: dict[str, str], env: dict[str, str]) -> dict[str, tuple[float, list[float], float, float]]:
    """Per row: the median of every round's ratio pooled over :data:`REQUEST_CHILDREN`
    children, each child's own median, and the best batch of each side. The children of
    the rows take turns, so a slow minute of the machine falls on every row alike."""
    ratios: dict[str, list[list[float]]] = {name: [] for name in codes}
    best: dict[str, dict[str, float]] = {name: {"on": float("inf"), "off": float("inf")} for name in codes}
    for _ in range(REQUEST_CHILDREN):
        for name, code in codes.items():
            child = json.loads(run_python(code, env)[1])
            ratios[name].append([float(ratio) for ratio in child["ratios"]])
            for side in ("on", "off"):
                best[name][side] = min(best[name][side], float(child[side]))
    return {
        name: (
            _median([ratio for child in children for ratio in child]),
            [_median(child) for child in children],
            best[name]["on"],
            best[name]["off"],
        )
        for name, children in ratios.items()
    }


IMPORT_CHILD = "import time; started = time.process_time(); import {library}; print(time.process_time() - started)"
IMPORT_PAIRS = 50


def _import_ratio(library: str, first: dict[str, str], second: dict[str, str]) -> tuple[float, float, float]:
    """The median over pairs of ``import library``'s CPU time under ``second`` / ``first``,
    and the best time of each."""
    times: dict[str, list[float]] = {"first": [], "second": []}
    ratios = []
    for round_ in range(IMPORT_PAIRS):
        sides = (("first", first), ("second", second)) if round_ % 2 else (("second", second), ("first", first))
        pair = {side: float(run_python(IMPORT_CHILD.format(library=library), env)[1]) for side, env in sides}
        ratios.append(pair["second"] / pair["first"])
        for side, seconds in pair.items():
            times[side].append(seconds)
    return _median(ratios), min(times["second"]), min(times["first"])


def run() -> list[Result]:
    from oci_openai_patch.testing import SignatureVerifier, make_api_key_profile

    compile_package_bytecode()
    profile = make_api_key_profile(Path(tempfile.mkdtemp(prefix="oci-openai-patch-bench-")), SignatureVerifier())
    off = clean_env()
    on = clean_env(OCI_OPENAI_AUTH="user_principal", OCI_OPENAI_CONFIG_FILE=profile.config_file)
    codes = {}
    for stack, (library, module, cls, method, request) in STACKS.items():
        if importlib.util.find_spec(library.partition(".")[0]) is not None:
            codes[stack] = CHILD.format(library=library, module=module, cls=cls, method=method, request=request)
    # The same child with the hooked method on both sides: how far this machine moves the
    # ratio by itself (its noise floor), beside the figures above.
    codes["floor"] = codes["httpx"].replace('original = getattr(hooked, "__wrapped__", None)', "original = hooked")
    # urllib's first-call wrapper (the full path on every request), which its steady method
    # replaces after the first request: what the steady method saves, in the same run.
    steady = 'batch(cls.__dict__["request"])\nhooked = cls.__dict__["request"]'
    if "urllib" in codes and steady in codes["urllib"]:
        codes["first-call"] = codes["urllib"].replace(
            steady, 'first_call = cls.__dict__["request"]\nbatch(first_call)\nhooked = first_call'
        )
    rows = _request_rows(codes, on)
    results = []
    for stack, (ratio, medians, best_on, best_off) in rows.items():
        each = " / ".join(f"{median:.3f}" for median in medians)
        if stack == "floor":
            results.append(
                Result(
                    "routes: the same, hooked on both sides through httpx (noise floor)",
                    f"{ratio:.3f}x (children {each})",
                    "-",
                    None,
                )
            )
            continue
        figure = f"{ratio:.3f}x (children {each}; best {best_on * 1e6:.0f} / {best_off * 1e6:.0f} us)"
        if stack == "first-call":
            name = "routes: the same through urllib's first-call wrapper, which the steady method replaces"
            results.append(Result(name, figure, "(for comparison)", None))
        else:
            name = f"routes: a request to a non-OCI host through {stack}, shim on / unhooked (sender's CPU)"
            results.append(Result(name, figure, f"<= {REQUEST_TARGET:.2f}x", ratio <= REQUEST_TARGET))
    for library, *_ in STACKS.values():
        if importlib.util.find_spec(library.partition(".")[0]) is None:
            continue
        ratio, on_best, off_best = _import_ratio(library, off, on)
        results.append(
            Result(
                f"routes: import {library}, shim on / off",
                f"{ratio:.3f}x (best {on_best * 1e3:.1f} / {off_best * 1e3:.1f} ms)",
                f"<= {IMPORT_TARGET:.2f}x",
                ratio <= IMPORT_TARGET,
            )
        )
    if importlib.util.find_spec("requests") is not None:
        floor, *_ = _import_ratio("requests", off, off)
        results.append(Result("routes: import requests, shim off / off (noise floor)", f"{floor:.3f}x", "-", None))
    return results
