"""The third adversarial review's findings, each as a test that failed before its fix.

(Redirects and ``auth_flow`` are in ``test_redirects.py``.)
"""

from __future__ import annotations

import importlib.resources
import re

import pytest
from fresh import clean_env, run_program

from oci_openai_patch.errors import ConfigurationError
from oci_openai_patch.hosts import parse_host_list
from oci_openai_patch.public_suffixes import covered_public_suffix

# -- the suffix list's wildcard and exception rules ---------------------------------------


@pytest.mark.parametrize(
    "entry",
    ["*.us-ashburn-1.oci.customer-oci.com", "*.com.np", "*.co.ck", "*.customer-oci.com", "*.s3.amazonaws.com"],
)
def test_a_wildcard_over_a_child_of_a_wildcard_rule_is_refused(entry: str) -> None:
    with pytest.raises(ConfigurationError, match="covers the public suffix"):
        parse_host_list(entry)


def test_an_exception_rule_is_not_public() -> None:
    # ``*.ck`` makes every child of ck public, except ``!www.ck``.
    assert covered_public_suffix("www.ck") is None
    assert parse_host_list("*.llm.www.ck")[0].host == "llm.www.ck"


def _vectors() -> list[tuple[str, str]]:
    """The list's own test vectors (shipped with publicsuffixlist): domain -> registrable domain."""
    text = (importlib.resources.files("publicsuffixlist") / "test_psl.txt").read_text(encoding="utf-8")
    found = re.findall(r"^checkPublicSuffix\('([^']+)', '([^']+)'\);", text, re.M)
    return [(domain.lower(), registrable) for domain, registrable in found if not domain.startswith(".")]


def test_the_lists_own_vectors() -> None:
    vectors = _vectors()
    assert len(vectors) > 30
    for domain, registrable in vectors:
        public = registrable.partition(".")[2]
        # A wildcard over the public suffix above a registrable domain covers others' hosts.
        assert covered_public_suffix(public) is not None, (domain, public)
        # One over the registrable domain itself stays inside it (no vector has a rule below it).
        assert covered_public_suffix(registrable) is None, (domain, registrable)


def test_the_shim_refuses_such_a_wildcard_in_a_fresh_interpreter(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = """
    import openai
    try:
        openai.OpenAI(base_url="https://tenant.us-ashburn-1.oci.customer-oci.com/v1")
    except Exception as error:
        print(type(error).__name__, error)
    """
    env = clean_env(OCI_OPENAI_AUTH="instance_principal", OCI_OPENAI_HOSTS="*.us-ashburn-1.oci.customer-oci.com")
    out = run_program(code, env).strip()
    assert out.startswith("ConfigurationError OCI_OPENAI_HOSTS: '*.us-ashburn-1.oci.customer-oci.com' covers"), out
