"""Bad configuration: one clear line, no secret, and the host program still starts.

Every case runs the zero-code shim in a fresh interpreter with DEBUG logging on: the
program imports openai (which must succeed), builds a client for an OCI Generative AI
host (where the error must surface, naming the variable or file and the fix) and prints
it. Nothing it prints or logs may contain key material, a token or a pass phrase.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from fresh import NETWORK_GUARD, clean_env

from oci_openai_patch.testing import (
    SignatureVerifier,
    make_api_key_profile,
    make_resource_principal_files,
    make_session_profile,
)
from oci_openai_patch.testing.profiles import new_private_key, write_private_key

GENAI = "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/openai/v1"
COMPARTMENT = "ocid1.compartment.oc1..aaaabadconfig"
PASS_PHRASE = "correct-horse-battery-staple"

PROGRAM = f"""
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
import openai
print("STARTED", flush=True)
try:
    openai.OpenAI(base_url={GENAI!r})
    print("NO ERROR")
except Exception as error:
    print("ERROR", type(error).__name__, error)
"""


@dataclass
class Kit:
    """Files the cases bend: a good API-key profile, a session, RP files, and secrets to watch."""

    root: Path
    config: str
    key_file: str
    session_config: str
    token_file: str
    rp_env: dict[str, str]
    secrets: list[str]

    def write_config(self, name: str, **entries: str) -> str:
        path = self.root / name
        path.write_text("[DEFAULT]\n" + "".join(f"{k}={v}\n" for k, v in entries.items()), encoding="utf-8")
        return str(path)

    def base_entries(self) -> dict[str, str]:
        text = Path(self.config).read_text(encoding="utf-8")
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _api(kit: Kit, **extra: str) -> dict[str, str]:
    return {"OCI_OPENAI_AUTH": "user_principal", "OCI_OPENAI_CONFIG_FILE": kit.config, **extra}


def _with_entries(kit: Kit, name: str, **changes: str) -> dict[str, str]:
    entries = {**kit.base_entries(), **changes}
    return _api(kit, OCI_OPENAI_CONFIG_FILE=kit.write_config(name, **entries))


def _session_token(kit: Kit, text: str) -> dict[str, str]:
    # Cases run in parallel: each gets its own token file and config.
    directory = Path(tempfile.mkdtemp(dir=kit.root))
    token = directory / "token"
    token.write_text(text, encoding="utf-8")
    lines = Path(kit.session_config).read_text(encoding="utf-8").splitlines()
    entries = dict(line.split("=", 1) for line in lines if "=" in line)
    entries["security_token_file"] = str(token)
    config = directory / "config"
    config.write_text("[DEFAULT]\n" + "".join(f"{k}={v}\n" for k, v in entries.items()), encoding="utf-8")
    return {"OCI_OPENAI_AUTH": "session", "OCI_OPENAI_CONFIG_FILE": str(config)}


def _encrypted_key(kit: Kit, pass_phrase: str | None) -> dict[str, str]:
    name = "encrypted-with-phrase" if pass_phrase else "encrypted-no-phrase"  # parallel cases: own files
    key_file = write_private_key(kit.root / f"{name}.pem", new_private_key(), PASS_PHRASE)
    changes = {"key_file": str(key_file)}
    if pass_phrase:
        changes["pass_phrase"] = pass_phrase
    return _with_entries(kit, f"{name}-config", **changes)


def _public_key(kit: Kit) -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization

    path = kit.root / "public.pem"
    public = new_private_key().public_key()
    path.write_bytes(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return _with_entries(kit, "public-config", key_file=str(path))


def _garbled(kit: Kit) -> str:
    path = kit.root / "garbled-config"
    path.write_text("user = nobody\n[DEFAULT\n", encoding="utf-8")
    return str(path)


def _rp(kit: Kit, **changes: str) -> dict[str, str]:
    env = {"OCI_OPENAI_AUTH": "resource_principal", **kit.rp_env, **changes}
    return {k: v for k, v in env.items() if v}


def _silent_metadata(kit: Kit) -> dict[str, str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    kit.__dict__.setdefault("listeners", []).append(listener)  # closed with the kit's fixture
    return {
        "OCI_OPENAI_AUTH": "instance_principal",
        "OCI_METADATA_BASE_URL": f"http://127.0.0.1:{listener.getsockname()[1]}/opc/v2",
        "OCI_OPENAI_AUTH_TIMEOUT": "1",
    }


Case = tuple[str, Callable[[Kit], dict[str, str]], str]
CASES: list[Case] = [
    (
        "unknown auth kind",
        lambda k: _api(k, OCI_OPENAI_AUTH="kerberos"),
        "is not an auth kind; use one of user_principal",
    ),
    (
        "missing config file",
        lambda k: _api(k, OCI_OPENAI_CONFIG_FILE=str(k.root / "nope")),
        "does not exist; run 'oci setup config'",
    ),
    (
        "unreadable config file",
        lambda k: _api(k, OCI_OPENAI_CONFIG_FILE=str(k.root)),
        "cannot be read",
    ),
    ("config file not INI", lambda k: _api(k, OCI_OPENAI_CONFIG_FILE=_garbled(k)), "is not a valid INI file"),
    ("missing profile", lambda k: _api(k, OCI_OPENAI_PROFILE="PROD"), "profile [PROD] is not in OCI config file"),
    ("profile without user", lambda k: _with_entries(k, "no-user", user=""), "has no 'user' entry"),
    ("missing key file", lambda k: _with_entries(k, "no-key", key_file=str(k.root / "gone.pem")), "fix key_file"),
    ("encrypted key, no pass_phrase", lambda k: _encrypted_key(k, None), "sets no pass_phrase; add pass_phrase"),
    ("encrypted key, wrong pass_phrase", lambda k: _encrypted_key(k, "wrong-phrase"), "cannot be decrypted"),
    ("public key as key_file", _public_key, "holds a public key"),
    ("garbage key file", lambda k: _with_entries(k, "garbage", key_file=k.config), "is not a PEM private key"),
    (
        "fingerprint of another key",
        lambda k: _with_entries(k, "fp", fingerprint="00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"),
        "fingerprint does not match key_file",
    ),
    ("missing session token", lambda k: _session_token(k, ""), "is empty; run 'oci session refresh'"),
    ("garbled session token", lambda k: _session_token(k, "not.a.token"), "does not hold a valid token"),
    (
        "expired session token",
        lambda k: _session_token(k, SignatureVerifier().issuer.issue(new_private_key().public_key(), ttl=-60)),
        "has expired; run 'oci session refresh'",
    ),
    (
        "resource principal without version",
        lambda k: _rp(k, OCI_RESOURCE_PRINCIPAL_VERSION=""),
        "OCI_RESOURCE_PRINCIPAL_VERSION is not set",
    ),
    (
        "resource principal 2.2 without token",
        lambda k: _rp(k, OCI_RESOURCE_PRINCIPAL_RPST=""),
        "OCI_RESOURCE_PRINCIPAL_RPST is not set",
    ),
    (
        "resource principal token file missing",
        lambda k: _rp(k, OCI_RESOURCE_PRINCIPAL_RPST=str(k.root / "rpst-gone")),
        "OCI_RESOURCE_PRINCIPAL_RPST names",
    ),
    (
        "resource principal garbled token",
        lambda k: _rp(k, OCI_RESOURCE_PRINCIPAL_RPST="garbage"),
        "is not a valid security token; check OCI_RESOURCE_PRINCIPAL_RPST",
    ),
    (
        "workload identity outside Kubernetes",
        lambda k: {"OCI_OPENAI_AUTH": "workload_identity"},
        "KUBERNETES_SERVICE_HOST is not set",
    ),
    (
        "workload identity token file missing",
        lambda k: {
            "OCI_OPENAI_AUTH": "workload_identity",
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH": str(k.root / "sa-gone"),
        },
        "set OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH",
    ),
    ("unreachable instance metadata", _silent_metadata, "did not answer within 1 s"),
    (
        "compartment not an OCID",
        lambda k: _api(k, OCI_OPENAI_COMPARTMENT_ID="my-compartment"),
        "OCI_OPENAI_COMPARTMENT_ID is not an OCID",
    ),
    ("unknown region", lambda k: _api(k, OCI_OPENAI_REGION="mars-1"), "is not an OCI region"),
    ("malformed OCI_OPENAI_HOSTS", lambda k: _api(k, OCI_OPENAI_HOSTS="http://x.com"), "OCI_OPENAI_HOSTS"),
    ("malformed OCI_OPENAI_MODEL_MAP", lambda k: _api(k, OCI_OPENAI_MODEL_MAP="gpt-4o"), "is not legacy=oci"),
    (
        "malformed OCI_OPENAI_AUTH_TIMEOUT",
        lambda k: {**_rp(k), "OCI_OPENAI_AUTH_TIMEOUT": "soon"},
        "OCI_OPENAI_AUTH_TIMEOUT='soon' is not a number of seconds",
    ),
    (
        "no project or compartment for Generative AI",
        lambda k: _api(k, OCI_OPENAI_COMPARTMENT_ID=""),
        "OCI_OPENAI_PROJECT_ID is not set",
    ),
    (
        "an OpenAI project id for Generative AI",
        lambda k: _api(k, OCI_OPENAI_PROJECT_ID="proj_abc123"),
        "OCI_OPENAI_PROJECT_ID is not a Generative AI Project OCID",
    ),
    (
        "model deployment not an OCID",
        lambda k: _api(k, OCI_OPENAI_MODEL_DEPLOYMENT_ID="ocid1.datasciencemodel.oc1.iad.notadeployment"),
        "OCI_OPENAI_MODEL_DEPLOYMENT_ID is not a model deployment OCID",
    ),
    (
        "model deployment in another region than OCI_OPENAI_REGION",
        lambda k: _api(
            k,
            OCI_OPENAI_MODEL_DEPLOYMENT_ID="ocid1.datasciencemodeldeployment.oc1.iad.aaaa",
            OCI_OPENAI_REGION="us-chicago-1",
        ),
        "is a deployment in us-ashburn-1, but OCI_OPENAI_REGION is us-chicago-1",
    ),
    (
        "model deployment OCID with no region, and no OCI_OPENAI_REGION",
        lambda k: _api(k, OCI_OPENAI_MODEL_DEPLOYMENT_ID="ocid1.datasciencemodeldeployment.oc1..aaaa"),
        "OCI_OPENAI_MODEL_DEPLOYMENT_ID names no region the oci SDK knows; set OCI_OPENAI_REGION",
    ),
    (
        "unknown deployment routing",
        lambda k: _api(k, OCI_OPENAI_DEPLOYMENT_ROUTING="headers"),
        "OCI_OPENAI_DEPLOYMENT_ROUTING='headers' is not a deployment routing mode; use one of path, header, off",
    ),
    (
        "openai's project variable holds an OpenAI project",
        lambda k: _api(k, OCI_OPENAI_COMPARTMENT_ID="", OPENAI_PROJECT_ID="proj_abc123"),
        "OPENAI_PROJECT_ID is not a Generative AI Project OCID",
    ),
]


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    root = tmp_path_factory.mktemp("badconfig")
    verifier = SignatureVerifier()
    api = make_api_key_profile(root / "api", verifier)
    session = make_session_profile(root / "session", verifier)
    rp = make_resource_principal_files(root / "rp", verifier)
    secrets = [
        Path(api.key_file).read_text(encoding="utf-8").splitlines()[5],
        Path(session.key_file).read_text(encoding="utf-8").splitlines()[5],
        session.token.split(".")[1][:40],
        rp.token.split(".")[1][:40],
        PASS_PHRASE,
        "wrong-phrase",
    ]
    result = Kit(root, api.config_file, api.key_file, session.config_file, session.token_file, rp.environ(), secrets)
    yield result
    for listener in result.__dict__.get("listeners", []):
        listener.close()


def _run_case(kit: Kit, case: Case) -> tuple[str, str, str, int]:
    import subprocess
    import sys

    name, setup, _ = case
    env = clean_env(OCI_OPENAI_COMPARTMENT_ID=COMPARTMENT)
    env.update(setup(kit))
    env = {k: v for k, v in env.items() if v != ""}
    result = subprocess.run(
        [sys.executable, "-c", NETWORK_GUARD + PROGRAM], env=env, capture_output=True, text=True, timeout=120
    )
    return name, result.stdout, result.stderr, result.returncode


@pytest.fixture(scope="module")
def outcomes(kit: Kit) -> dict[str, tuple[str, str, int]]:
    # Fresh interpreters cost a second each: run the matrix four at a time.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: _run_case(kit, case), CASES))
    return {name: (out, err, code) for name, out, err, code in results}


def test_the_matrix_is_large_enough() -> None:
    assert len(CASES) >= 25 and len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "fragment"), [(name, fragment) for name, _, fragment in CASES])
def test_bad_configuration_case(name: str, fragment: str, outcomes: dict[str, tuple[str, str, int]], kit: Kit) -> None:
    out, err, code = outcomes[name]
    assert code == 0 and out.startswith("STARTED"), err[-2000:]  # the host program started and ran
    lines = out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("ERROR "), out
    message = lines[1]
    assert message.split()[1] in ("ConfigurationError", "CredentialsError"), message
    assert fragment in message, message
    assert "Traceback" not in err and "network-guard:" not in err
    for secret in kit.secrets:
        assert secret not in out and secret not in err, f"{name}: a secret was printed or logged"
