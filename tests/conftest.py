"""Shared test set-up: a clean OCI environment, and no address but loopback ever contacted."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fresh import non_loopback_target

COMPARTMENT = "ocid1.compartment.oc1..aaaatestcompartment"

#: Every name lookup or connection this test process attempted to a non-loopback host.
_BLOCKED: list[str] = []


def _network_guard(event: str, args: tuple[object, ...]) -> None:
    host = non_loopback_target(event, args)
    if host is not None:
        _BLOCKED.append(f"{event} to {host!r}")
        raise PermissionError(f"network-guard: {host!r} is not loopback")


# The tests in this process run behind the same guard as the fresh interpreters: an
# audit hook refuses any lookup or connection that is not loopback, and the fixture
# below fails the test that attempted one, even if a library swallowed the error.
sys.addaudithook(_network_guard)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under a mutant of ``make mutate``, run the quickest tests first.

    mutmut runs every test that reaches the mutated function with ``-x``, in no set order,
    so one SDK-backed principal test (seconds, its deadlines) often ran before the
    millisecond unit test that kills the mutant. Its stats file has each test's duration.
    Any other run keeps pytest's order."""
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    try:
        durations = json.loads(Path("mutmut-stats.json").read_text(encoding="utf-8"))["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: float(durations.get(item.nodeid, float("inf"))))


@pytest.fixture(autouse=True)
def only_loopback_contacted() -> Iterator[None]:
    seen = len(_BLOCKED)
    yield
    assert _BLOCKED[seen:] == [], f"non-loopback network attempts: {_BLOCKED[seen:]}"


@pytest.fixture(autouse=True)
def clean_oci_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Drop every OCI/OpenAI variable of the developer's shell, and point instance
    metadata at a closed loopback port so the SDK can never reach 169.254.169.254."""
    for name in list(os.environ):
        if name.startswith(("OCI_", "OPENAI_")) or name == "KUBERNETES_SERVICE_HOST":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OCI_METADATA_BASE_URL", "http://127.0.0.1:9/opc/v2")
    monkeypatch.setenv("HOME", os.environ.get("HOME", "/nonexistent"))
    yield


@pytest.fixture
def compartment_id() -> str:
    return COMPARTMENT
