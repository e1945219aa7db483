"""The file MAC: SHA-512 over the plaintext of every value in file order, uppercase hex.

Keys are not hashed (the AAD of each value protects them); comments, nulls and empty strings
add nothing. With `mac_only_encrypted` the hash starts with SHA-256("sops") and covers only the
values the selection rule encrypts. The hex digest is stored encrypted like a `str` value with
AAD = the `lastmodified` string exactly as written.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reconciler.gitops.sops import values
from reconciler.gitops.sops.errors import MacMismatchError
from reconciler.gitops.sops.metadata import SopsMetadata
from reconciler.gitops.sops.tree import Leaf

# With mac_only_encrypted the hash starts with these bytes.
MAC_ONLY_ENCRYPTED_PREFIX = hashlib.sha256(b"sops").digest()


def compute(leaves: Iterable[Leaf], mac_only_encrypted: bool) -> str:
    """Hash the plaintext leaves (already decrypted) and return the uppercase hex digest."""
    digest = hashlib.sha512()
    if mac_only_encrypted:
        digest.update(MAC_ONLY_ENCRYPTED_PREFIX)
    for leaf in leaves:
        if mac_only_encrypted and not leaf.encrypted:
            continue
        digest.update(values.to_bytes(leaf.value)[0])
    return digest.hexdigest().upper()


def seal(mac_hex: str, data_key: bytes, lastmodified: str) -> str:
    """Encrypt the MAC with a fresh IV, bound to `lastmodified`."""
    return values.encrypt(mac_hex.encode("ascii"), "str", data_key, lastmodified)


def verify(computed: str, meta: SopsMetadata, data_key: bytes | AESGCM, where: str) -> None:
    """Raise `MacMismatchError` unless the file's stored MAC equals the `computed` hex."""
    try:
        stored = open_mac(meta.mac, data_key, meta.lastmodified)
    except values.ValueDecodeError:
        raise MacMismatchError(
            f"{where}: the MAC cannot be decrypted (tampered MAC or lastmodified)"
        ) from None
    if not hmac.compare_digest(stored.encode(), computed.encode()):
        raise MacMismatchError(f"{where}: MAC mismatch: the file was modified outside sops")


def open_mac(sealed: str, data_key: bytes | AESGCM, lastmodified: str) -> str:
    """Decrypt the stored MAC (raises `values.ValueDecodeError` when it was tampered with)."""
    plaintext, _ = values.decrypt(sealed, data_key, lastmodified)
    return plaintext.decode("ascii", errors="replace")
