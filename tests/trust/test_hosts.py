"""The host guard: only OCI service hosts (and hosts the user names) are ever signed."""

from __future__ import annotations

import pytest

from oci_openai_patch.errors import ConfigurationError
from oci_openai_patch.trust.hosts import (
    HostPattern,
    HostPolicy,
    configured_hosts,
    genai_plane,
    is_oci_service_host,
    parse_host_list,
    realm_table,
    region_base_url,
)

OCI_HOSTS = [
    "inference.generativeai.us-chicago-1.oci.oraclecloud.com",
    "generativeai.us-chicago-1.oci.oraclecloud.com",
    "inference.generativeai.us-chicago-1.ds.oci.oraclecloud.com",
    "generativeai.eu-frankfurt-2.ds.oci.oraclecloud.eu",
    "inference.generativeai.us-langley-1.oci.oraclegovcloud.com",
    "inference.generativeai.uk-gov-london-1.oci.oraclegovcloud.uk",
    "modeldeployment.us-ashburn-1.oci.customer-oci.com",
    "md.datascience.eu-frankfurt-2.oci.oraclecloud.eu",
    "INFERENCE.GenerativeAI.US-CHICAGO-1.OCI.ORACLECLOUD.COM",
    "inference.generativeai.us-chicago-1.oci.oraclecloud.com.",
]

FOREIGN_HOSTS = [
    "api.openai.com",
    "oraclecloud.com",
    "inference.generativeai.us-chicago-1.oci.oraclecloud.com.evil.com",
    "evil-inference.generativeai.us-chicago-1.oci.oraclecloud.com",
    "inference.generativeai.us-chicago-1.oci.oraclecloud.co",
    "inference.generativeai.us-chicago-1.oci.oraclecloud.com.example",
    "inference-generativeai.us-chicago-1.oci.oraclecloud.com",
    "inference.generativeai.us-chicago-1.oci.oraclecloudx.com",
    "xinference.generativeai.us-chicago-1.oci.oraclecloud.com",
    "inference.generativeai..oci.oraclecloud.com",
    "objectstorage.us-chicago-1.oraclecloud.com",
    "modeldeployment.us-ashburn-1.oci.customer-oci.com.attacker.net",
    "modeldeployment.us-ashburn-1.oci.oraclecloud.com",
    "xn--inference-9za.generativeai.us-chicago-1.oci.oraclecloud.com",
    "inference.generativeai.us-chicago-1.oci.oraclecloud.com@evil.com",
    "127.0.0.1",
    "169.254.169.254",
    "localhost",
]


@pytest.mark.parametrize("host", OCI_HOSTS)
def test_oci_service_hosts_are_recognised(host: str) -> None:
    assert is_oci_service_host(host)
    assert HostPolicy().allows("https", host, 443)


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_foreign_hosts_are_refused(host: str) -> None:
    assert not is_oci_service_host(host)
    assert not HostPolicy().allows("https", host, 443)


def test_every_realm_domain_of_the_sdk_is_covered() -> None:
    from oci.regions import REALMS

    assert realm_table().realms == dict(REALMS)
    for domain in set(REALMS.values()):
        assert is_oci_service_host(f"inference.generativeai.us-chicago-1.oci.{domain}")


def test_plain_http_to_an_oci_name_is_refused() -> None:
    assert not HostPolicy().allows("http", OCI_HOSTS[0], 80)


def test_extra_hosts_https_and_loopback_http_only() -> None:
    policy = HostPolicy.from_hosts(["my-private.example.com", "127.0.0.1:8080", "*.corp.example", "internal.lan"])
    assert policy.allows("https", "my-private.example.com", 443)
    assert policy.allows("https", "a.corp.example", 443)
    assert not policy.allows("https", "corp.example", 443)
    assert not policy.allows("https", "evilcorp.example", 443)
    assert policy.allows("http", "127.0.0.1", 8080)
    assert not policy.allows("http", "127.0.0.1", 8081)
    assert not policy.allows("http", "internal.lan", 80)
    assert not policy.allows("ftp", "my-private.example.com", 21)
    assert not policy.allows("https", "my-private.example.com.evil.com", 443)


def test_ipv6_loopback_extra_host() -> None:
    policy = HostPolicy.from_hosts(["[::1]:9000"])
    assert policy.allows("http", "::1", 9000)


@pytest.mark.parametrize("bad", ["http://x.com", "a b", "*", "*.com", "host:port", "x.com:99999", "user@x.com", ".x"])
def test_malformed_host_entries_name_the_variable(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="OCI_OPENAI_HOSTS"):
        parse_host_list(bad)


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-chicago-1", "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1"),
        ("eu-frankfurt-2", "https://inference.generativeai.eu-frankfurt-2.oci.oraclecloud.eu/openai/v1"),
        ("us-langley-1", "https://inference.generativeai.us-langley-1.oci.oraclegovcloud.com/openai/v1"),
        ("ORD", "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1"),
    ],
)
def test_region_base_url_uses_the_realm_domain(region: str, expected: str) -> None:
    assert region_base_url(region) == expected
    assert is_oci_service_host(expected.split("/")[2])


def test_actions_api_path_and_unknown_region() -> None:
    assert region_base_url("us-chicago-1", "actions").endswith("/20231130/actions/v1")
    with pytest.raises(ConfigurationError, match="mars-north-1"):
        region_base_url("mars-north-1")


CHICAGO = "generativeai.us-chicago-1.oci.oraclecloud.com"


@pytest.mark.parametrize(
    ("url", "plane"),
    [
        (f"https://inference.{CHICAGO}/openai/v1", "data"),
        (f"https://inference.{CHICAGO}/openai/v1/", "data"),
        (f"https://INFERENCE.{CHICAGO.upper()}./openai/v1", "data"),
        (f"https://ppe.inference.{CHICAGO}/openai/v1", "data"),
        (f"https://inference.{CHICAGO}", "data"),
        (f"https://inference.{CHICAGO}/20231130/actions/v1", "actions"),
        (f"https://inference.{CHICAGO}/20231130/agents/v1", "data"),
        (f"https://inference.{CHICAGO}/20231130/Actions/v1/responses", "actions"),
        (f"https://inference.{CHICAGO}/20231130/actions", "actions"),
        (f"https://{CHICAGO}/20231130/actions/v1", "actions"),
        (f"https://{CHICAGO}/20231130/openai/v1", "control"),
        (f"https://inference.{CHICAGO}/20231130/openai/v1", "control"),
        (f"https://inference.{CHICAGO}/20231130/OPENAI", "control"),
        (f"https://{CHICAGO}/openai/v1", "control"),
        (f"https://ppe.{CHICAGO}/openai/v1", "control"),
        (f"https://{CHICAGO}", "control"),
        ("https://modeldeployment.us-ashburn-1.oci.customer-oci.com/ocid1.datasciencemodeldeployment.oc1.x", None),
        ("https://api.openai.com/v1", None),
        ("/openai/v1", None),
        ("", None),
    ],
)
def test_the_generative_ai_plane_of_a_base_url(url: str, plane: str | None) -> None:
    """Data plane (project or compartment), control plane (vector stores) or actions
    (compartment): read off the host and the path, whatever their case."""
    assert genai_plane(url) == plane


def test_the_plane_of_a_url_object_is_read_from_its_text() -> None:
    import httpx

    assert genai_plane(httpx.URL(f"https://inference.{CHICAGO}/openai/v1")) == "data"  # type: ignore[arg-type]
    assert genai_plane(httpx.URL(f"https://{CHICAGO}/20231130/openai/v1")) == "control"  # type: ignore[arg-type]


def test_the_configured_hosts_are_the_given_ones_else_the_environments() -> None:
    environ = {"OCI_OPENAI_HOSTS": "llm.example.com, 127.0.0.1:8080,"}
    from_env = configured_hosts(None, environ)
    assert from_env == (HostPattern("llm.example.com"), HostPattern("127.0.0.1", 8080))
    assert configured_hosts(["given.example.com"], environ) == (HostPattern("given.example.com"),)
    assert configured_hosts((), environ) == ()
    assert configured_hosts(None, {}) == ()
    assert configured_hosts([HostPattern("kept.example.com", 443)], environ) == (HostPattern("kept.example.com", 443),)


def test_configured_hosts_read_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCI_OPENAI_HOSTS", "env.example.com")
    assert configured_hosts(None) == (HostPattern("env.example.com"),)
    monkeypatch.delenv("OCI_OPENAI_HOSTS")
    assert configured_hosts(None) == ()


def test_a_bad_configured_host_names_where_it_came_from() -> None:
    with pytest.raises(ConfigurationError, match=r"^OCI_OPENAI_HOSTS: 'a b' is not a host"):
        configured_hosts(None, {"OCI_OPENAI_HOSTS": "a b"})
    with pytest.raises(ConfigurationError, match=r"^hosts: 'a b' is not a host"):
        configured_hosts(["a b"], {})
    with pytest.raises(ConfigurationError, match=r"^OciOpenAI\(hosts=\): 'a b' is not a host"):
        configured_hosts(["a b"], {}, source="OciOpenAI(hosts=)")


@pytest.mark.parametrize(
    ("entry", "pattern"),
    [
        ("LLM.Example.COM", HostPattern("llm.example.com")),
        ("  llm.example.com  ", HostPattern("llm.example.com")),
        ("llm.example.com:1", HostPattern("llm.example.com", 1)),
        ("llm.example.com:65535", HostPattern("llm.example.com", 65535)),
        ("*.corp.example.com", HostPattern("corp.example.com", wildcard=True)),
        ("*.Corp.Example:8443", HostPattern("corp.example", 8443, wildcard=True)),
        ("[::1]", HostPattern("::1")),
        ("[2001:DB8::1]:8443", HostPattern("2001:db8::1", 8443)),
    ],
)
def test_a_host_entry_is_read_into_its_pattern(entry: str, pattern: HostPattern) -> None:
    assert HostPattern.parse(entry) == pattern


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("llm.example.com:0", "is not a host"),
        ("llm.example.com:65536", "is not a host"),
        ("llm.example.com:", "is not a host"),
        ("llm.example.com.", "is not a host"),
        ("[::1]:", "is not a host"),
        ("*.", "is not a host"),
        ("llm..example.com", "is not a host"),
        ("llm.*.example.com", "is not a host"),
        ("*.localhost", "is too broad; name at least two labels after *."),
        ("*.co.uk", "covers the public suffix co.uk"),
    ],
)
def test_a_bad_host_entry_says_why_under_its_source(entry: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        HostPattern.parse(entry, source="OciOpenAI(hosts=)")
    assert str(raised.value).startswith(f"OciOpenAI(hosts=): {entry.strip()!r} ") and message in str(raised.value)
