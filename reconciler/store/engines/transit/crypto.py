"""The cryptography of the transit engine, every primitive from `cryptography`.

Ciphertexts, signatures and HMACs travel in Vault's form `vault:v<version>:<base64>`; a
ciphertext's base64 holds the 12-byte nonce followed by the AEAD output. Derived keys come
from HKDF-SHA256 over the version's key with the caller's context (Vault's `hkdf_sha256`);
convergent encryption takes its nonce from an HMAC of the plaintext under the derived key.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from reconciler.store.engines.transit.keyring import KeyVersion, TransitKey
from reconciler.store.errors import BadRequest
from reconciler.store.hash_names import HASHLIB_NAMES

NONCE_SIZE = 12
HASHES: dict[str, Any] = {
    "sha1": hashes.SHA1,
    "sha2-224": hashes.SHA224,
    "sha2-256": hashes.SHA256,
    "sha2-384": hashes.SHA384,
    "sha2-512": hashes.SHA512,
    "sha3-224": hashes.SHA3_224,
    "sha3-256": hashes.SHA3_256,
    "sha3-384": hashes.SHA3_384,
    "sha3-512": hashes.SHA3_512,
}


# Vault's RSA encryption: OAEP with SHA-256 and no label.
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def b64decode(value: str, what: str) -> bytes:
    """Strict standard base64, or a 400 naming the field."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"unable to decode {what} as base64") from None


def frame(version: int, payload: bytes) -> str:
    """`vault:v<version>:<base64>`."""
    return f"vault:v{version}:{base64.b64encode(payload).decode()}"


def unframe(value: str, what: str = "ciphertext") -> tuple[int, bytes]:
    """Split `vault:vN:<base64>` into the version and the bytes, with Vault's messages."""
    if not value.startswith("vault:"):
        raise BadRequest(f"invalid {what}: no prefix")
    parts = value.split(":", 2)
    if len(parts) != 3 or not parts[1].startswith("v") or not parts[1][1:].isdigit():
        raise BadRequest(f"invalid {what}: wrong number of fields")
    try:
        payload = base64.b64decode(parts[2], validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"invalid {what}: could not decode base64") from None
    return int(parts[1][1:]), payload


def _context_key(key: TransitKey, version: KeyVersion, context: bytes) -> bytes:
    material = version.secret_bytes()
    if not key.derived:
        return material
    if not context:
        raise BadRequest(
            "missing 'context' for key derivation; the key was created using a derived key, "
            "which means additional, per-request information must be included in order to "
            "perform operations with the key"
        )
    return HKDF(algorithm=hashes.SHA256(), length=len(material), salt=None, info=context).derive(
        material
    )


def _aead(key: TransitKey, secret: bytes) -> AESGCM | ChaCha20Poly1305:
    return ChaCha20Poly1305(secret) if key.type == "chacha20-poly1305" else AESGCM(secret)


def encrypt(key: TransitKey, version: int, plaintext: bytes, context: bytes = b"") -> str:
    """Encrypt with one version; convergent keys derive their nonce from the plaintext."""
    if not key.supports_encryption:
        raise BadRequest(f"message encryption not supported for key type {key.type}")
    if key.type.startswith("rsa-"):
        public = key.versions[version].private_key().public_key()
        return frame(version, public.encrypt(plaintext, _OAEP))
    secret = _context_key(key, key.versions[version], context)
    if key.convergent_encryption:
        nonce = hmac.digest(secret, plaintext, "sha256")[:NONCE_SIZE]
    else:
        nonce = os.urandom(NONCE_SIZE)
    return frame(version, nonce + _aead(key, secret).encrypt(nonce, plaintext, None))


def decrypt(key: TransitKey, ciphertext: str, context: bytes = b"") -> bytes:
    """Decrypt a `vault:vN:` ciphertext, refusing versions below `min_decryption_version`."""
    if not key.supports_encryption:
        raise BadRequest(f"message decryption not supported for key type {key.type}")
    number, payload = unframe(ciphertext)
    if key.type.startswith("rsa-"):
        private = key.version_for_decryption(number).private_key()
        try:
            return bytes(private.decrypt(payload, _OAEP))
        except ValueError:
            raise BadRequest("failed to RSA decrypt the ciphertext: decryption error") from None
    secret = _context_key(key, key.version_for_decryption(number), context)
    if len(payload) <= NONCE_SIZE:
        raise BadRequest("invalid ciphertext: too short")
    try:
        return _aead(key, secret).decrypt(payload[:NONCE_SIZE], payload[NONCE_SIZE:], None)
    except InvalidTag:
        raise BadRequest("cipher: message authentication failed") from None


def hmac_of(key: TransitKey, version: int, data: bytes, algorithm: str) -> str:
    """HMAC of `data` with the version's HMAC key (the material itself for `hmac` keys)."""
    digest = HASHLIB_NAMES.get(algorithm)
    if digest is None:
        raise BadRequest(f"unsupported algorithm {algorithm}")
    kv = key.versions[version]
    secret = kv.secret_bytes() if key.type == "hmac" else base64.b64decode(kv.hmac_key)
    return frame(version, hmac.digest(secret, data, digest))


def verify_hmac(key: TransitKey, data: bytes, given: str, algorithm: str) -> bool:
    """True when `given` is the HMAC of `data` for its version."""
    number, _ = unframe(given, "hmac")
    key.version_for_decryption(number)
    return hmac.compare_digest(hmac_of(key, number, data, algorithm), given)


def _digest(data: bytes, algorithm: str, prehashed: bool) -> tuple[bytes, Any]:
    hash_class = HASHES.get(algorithm)
    if hash_class is None:
        raise BadRequest(f"unsupported hash algorithm {algorithm}")
    if prehashed:
        return data, utils.Prehashed(hash_class())
    digest = hashes.Hash(hash_class())
    digest.update(data)
    return digest.finalize(), utils.Prehashed(hash_class())


def _rsa_padding(signature_algorithm: str, hash_class: Any, *, signing: bool) -> Any:
    if signature_algorithm == "pkcs1v15":
        return padding.PKCS1v15()
    if signature_algorithm == "pss":
        # Go's PSSSaltLengthAuto: the longest salt when signing, any length when verifying.
        salt = padding.PSS.MAX_LENGTH if signing else padding.PSS.AUTO
        return padding.PSS(mgf=padding.MGF1(hash_class), salt_length=salt)
    raise BadRequest(f"unsupported rsa signature algorithm {signature_algorithm}")


def sign(
    key: TransitKey,
    version: int,
    data: bytes,
    *,
    algorithm: str = "sha2-256",
    signature_algorithm: str = "pss",
    prehashed: bool = False,
) -> str:
    """Sign `data` (hashed here unless `prehashed`; ed25519 signs the message itself)."""
    if not key.supports_signing:
        raise BadRequest(f"key type {key.type} does not support signing")
    private = key.versions[version].private_key()
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return frame(version, private.sign(data))
    digest, prehash = _digest(data, algorithm, prehashed)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return frame(version, private.sign(digest, ec.ECDSA(prehash)))
    assert isinstance(private, rsa.RSAPrivateKey)
    pad = _rsa_padding(signature_algorithm, HASHES[algorithm](), signing=True)
    return frame(version, private.sign(digest, pad, prehash))


def verify(
    key: TransitKey,
    data: bytes,
    signature: str,
    *,
    algorithm: str = "sha2-256",
    signature_algorithm: str = "pss",
    prehashed: bool = False,
) -> bool:
    """True when `signature` is valid for `data` under its version's public key."""
    if not key.supports_signing:
        raise BadRequest(f"key type {key.type} does not support verification")
    number, raw = unframe(signature, "signature")
    public = key.version_for_decryption(number).private_key().public_key()
    try:
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(raw, data)
            return True
        digest, prehash = _digest(data, algorithm, prehashed)
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(raw, digest, ec.ECDSA(prehash))
            return True
        assert isinstance(public, rsa.RSAPublicKey)
        pad = _rsa_padding(signature_algorithm, HASHES[algorithm](), signing=False)
        public.verify(raw, digest, pad, prehash)
        return True
    except InvalidSignature:
        return False
