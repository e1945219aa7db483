"""The `ENC[AES256_GCM,...]` value form: encode, decode and the plaintext bytes of each type.

The byte forms follow sops (Go): ints in decimal, floats as Go's `FormatFloat(v, 'f', -1, 64)`
(shortest round-trip digits, never an exponent), bools as `True`/`False`.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ValueType = Literal["str", "int", "float", "bool", "comment", "bytes", "time"]
Scalar = str | int | float | bool

_IV_SIZE = 32
_TAG_SIZE = 16
_ENC_RE = re.compile(
    r"^ENC\[AES256_GCM,data:(?P<data>[A-Za-z0-9+/=]*),iv:(?P<iv>[A-Za-z0-9+/=]+),"
    r"tag:(?P<tag>[A-Za-z0-9+/=]+),type:(?P<type>[a-z]+)\]$"
)
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


class ValueDecodeError(ValueError):
    """A value is not a well-formed or authentic `ENC[...]` string (message holds no secret)."""


@dataclass(frozen=True, slots=True)
class EncryptedValue:
    """The parts of one `ENC[...]` string; `data` is the ciphertext without the GCM tag."""

    data: bytes
    iv: bytes
    tag: bytes
    type: str

    def render(self) -> str:
        """Serialize in the exact form sops writes."""
        b64 = base64.b64encode
        return (
            f"ENC[AES256_GCM,data:{b64(self.data).decode()},iv:{b64(self.iv).decode()},"
            f"tag:{b64(self.tag).decode()},type:{self.type}]"
        )


def is_encrypted_value(value: object) -> bool:
    """Tell whether `value` is a string in the `ENC[AES256_GCM,...]` form (no key needed)."""
    return isinstance(value, str) and value.startswith("ENC[") and bool(_ENC_RE.match(value))


def match(value: str) -> re.Match[str] | None:
    """The parts of an `ENC[AES256_GCM,...]` string, or None when it does not have that form."""
    return _ENC_RE.match(value)


def parse(value: str) -> EncryptedValue:
    """Split an `ENC[...]` string into its parts."""
    found = _ENC_RE.match(value)
    if found is None:
        raise ValueDecodeError("not an ENC[AES256_GCM,...] value")
    return _parts(found)


def _parts(found: re.Match[str]) -> EncryptedValue:
    data64, iv64, tag64, kind = found.groups()
    try:
        # strict_mode is what base64.b64decode(validate=True) uses.
        data = binascii.a2b_base64(data64, strict_mode=True)
        iv = binascii.a2b_base64(iv64, strict_mode=True)
        tag = binascii.a2b_base64(tag64, strict_mode=True)
    except ValueError as exc:
        raise ValueDecodeError("invalid base64 in an ENC[...] value") from exc
    return EncryptedValue(data, iv, tag, kind)


def format_float(value: float) -> str:
    """Format like Go's `strconv.FormatFloat(v, 'f', -1, 64)`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    # repr gives the shortest round-trip digits; Decimal drops the exponent and a trailing ".0".
    return format(Decimal(repr(value)).normalize(), "f")


def to_bytes(value: Scalar) -> tuple[bytes, ValueType]:
    """The plaintext bytes sops encrypts and hashes for `value`, and its type tag."""
    if isinstance(value, bool):  # before int: bool is an int subclass
        return (b"True" if value else b"False"), "bool"
    if isinstance(value, int):
        return str(int(value)).encode(), "int"
    if isinstance(value, float):
        return format_float(float(value)).encode(), "float"
    if isinstance(value, str):
        return str(value).encode("utf-8"), "str"
    raise TypeError(f"unsupported value type {type(value).__name__}")


def from_bytes(plaintext: bytes, value_type: str) -> Scalar:
    """Turn decrypted bytes back into a Python value according to the `type:` tag."""
    text = plaintext.decode("utf-8", errors="replace")
    if value_type in ("str", "comment", "time", "bytes"):
        # time (3.10+) stays as its RFC3339 text; bytes is a read-only legacy form.
        return text
    if value_type == "int":
        return int(text)
    if value_type == "float":
        return float(text)
    if value_type == "bool":
        if text in _GO_TRUE:
            return True
        if text in _GO_FALSE:
            return False
        raise ValueDecodeError("invalid bool plaintext")
    raise ValueDecodeError(f"unknown value type {value_type!r}")


def cipher_for(key: bytes | AESGCM) -> AESGCM:
    """An AES-256-GCM instance; callers build one per file and pass it to save key setup."""
    return key if isinstance(key, AESGCM) else AESGCM(key)


def encrypt(
    plaintext: bytes, value_type: str, key: bytes | AESGCM, aad: str, iv: bytes | None = None
) -> str:
    """Encrypt one value with AES-256-GCM; a fresh 32-byte IV unless one is given."""
    nonce = os.urandom(_IV_SIZE) if iv is None else iv
    sealed = cipher_for(key).encrypt(nonce, plaintext, aad.encode("utf-8"))
    return EncryptedValue(sealed[:-_TAG_SIZE], nonce, sealed[-_TAG_SIZE:], value_type).render()


def decrypt(value: str, key: bytes | AESGCM, aad: str) -> tuple[bytes, str]:
    """Decrypt one `ENC[...]` string; returns the plaintext bytes and the type tag."""
    found = _ENC_RE.match(value)
    if found is None:
        raise ValueDecodeError("not an ENC[AES256_GCM,...] value")
    return decrypt_match(found, cipher_for(key), aad.encode("utf-8"))


def decrypt_match(found: re.Match[str], cipher: AESGCM, aad: bytes) -> tuple[bytes, str]:
    """`decrypt` for the hot path: a `match` result, the file's cipher and the AAD as bytes."""
    enc = _parts(found)
    try:
        plaintext = cipher.decrypt(enc.iv, enc.data + enc.tag, aad)
    except InvalidTag as exc:
        raise ValueDecodeError("authentication failed (wrong key, tampered value or path)") from exc
    return plaintext, enc.type


def encrypt_scalar(value: Scalar, key: bytes, aad: str) -> str:
    """Encrypt a Python scalar; an empty string stays empty, as in sops."""
    if value == "" and isinstance(value, str):
        return ""
    plaintext, value_type = to_bytes(value)
    return encrypt(plaintext, value_type, key, aad)


def decrypt_scalar(value: str, key: bytes, aad: str) -> Scalar:
    """Decrypt an `ENC[...]` string to its Python value; an empty string stays empty."""
    if value == "":
        return ""
    plaintext, value_type = decrypt(value, key, aad)
    try:
        return from_bytes(plaintext, value_type)
    except ValueError:
        # `from None`: int()/float() errors quote their input, which is the plaintext.
        raise ValueDecodeError(f"plaintext does not fit type {value_type!r}") from None
