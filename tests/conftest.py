"""Shared test set-up: a clean OCI environment, and no address but loopback ever contacted."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

COMPARTMENT = "ocid1.compartment.oc1..aaaatestcompartment"


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
