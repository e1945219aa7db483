"""Vault's names for hash algorithms (`sha2-256`) and hashlib's (`sha256`), in one table for
sys/tools/hash and the transit engine's HMACs."""

from __future__ import annotations

from typing import Final

HASHLIB_NAMES: Final[dict[str, str]] = {
    "sha1": "sha1",
    "sha2-224": "sha224",
    "sha2-256": "sha256",
    "sha2-384": "sha384",
    "sha2-512": "sha512",
    "sha3-224": "sha3_224",
    "sha3-256": "sha3_256",
    "sha3-384": "sha3_384",
    "sha3-512": "sha3_512",
}
"""Every algorithm Vault names; sys/tools/hash leaves out `sha1`, as Vault does."""
