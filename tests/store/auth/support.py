"""Real parts for auth-method tests: backends on real storage, keys, and loopback servers.

The HTTP servers stand in for what cannot run here (an OpenID provider's JWKS and discovery
document, the Kubernetes TokenReview API); they speak the real wire formats over a real
loopback socket.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from reconciler.store.framework import Backend, MountContext, MountEntry, SystemView
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.memory import MemoryStorage
from reconciler.store.storage.view import StorageView

SYSTEM_TTL = 2764800


@dataclass
class Mounted:
    """A backend mounted at `auth/<path>` on its own MemoryStorage."""

    backend: Backend
    storage: MemoryStorage
    path: str

    def call(
        self, op: Operation, rel: str, data: dict[str, Any] | None = None, addr: str = "127.0.0.1"
    ) -> Response | None:
        """Send one request through the backend's own routing."""
        req = Request(op, f"auth/{self.path}{rel}", dict(data or {}), remote_addr=addr)
        return self.backend.handle(req, rel)

    def write(self, rel: str, addr: str = "127.0.0.1", **data: Any) -> Response | None:
        """An UPDATE (POST) request."""
        return self.call(Operation.UPDATE, rel, data, addr)

    def read(self, rel: str) -> Response | None:
        """A READ (GET) request."""
        return self.call(Operation.READ, rel)

    def raw_values(self) -> list[bytes]:
        """Every value the backend stored (to prove what is, and is not, kept)."""
        view = StorageView(self.storage, "")
        return [self.storage.get(key) or b"" for key in view.walk("")]


def mount(cls: type[Backend], path: str | None = None) -> Mounted:
    """Mount `cls` at `auth/<path>/` with a fresh in-memory storage view."""
    path = path or f"{cls.type_name}/"
    storage = MemoryStorage()
    entry = MountEntry(
        path=path,
        type=cls.type_name,
        accessor=f"auth_{cls.type_name}_{uuid.uuid4().hex[:8]}",
        uuid=str(uuid.uuid4()),
        mount_class="auth",
    )
    ctx = MountContext(
        storage=StorageView(storage, f"auth/{entry.uuid}/"),
        mount=entry,
        system=SystemView(entry, SYSTEM_TTL, SYSTEM_TTL),
    )
    return Mounted(cls(ctx), storage, path)


# -- keys and tokens -----------------------------------------------------------------------


@dataclass
class SigningKey:
    """A private key with its key ID and algorithm; signs real JWTs."""

    private: Any
    kid: str
    alg: str

    def public_pem(self) -> str:
        """The public key as PEM."""
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK with kid, alg and use."""
        algo = RSAAlgorithm if self.alg.startswith(("RS", "PS")) else ECAlgorithm
        doc = algo.to_jwk(self.private.public_key(), as_dict=True)
        return {**doc, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        """A compact JWS of `claims` with this key (kid header set unless overridden)."""
        header = {"kid": self.kid, **headers}
        return jwt.encode(claims, self.private, algorithm=self.alg, headers=header)


def rsa_key(kid: str = "rsa-1", alg: str = "RS256") -> SigningKey:
    """A fresh 2048-bit RSA key."""
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid, alg)


def ec_key(kid: str = "ec-1") -> SigningKey:
    """A fresh P-256 key for ES256."""
    return SigningKey(ec.generate_private_key(ec.SECP256R1()), kid, "ES256")


def unsigned_token(claims: dict[str, Any]) -> str:
    """A token with `alg: none` and an empty signature, as an attacker would send."""

    def part(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# -- loopback HTTP servers -------------------------------------------------------------------


@dataclass
class LoopbackServer:
    """A real HTTP server on 127.0.0.1 whose answers the test sets per path.

    `routes` maps a path to a callable (method, headers, body) -> (status, JSON document);
    `hits` records each request's (method, path, headers, body).
    """

    routes: dict[str, Any] = field(default_factory=dict)
    hits: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    url: str = ""

    def count(self, path: str) -> int:
        """How many requests reached `path`."""
        return sum(1 for _, p, _, _ in self.hits if p == path)


def _handler_for(state: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.hits.append((method, self.path, headers, body))
            route = state.routes.get(self.path)
            status, doc = route(method, headers, body) if route else (404, {"error": "nope"})
            payload = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


@dataclass
class TLSFiles:
    """A CA (PEM, for the client to trust) and a server certificate for 127.0.0.1 it signed."""

    ca_pem: str
    cert_path: Path
    key_path: Path


def _cert(subject: str, key: Any, issuer: x509.Name, issuer_key: Any, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_tls(folder: Path) -> TLSFiles:
    """A fresh CA and a 127.0.0.1 server certificate, written under `folder`."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test cluster CA")])
    ca = _cert("test cluster CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("127.0.0.1", key, ca_name, ca_key, ca=False)
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TLSFiles(ca.public_bytes(serialization.Encoding.PEM).decode(), cert_path, key_path)


@contextmanager
def loopback_server(tls: TLSFiles | None = None) -> Iterator[LoopbackServer]:
    """Run a LoopbackServer on a free port (HTTPS when `tls` is given) for the block."""
    state = LoopbackServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert_path, tls.key_path)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
