"""Where JWT signing keys come from: static PEM keys, a JWKS URL, or OIDC discovery.

Remote key sets are fetched with httpx (with a timeout and an optional CA bundle), cached,
re-fetched when they grow old, and refreshed at once when a token names a key ID the cache
does not know (keys rotate) — at most once per `refresh_floor` seconds, so a flood of tokens
with made-up key IDs cannot turn the store into a load generator against the key server.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_public_key

FETCH_TIMEOUT = 10.0
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


class KeySourceError(Exception):
    """A key source could not be read. The message names the URL, never a token."""


def _tls_failure(exc: BaseException) -> bool:
    """True when a transport error was caused by TLS (a certificate httpx would not trust)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class KeySourceUnreachable(KeySourceError):
    """The key source could not be reached at all (network down, DNS, refused, timeout)."""


@dataclass(frozen=True)
class VerificationKey:
    """A public key and, when the JWKS pinned one, the only algorithm it may verify."""

    key: Any
    algorithm: str = ""


class KeySet(Protocol):
    """Candidate keys for a token, chosen by its `kid` header (None = any)."""

    def keys_for(self, kid: str | None) -> list[VerificationKey]:
        """The keys that may have signed a token with this key ID."""
        ...

    def check(self) -> None:
        """Load the keys now; raise KeySourceError when that fails."""
        ...


def load_pem_keys(pems: list[str]) -> list[PublicKeyTypes]:
    """Parse PEM public keys or certificates; ValueError names the bad entry's position."""
    keys: list[PublicKeyTypes] = []
    for index, pem in enumerate(pems):
        data = pem.strip().encode()
        try:
            if b"BEGIN CERTIFICATE" in data:
                keys.append(x509.load_pem_x509_certificate(data).public_key())
            else:
                keys.append(load_pem_public_key(data))
        except ValueError:
            raise ValueError(f"entry {index} is not a PEM public key or certificate") from None
    return keys


def fetch_json(url: str, ca_pem: str = "") -> Any:
    """GET `url` and decode JSON; raise KeySourceError on any transport or format fault."""
    verify: ssl.SSLContext | bool = True
    if ca_pem:
        try:
            verify = ssl.create_default_context(cadata=ca_pem)
        except (ssl.SSLError, ValueError):
            raise KeySourceError("the CA certificate is not valid PEM") from None
    try:
        response = httpx.get(url, verify=verify, timeout=FETCH_TIMEOUT, follow_redirects=False)
        response.raise_for_status()
        return response.json()
    except httpx.HTTPStatusError as exc:
        raise KeySourceError(f"{url} answered HTTP {exc.response.status_code}") from None
    except httpx.TransportError as exc:
        if _tls_failure(exc):  # reachable, but not trusted: a real configuration error
            raise KeySourceError(f"fetching {url} failed: TLS verification failed") from None
        raise KeySourceUnreachable(f"fetching {url} failed: {type(exc).__name__}") from None
    except httpx.HTTPError as exc:
        raise KeySourceError(f"fetching {url} failed: {type(exc).__name__}") from None
    except ValueError:
        raise KeySourceError(f"{url} did not return JSON") from None


def parse_jwks(doc: Any) -> tuple[dict[str, VerificationKey], list[VerificationKey]]:
    """Split a JWKS document into keys by `kid` and keys without one (unusable keys skipped)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise KeySourceError("the JWKS document has no 'keys' list")
    by_kid: dict[str, VerificationKey] = {}
    anonymous: list[VerificationKey] = []
    for item in doc["keys"]:
        if not isinstance(item, dict) or item.get("use", "sig") != "sig":
            continue
        try:
            jwk = jwt.PyJWK(item)
        except jwt.PyJWTError:
            continue  # a key type we cannot use (or a symmetric one) is simply not offered
        if jwk.key_type == "oct":
            continue
        entry = VerificationKey(jwk.key, str(item.get("alg") or ""))
        if jwk.key_id:
            by_kid[jwk.key_id] = entry
        else:
            anonymous.append(entry)
    return by_kid, anonymous


class StaticKeySet:
    """Keys configured as PEM (`jwt_validation_pubkeys`, Kubernetes `pem_keys`): tried in turn."""

    def __init__(self, pems: list[str]) -> None:
        self._keys = [VerificationKey(key) for key in load_pem_keys(pems)]

    def keys_for(self, kid: str | None) -> list[VerificationKey]:
        """Every configured key (PEM keys carry no key ID)."""
        return list(self._keys)

    def check(self) -> None:
        """Nothing to fetch: the PEMs were parsed on construction."""


class RemoteJWKS:
    """A JWKS fetched from a URL, cached for `max_age` seconds and refreshed on unknown `kid`."""

    refresh_floor: ClassVar[float] = 1.0
    max_age: ClassVar[float] = 3600.0

    def __init__(self, url: str, ca_pem: str = "") -> None:
        self.url = url
        self.ca_pem = ca_pem
        self._by_kid: dict[str, VerificationKey] = {}
        self._anonymous: list[VerificationKey] = []
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _jwks_url(self) -> str:
        return self.url

    def _refresh(self) -> None:
        self._by_kid, self._anonymous = parse_jwks(fetch_json(self._jwks_url(), self.ca_pem))
        self._fetched_at = time.monotonic()

    def check(self) -> None:
        """Fetch the key set now."""
        with self._lock:
            self._refresh()

    def keys_for(self, kid: str | None) -> list[VerificationKey]:
        """The key for `kid` (refreshing once if unknown), or every key when `kid` is None."""
        with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = not self._fetched_at or age > self.max_age
            unknown = kid is not None and kid not in self._by_kid and age >= self.refresh_floor
            if stale or unknown:
                self._refresh()
            if kid is None:
                return [*self._by_kid.values(), *self._anonymous]
            found = self._by_kid.get(kid)
            return [found] if found else list(self._anonymous)


class DiscoveredJWKS(RemoteJWKS):
    """The JWKS an OpenID provider advertises at `<issuer>/.well-known/openid-configuration`.

    `issuer` is the one the discovery document states; it must equal the discovery URL, as
    OpenID Connect Discovery requires, so a token's `iss` can be checked against it.
    """

    def __init__(self, discovery_url: str, ca_pem: str = "") -> None:
        super().__init__(discovery_url.rstrip("/"), ca_pem)
        self.issuer = ""
        self._jwks_uri = ""

    def _jwks_url(self) -> str:
        if not self._jwks_uri:
            doc = fetch_json(self.url + DISCOVERY_SUFFIX, self.ca_pem)
            if not isinstance(doc, dict) or not isinstance(doc.get("jwks_uri"), str):
                raise KeySourceError("the discovery document has no 'jwks_uri'")
            issuer = str(doc.get("issuer", "")).rstrip("/")
            if issuer != self.url:
                raise KeySourceError(
                    f"issuer {doc.get('issuer')!r} in the discovery document does not match "
                    f"the discovery URL {self.url!r}"
                )
            self.issuer = str(doc["issuer"])
            self._jwks_uri = doc["jwks_uri"]
        return self._jwks_uri


class CombinedKeySet:
    """Several sources (`jwks_pairs`): a token's key may come from any of them."""

    def __init__(self, sources: list[KeySet]) -> None:
        self.sources = sources

    def keys_for(self, kid: str | None) -> list[VerificationKey]:
        """The union of every source's candidates."""
        return [key for source in self.sources for key in source.keys_for(kid)]

    def check(self) -> None:
        """Check every source."""
        for source in self.sources:
            source.check()


SUPPORTED_ALGS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
_JWS = jwt.PyJWS()


class TokenError(Exception):
    """A token failed verification. The message is safe to show: it never holds the token."""


def verify_signature(token: str, keys: KeySet, allowed_algs: list[str]) -> dict[str, Any]:
    """Check the token's signature against `keys` and return its claims (unchecked).

    Only asymmetric algorithms in `allowed_algs` are accepted, so `alg: none` and HMAC
    key-confusion tokens fail before any key is tried. KeySourceError propagates: it is the
    store's problem, not the caller's.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("malformed token") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in allowed_algs or alg not in SUPPORTED_ALGS:
        raise TokenError("unsupported signing algorithm")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    candidates = [k for k in keys.keys_for(kid) if not k.algorithm or k.algorithm == alg]
    if not candidates:
        raise TokenError("no known key matches the token's key ID")
    for candidate in candidates:
        try:
            payload = _JWS.decode(token, candidate.key, algorithms=[alg])
        except (jwt.PyJWTError, TypeError, ValueError):
            continue
        try:
            claims = json.loads(payload)
        except ValueError:
            raise TokenError("malformed token") from None
        if not isinstance(claims, dict):
            raise TokenError("malformed token")
        return claims
    raise TokenError("invalid signature")
