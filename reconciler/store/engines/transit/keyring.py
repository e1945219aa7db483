"""A transit key: its type, its versions and the rules on which versions may be used.

Stored as one JSON document per key (`policy/<name>` in the mount's view, so the barrier
encrypts it like every other entry). Symmetric material is base64; asymmetric material is a
PKCS#8 PEM. Every version also carries its own HMAC key, as Vault's does, so `hmac/<name>`
works for every key type.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from reconciler.store.errors import BadRequest

KeyType = Literal[
    "aes128-gcm96",
    "aes256-gcm96",
    "chacha20-poly1305",
    "ed25519",
    "ecdsa-p256",
    "ecdsa-p384",
    "ecdsa-p521",
    "rsa-2048",
    "rsa-3072",
    "rsa-4096",
    "hmac",
]
KEY_TYPES: tuple[str, ...] = get_args(KeyType)
SYMMETRIC: frozenset[str] = frozenset({"aes128-gcm96", "aes256-gcm96", "chacha20-poly1305"})
SIGNING: frozenset[str] = frozenset(
    {"ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048", "rsa-3072", "rsa-4096"}
)
# What `keys/<name>` shows as each asymmetric version's `name`, as Vault does.
_PUBLIC_NAMES = {
    "ed25519": "ed25519",
    "ecdsa-p256": "P-256",
    "ecdsa-p384": "P-384",
    "ecdsa-p521": "P-521",
    "rsa-2048": "rsa-2048",
    "rsa-3072": "rsa-3072",
    "rsa-4096": "rsa-4096",
}
_CURVES = {"ecdsa-p256": ec.SECP256R1, "ecdsa-p384": ec.SECP384R1, "ecdsa-p521": ec.SECP521R1}
FORMAT_VERSION = 1


def check_type(value: str) -> str:
    """The key type, or a 400 naming it, as Vault words it."""
    if value not in KEY_TYPES:
        raise BadRequest(f"unknown key type {value}")
    return value


@dataclass
class KeyVersion:
    """One version of a key: its material, its HMAC key and when it was made (unix seconds)."""

    material: str
    hmac_key: str
    created: int

    def secret_bytes(self) -> bytes:
        """Symmetric (and `hmac`-type) material as bytes."""
        return base64.b64decode(self.material)

    def private_key(self) -> Any:
        """The asymmetric private key object (ed25519, EC or RSA)."""
        return serialization.load_pem_private_key(self.material.encode(), password=None)


def new_version(key_type: str, key_size: int = 0) -> KeyVersion:
    """Fresh material for one version of a key of `key_type`."""
    hmac_key = base64.b64encode(os.urandom(32)).decode()
    now = int(time.time())
    if key_type in SYMMETRIC or key_type == "hmac":
        size = 16 if key_type == "aes128-gcm96" else (key_size or 32)
        return KeyVersion(base64.b64encode(os.urandom(size)).decode(), hmac_key, now)
    private: Any
    if key_type == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    elif key_type in _CURVES:
        private = ec.generate_private_key(_CURVES[key_type]())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[4:]))
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return KeyVersion(pem.decode(), hmac_key, now)


@dataclass
class TransitKey:
    """A named key and its versions.

    Invariants: `versions` holds every version from `min_available_version` (or 1) to
    `latest_version`; `min_decryption_version` ≥ 1; `exportable` and
    `allow_plaintext_backup` never go back to false once true.
    """

    name: str
    type: str
    versions: dict[int, KeyVersion] = field(default_factory=dict)
    latest_version: int = 0
    min_decryption_version: int = 1
    min_encryption_version: int = 0
    deletion_allowed: bool = False
    exportable: bool = False
    allow_plaintext_backup: bool = False
    derived: bool = False
    convergent_encryption: bool = False
    auto_rotate_period: int = 0

    @property
    def supports_encryption(self) -> bool:
        """True for the symmetric cipher types and RSA (OAEP), as in Vault."""
        return self.type in SYMMETRIC or self.type.startswith("rsa-")

    @property
    def supports_signing(self) -> bool:
        """True for the asymmetric types."""
        return self.type in SIGNING

    def rotate(self, key_size: int = 0) -> None:
        """Add a new latest version."""
        self.latest_version += 1
        self.versions[self.latest_version] = new_version(self.type, key_size)

    def version_for_encryption(self, requested: int = 0) -> int:
        """The version to encrypt or sign with: `requested` (0 = latest), within the rules."""
        version = requested or self.latest_version
        if version > self.latest_version or version < max(self.min_encryption_version, 1):
            raise BadRequest("requested version for encryption is not valid")
        return version

    def version_for_decryption(self, version: int) -> KeyVersion:
        """The material of `version` for decrypting or verifying, refused below the minimum."""
        if version < self.min_decryption_version:
            raise BadRequest("ciphertext or signature version is disallowed by policy (too old)")
        found = self.versions.get(version)
        if found is None:
            raise BadRequest("invalid key version")
        return found

    def to_storage(self) -> dict[str, Any]:
        """The stored form (material included: the barrier encrypts it)."""
        return {
            "v": FORMAT_VERSION,
            "name": self.name,
            "type": self.type,
            "versions": {
                str(n): {"material": kv.material, "hmac_key": kv.hmac_key, "created": kv.created}
                for n, kv in self.versions.items()
            },
            "latest_version": self.latest_version,
            "min_decryption_version": self.min_decryption_version,
            "min_encryption_version": self.min_encryption_version,
            "deletion_allowed": self.deletion_allowed,
            "exportable": self.exportable,
            "allow_plaintext_backup": self.allow_plaintext_backup,
            "derived": self.derived,
            "convergent_encryption": self.convergent_encryption,
            "auto_rotate_period": self.auto_rotate_period,
        }

    @classmethod
    def from_storage(cls, doc: dict[str, Any]) -> TransitKey:
        """Decode the stored form."""
        versions = {int(n): KeyVersion(**kv) for n, kv in doc["versions"].items()}
        fields = {k: v for k, v in doc.items() if k not in {"v", "versions"}}
        return cls(versions=versions, **fields)

    def public_view(self) -> dict[str, Any]:
        """What `GET keys/<name>` answers: settings and, per usable version, a time or a
        public key (never private material)."""
        keys: dict[str, Any] = {}
        for number in sorted(self.versions):
            if number < self.min_decryption_version:
                continue
            version = self.versions[number]
            keys[str(number)] = (
                self._public_entry(version) if self.supports_signing else version.created
            )
        view: dict[str, Any] = {
            "allow_plaintext_backup": self.allow_plaintext_backup,
            "auto_rotate_period": self.auto_rotate_period,
            "deletion_allowed": self.deletion_allowed,
            "derived": self.derived,
            "exportable": self.exportable,
            "imported_key": False,
            "keys": keys,
            "latest_version": self.latest_version,
            "min_available_version": 0,
            "min_decryption_version": self.min_decryption_version,
            "min_encryption_version": self.min_encryption_version,
            "name": self.name,
            "soft_deleted": False,
            "supports_decryption": self.supports_encryption,
            "supports_derivation": self.type in SYMMETRIC or self.type == "ed25519",
            "supports_encryption": self.supports_encryption,
            "supports_signing": self.supports_signing,
            "type": self.type,
        }
        if self.derived:
            view["kdf"] = "hkdf_sha256"
            view["convergent_encryption"] = self.convergent_encryption
        return view

    def _public_entry(self, version: KeyVersion) -> dict[str, Any]:
        public = version.private_key().public_key()
        if self.type == "ed25519":
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            text = base64.b64encode(raw).decode()
        else:
            text = public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode()
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(version.created))
        return {
            "certificate_chain": "",
            "creation_time": created,
            "name": _PUBLIC_NAMES[self.type],
            "public_key": text,
        }
