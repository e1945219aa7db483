"""Auto-unseal seals: something outside the store wraps the unseal key, so a restart needs
no human with key shares.

- `transit`: another Vault-API server's transit engine (OpenBao, Vault or Sealkeep) encrypts
  and decrypts the unseal key; configured as Vault's `seal "transit"` block (address, token,
  key_name, mount_path).
- `static`: a 32-byte key the operator keeps outside the store (a file, or hex/base64 in the
  config), as OpenBao's `seal "static"`: for small installs where the key file sits on a
  different disk or secret mount than the data.

A seal with `disabled = "true"` is only the source of a migration back to Shamir shares.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reconciler.store.errors import Unavailable
from reconciler.vocabulary.errors import SealkeepError

_AAD = b"sealkeep auto-unseal key"


class SealConfigError(SealkeepError):
    """A `seal` block that cannot be used; the message names the setting."""


class AutoSeal(Protocol):
    """Wraps and unwraps the unseal key; `disabled` marks a migration source."""

    type_name: str
    disabled: bool

    def wrap(self, data: bytes) -> str:
        """`data` encrypted, as text to store."""
        ...

    def unwrap(self, wrapped: str) -> bytes:
        """What `wrap` was given; Unavailable when the seal cannot be reached."""
        ...


@dataclass
class StaticSeal:
    """AES-256-GCM under a key kept outside the store; `key_id` names it in each wrap."""

    key: bytes
    key_id: str
    previous: dict[str, bytes]
    disabled: bool = False
    type_name: str = "static"

    def wrap(self, data: bytes) -> str:
        """`<key_id>:<base64(nonce + ciphertext)>`."""
        nonce = os.urandom(12)
        sealed = AESGCM(self.key).encrypt(nonce, data, _AAD + self.key_id.encode())
        return f"{self.key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def unwrap(self, wrapped: str) -> bytes:
        """Open a wrap made with the current key or a listed previous one."""
        key_id, _, body = wrapped.partition(":")
        key = self.key if key_id == self.key_id else self.previous.get(key_id)
        if key is None:
            raise Unavailable(f"static seal: no key with id {key_id!r} is configured")
        raw = base64.b64decode(body)
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], _AAD + key_id.encode())
        except InvalidTag:
            raise Unavailable(f"static seal: key {key_id!r} does not open the stored key") from None


@dataclass
class TransitSeal:
    """The transit engine of another server encrypts and decrypts the unseal key."""

    address: str
    token: str
    key_name: str
    mount_path: str = "transit/"
    verify: bool | str = True
    disabled: bool = False
    type_name: str = "transit"

    def _call(self, operation: str, body: dict[str, str]) -> dict[str, object]:
        mount = self.mount_path.strip("/")
        url = f"{self.address.rstrip('/')}/v1/{mount}/{operation}/{self.key_name}"
        try:
            answer = requests.post(
                url,
                json=body,
                headers={"X-Vault-Token": self.token},
                timeout=10,
                verify=self.verify,
            )
        except requests.RequestException as exc:
            raise Unavailable(
                f"transit seal: cannot reach {self.address}: {type(exc).__name__}"
            ) from None
        if answer.status_code != 200:
            raise Unavailable(
                f"transit seal: {operation} at {self.address} answered {answer.status_code}"
            )
        data = answer.json().get("data") or {}
        return dict(data)

    def wrap(self, data: bytes) -> str:
        """The transit ciphertext (`vault:vN:...`) of `data`."""
        result = self._call("encrypt", {"plaintext": base64.b64encode(data).decode()})
        return str(result["ciphertext"])

    def unwrap(self, wrapped: str) -> bytes:
        """Decrypt with the transit key."""
        result = self._call("decrypt", {"ciphertext": wrapped})
        return base64.b64decode(str(result["plaintext"]))


def open_autoseal(kind: str, options: Mapping[str, str]) -> AutoSeal:
    """Build the seal a `seal "<kind>" { ... }` block describes; SealConfigError if it can't."""
    disabled = str(options.get("disabled", "")).lower() in ("1", "true")
    if kind == "transit":
        return _transit(options, disabled)
    if kind == "static":
        return _static(options, disabled)
    raise SealConfigError(f'seal "{kind}" is not supported (use "transit" or "static")')


def _transit(options: Mapping[str, str], disabled: bool) -> TransitSeal:
    known = {
        "address",
        "token",
        "key_name",
        "mount_path",
        "disabled",
        "tls_ca_cert",
        "tls_skip_verify",
        "namespace",
        "disable_renewal",
    }
    _refuse_unknown("transit", options, known)
    token = options.get("token") or os.environ.get("VAULT_TOKEN", "")
    address = options.get("address") or os.environ.get("VAULT_ADDR", "")
    for name, value in (
        ("address", address),
        ("token", token),
        ("key_name", options.get("key_name")),
    ):
        if not value:
            raise SealConfigError(f'seal "transit": {name} is required')
    verify: bool | str = options.get("tls_ca_cert") or True
    if str(options.get("tls_skip_verify", "")).lower() in ("1", "true"):
        verify = False
    return TransitSeal(
        address,
        token,
        str(options["key_name"]),
        options.get("mount_path") or "transit/",
        verify,
        disabled,
    )


def _static(options: Mapping[str, str], disabled: bool) -> StaticSeal:
    _refuse_unknown(
        "static",
        options,
        {"current_key_id", "current_key", "previous_key_id", "previous_key", "disabled"},
    )
    key_id = options.get("current_key_id") or ""
    if not key_id or not options.get("current_key"):
        raise SealConfigError('seal "static": current_key_id and current_key are required')
    previous: dict[str, bytes] = {}
    if options.get("previous_key_id") and options.get("previous_key"):
        previous[str(options["previous_key_id"])] = _key_bytes(str(options["previous_key"]))
    return StaticSeal(_key_bytes(str(options["current_key"])), key_id, previous, disabled)


def _key_bytes(value: str) -> bytes:
    """32 bytes from `file:///path` (raw or hex/base64 text), hex or base64."""
    text = value
    if value.startswith("file://"):
        try:
            raw = Path(value[len("file://") :]).read_bytes()
        except OSError as exc:
            raise SealConfigError(f'seal "static": cannot read {value}: {exc.strerror}') from None
        if len(raw) == 32:
            return raw
        text = raw.decode(errors="replace").strip()
    for decode in (bytes.fromhex, lambda t: base64.b64decode(t, validate=True)):
        try:
            key = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(key) == 32:
            return key
    raise SealConfigError('seal "static": the key must be 32 bytes (raw file, hex or base64)')


def _refuse_unknown(kind: str, options: Mapping[str, str], known: set[str]) -> None:
    unknown = sorted(set(options) - known)
    if unknown:
        raise SealConfigError(f'seal "{kind}" does not accept: {", ".join(unknown)}')
