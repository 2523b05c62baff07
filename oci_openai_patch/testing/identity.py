"""Loopback fakes of the services OCI's security-token principals talk to.

- :class:`FakeInstanceIdentity`: instance metadata (``/opc/v2``: region, leaf
  certificate and key, intermediate) and the X.509 federation endpoint (``/v1/x509``)
  in one server. Federation requests must carry a valid ``fed-x509`` signature made
  with the leaf key; the token it issues is bound to the session public key the
  client sent, so the :class:`~oci_openai_patch.testing.server.OciTestEndpoint`
  sharing its :class:`TokenIssuer` accepts exactly the requests signed with that key.
- :class:`FakeProxymux`: the OKE workload-identity proxymux over TLS, checking the
  service-account bearer token and answering with a base64 document holding the token.

Both count their token requests, can delay them (to measure event-loop stalls) and can
fail them (to exercise bounded, clear failures).
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.x509.oid import NameOID

from ._http import LoopbackHandler, LoopbackHTTPServer
from .ports import ExclusivePort
from .profiles import TEST_REGION, fake_ocid
from .tls import TestCertificateAuthority
from .verify import SignatureVerifier, TokenIssuer, VerificationError

#: (status, headers, body) as a fake service answers.
Reply = tuple[int, dict[str, str], bytes]
Handler = Callable[[str, str, dict[str, str], bytes], Reply]


def _json_reply(status: int, payload: dict[str, Any]) -> Reply:
    return status, {"content-type": "application/json"}, json.dumps(payload).encode()


def _public_key_from_field(text: str) -> rsa.RSAPublicKey:
    """The session public key as OCI token requests send it: PEM body without armour."""
    pem = "-----BEGIN PUBLIC KEY-----\n" + text.strip() + "\n-----END PUBLIC KEY-----\n"
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationError("The session public key is not RSA")
    return key


class _LoopbackService:
    """A threaded HTTP(S) server on a loopback address, routing to one handler."""

    def __init__(self, handler: Handler, *, host: str, port: int, ssl_context: ssl.SSLContext | None) -> None:
        service = self

        class RequestHandler(LoopbackHandler):
            def _handle(self) -> None:
                headers, body = self.read_request()
                status, reply_headers, data = service._handler(self.command, self.path, headers, body)
                self.send_response(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        self._handler = handler
        self._server = LoopbackHTTPServer((host, port), RequestHandler)
        self._server.daemon_threads = True
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if ssl_context is not None else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, name="oci-fake-identity", daemon=True)

    @property
    def origin(self) -> str:
        address, port = str(self._server.server_address[0]), self._server.server_address[1]
        return f"{self.scheme}://{address}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class TokenService:
    """What the fakes share: token lifetime, delay, injected failures, and counters."""

    issuer: TokenIssuer
    token_ttl: float = 3600.0
    delay: float = 0.0
    failures: list[int] = field(default_factory=list)
    token_requests: int = 0
    issued: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` token requests with ``status``."""
        with self.lock:
            self.failures.extend([status] * count)

    def _begin(self) -> int | None:
        with self.lock:
            self.token_requests += 1
            failure = self.failures.pop(0) if self.failures else None
        if self.delay:
            time.sleep(self.delay)
        return failure

    def _issue(self, public_key: rsa.RSAPublicKey, **claims: Any) -> str:
        token = self.issuer.issue(public_key, ttl=self.token_ttl, **claims)
        with self.lock:
            self.issued.append(token)
        return token


class FakeInstanceIdentity(TokenService):
    """Instance metadata plus X.509 federation, on one loopback port."""

    def __init__(self, issuer: TokenIssuer, *, region: str = TEST_REGION, token_ttl: float = 3600.0) -> None:
        super().__init__(issuer=issuer, token_ttl=token_ttl)
        self.region = region
        self.tenancy_id = fake_ocid("tenancy")
        authority = TestCertificateAuthority("oci-openai-patch test instance CA")
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, fake_ocid("instance")),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "opc-instance:" + fake_ocid("instance")),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "opc-tenant:" + self.tenancy_id),
            ]
        )
        self.leaf = authority.issue(subject)
        self.intermediate_pem = authority.certificate_pem
        fingerprint = ":".join(f"{b:02X}" for b in self.leaf.certificate.fingerprint(SHA1()))
        self._federation_verifier = SignatureVerifier(issuer)
        self._federation_verifier.register_key(
            f"{self.tenancy_id}/fed-x509/{fingerprint}", self.leaf.private_key.public_key()
        )
        self.metadata_requests = 0
        self._service = _LoopbackService(self._handle, host="127.0.0.1", port=0, ssl_context=None)

    @property
    def metadata_base_url(self) -> str:
        """The value for ``OCI_METADATA_BASE_URL``."""
        return self._service.origin + "/opc/v2"

    @property
    def federation_endpoint(self) -> str:
        """The value for ``federation_endpoint=`` / ``OCI_OPENAI_FEDERATION_ENDPOINT``."""
        return self._service.origin + "/v1/x509"

    def __enter__(self) -> FakeInstanceIdentity:
        self._service.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._service.stop()

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path.startswith("/opc/v2/"):
            return self._metadata(method, path, headers)
        if method == "POST" and path == "/v1/x509":
            return self._federate(path, headers, body)
        return _json_reply(404, {"code": "NotFound", "message": path})

    def _metadata(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        with self.lock:
            self.metadata_requests += 1
        if headers.get("authorization") != "Bearer Oracle":
            return _json_reply(401, {"code": "NotAuthenticated", "message": "metadata v2 needs Bearer Oracle"})
        documents = {
            "/opc/v2/instance/region": self.region.encode(),
            "/opc/v2/identity/cert.pem": self.leaf.certificate_pem,
            "/opc/v2/identity/key.pem": self.leaf.private_key_pem,
            "/opc/v2/identity/intermediate.pem": self.intermediate_pem,
        }
        if method != "GET" or path not in documents:
            return _json_reply(404, {"code": "NotFound", "message": path})
        return 200, {"content-type": "text/plain"}, documents[path]

    def _federate(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        failure = self._begin()
        if failure is not None:
            return _json_reply(failure, {"code": "InjectedFailure", "message": f"injected {failure}"})
        try:
            self._federation_verifier.verify("POST", path, headers, body, required_headers=("date", "(request-target)"))
            request = json.loads(body)
            if request.get("certificate", "").replace("\n", "") not in self.leaf.certificate_pem.decode().replace(
                "\n", ""
            ):
                raise VerificationError("The certificate is not this instance's")
            public_key = _public_key_from_field(request["publicKey"])
        except (VerificationError, ValueError, KeyError) as error:
            return _json_reply(401, {"code": "NotAuthenticated", "message": str(error)})
        return _json_reply(200, {"token": self._issue(public_key, sub=self.tenancy_id, ptype="instance")})


#: The port the SDK always uses for the OKE proxymux.
PROXYMUX_PORT = 12250


class FakeProxymux(TokenService):
    """The OKE workload-identity proxymux: TLS on ``127.0.0.1:12250`` with a test CA.

    The SDK cannot be told another port, so proxymuxes on one machine take turns on it
    (:class:`~oci_openai_patch.testing.ports.ExclusivePort`); ``port=0`` picks a free
    port instead, for tests that talk to it directly.
    """

    def __init__(
        self,
        issuer: TokenIssuer,
        directory: Path,
        *,
        service_account_token: str | None = None,
        token_ttl: float = 3600.0,
        port: int = PROXYMUX_PORT,
    ) -> None:
        super().__init__(issuer=issuer, token_ttl=token_ttl)
        #: A Kubernetes-style service-account JWT (the SDK checks its expiry before use).
        self.service_account_token = service_account_token or issuer.issue_claims(
            86400.0, sub="system:serviceaccount:default:app"
        )
        directory.mkdir(parents=True, exist_ok=True)
        authority = TestCertificateAuthority("oci-openai-patch test cluster CA")
        self.ca_file = str(authority.write_certificate(directory / "cluster-ca.crt"))
        self._context = authority.server_context(directory, "127.0.0.1")
        self._port = port
        self._turn = ExclusivePort(port, "the OKE workload-identity tests") if port else None
        self._service: _LoopbackService | None = None

    def __enter__(self) -> FakeProxymux:
        if self._turn is not None:
            self._turn.__enter__()
        try:
            self._service = _LoopbackService(self._handle, host="127.0.0.1", port=self._port, ssl_context=self._context)
        except OSError as error:
            if self._turn is not None:
                self._turn.__exit__(None, None, None)
                raise self._turn.refuse_taken(error) from None
            raise
        self._service.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._service is not None:
            self._service.stop()
            self._service = None
        if self._turn is not None:
            self._turn.__exit__(None, None, None)

    @property
    def origin(self) -> str:
        """``https://127.0.0.1:<port>`` while running."""
        if self._service is None:
            raise RuntimeError("the proxymux is not running; use it as a context manager")
        return self._service.origin

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if method != "POST" or path != "/resourcePrincipalSessionTokens":
            return _json_reply(404, {"code": "NotFound", "message": path})
        failure = self._begin()
        if failure is not None:
            return _json_reply(failure, {"code": "InjectedFailure", "message": f"injected {failure}"})
        if headers.get("authorization") != "Bearer " + self.service_account_token:
            return _json_reply(401, {"code": "NotAuthenticated", "message": "bad service account token"})
        try:
            public_key = _public_key_from_field(json.loads(body)["podKey"])
        except (VerificationError, ValueError, KeyError) as error:
            return _json_reply(400, {"code": "InvalidParameter", "message": str(error)})
        token = self._issue(public_key, ptype="workload")
        document = json.dumps({"token": "ST$" + token}).encode()
        return 200, {"content-type": "application/json"}, base64.b64encode(document)
