"""The barrier: everything the store keeps passes through it, encrypted with AES-256-GCM.

Layout of an encrypted entry: version (1 byte) | key term (4 bytes, big-endian) | nonce (12
bytes) | ciphertext + tag. The additional data is the storage path, so an entry copied to
another path no longer decrypts. Paths stay in clear, as in Vault, so storage can list them.

Key hierarchy: the unseal key (from Shamir shares) wraps the root key at `core/root-key`; the
root key encrypts the keyring at `core/keyring`; the keyring holds one data key per term. Only
the active term encrypts; every term decrypts, so `rotate()` never rewrites data. The seal
configuration at `core/seal-config` is not secret and is stored in clear.

Keys live in `bytearray`s that `seal()` zeroes. Python copies bytes freely (the JSON of the
keyring, AESGCM's own copy), so this is best effort, not a guarantee.
"""

from __future__ import annotations

import base64
import json
import secrets
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reconciler.store.errors import BarrierError, Sealed
from reconciler.store.storage.base import Storage, Transaction
from reconciler.store.timefmt import now

KEYRING_PATH = "core/keyring"
ROOT_KEY_PATH = "core/root-key"
SEAL_CONFIG_PATH = "core/seal-config"
RESERVED_PATHS = frozenset({KEYRING_PATH, ROOT_KEY_PATH, SEAL_CONFIG_PATH})

KEY_SIZE = 32
ENTRY_VERSION = 1
KEYRING_FORMAT = 1
SEAL_CONFIG_FORMAT = 1
_NONCE_SIZE = 12
_TAG_SIZE = 16
_HEADER = struct.Struct(">BI")
_MIN_ENTRY = _HEADER.size + _NONCE_SIZE + _TAG_SIZE
_WRAP_TERM = 0  # the term written on entries sealed by the root or unseal key, not the keyring


@dataclass(frozen=True)
class KeyStatus:
    """The active key term, when it was installed (unix time) and how often it encrypted."""

    term: int
    install_time: float
    encryptions: int


@dataclass(frozen=True)
class SealConfig:
    """How the unseal key was split: `secret_shares` parts, any `secret_threshold` unseal."""

    secret_shares: int
    secret_threshold: int
    type: str = "shamir"

    def encode(self) -> bytes:
        """The versioned JSON stored at `core/seal-config`."""
        doc = {
            "version": SEAL_CONFIG_FORMAT,
            "type": self.type,
            "secret_shares": self.secret_shares,
            "secret_threshold": self.secret_threshold,
        }
        return json.dumps(doc, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> SealConfig:
        """Parse `encode()`'s output; BarrierError when it is not a known format."""
        try:
            doc = json.loads(raw)
            if doc["version"] != SEAL_CONFIG_FORMAT:
                raise BarrierError(f"{SEAL_CONFIG_PATH} has unsupported format {doc['version']}")
            return cls(int(doc["secret_shares"]), int(doc["secret_threshold"]), str(doc["type"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BarrierError(f"{SEAL_CONFIG_PATH} is malformed") from exc


def _seal_entry(aead: AESGCM, term: int, path: str, plaintext: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE_SIZE)
    body = aead.encrypt(nonce, plaintext, path.encode())
    return _HEADER.pack(ENTRY_VERSION, term) + nonce + body


def _entry_term(path: str, blob: bytes) -> int:
    """The key term of an entry, after checking its shape."""
    if len(blob) < _MIN_ENTRY:
        raise BarrierError(f"entry at {path!r} is too short to be barrier ciphertext")
    version, term = _HEADER.unpack_from(blob)
    if version != ENTRY_VERSION:
        raise BarrierError(f"entry at {path!r} has unknown barrier version {version}")
    return int(term)


def _open_entry(aead: AESGCM, path: str, blob: bytes) -> bytes:
    start = _HEADER.size
    nonce = blob[start : start + _NONCE_SIZE]
    try:
        return aead.decrypt(nonce, blob[start + _NONCE_SIZE :], path.encode())
    except InvalidTag:
        # The tag covers the path: a wrong key, a changed byte and a moved entry all land here.
        raise BarrierError(f"failed to decrypt entry at {path!r}") from None


def _wipe(buffer: bytearray) -> None:
    buffer[:] = bytes(len(buffer))


class _TermKey:
    """One data key of the keyring."""

    __slots__ = ("aead", "encryptions", "install_time", "key", "term")

    def __init__(self, term: int, key: bytearray, install_time: float, encryptions: int) -> None:
        self.term = term
        self.key = key
        self.install_time = install_time
        self.encryptions = encryptions
        self.aead = AESGCM(key)  # built once: the hot path must not rebuild the cipher

    def to_json(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "key": base64.b64encode(self.key).decode(),
            "install_time": self.install_time,
            "encryptions": self.encryptions,
        }


class _Keyring:
    """The unsealed key material: the root key and every data key term.

    Invariant: `active` is the highest term and is in `terms`. The lock guards the active
    term and the encryption counters, which change while other threads encrypt.
    """

    def __init__(self, root_key: bytearray, terms: dict[int, _TermKey], active: int) -> None:
        self.root_key = root_key
        self.terms = terms
        self.active = active
        self.lock = threading.Lock()

    @classmethod
    def fresh(cls, root_key: bytearray) -> _Keyring:
        """A keyring with term 1 only."""
        first = _TermKey(1, bytearray(secrets.token_bytes(KEY_SIZE)), now(), 0)
        return cls(root_key, {1: first}, 1)

    @classmethod
    def load(cls, root_key: bytearray, blob: bytes) -> _Keyring:
        """Decrypt `core/keyring` with the root key and parse it."""
        plaintext = _open_entry(AESGCM(root_key), KEYRING_PATH, blob)
        try:
            doc = json.loads(plaintext)
            if doc["version"] != KEYRING_FORMAT:
                raise BarrierError(f"{KEYRING_PATH} has unsupported format {doc['version']}")
            terms = {
                int(item["term"]): _TermKey(
                    int(item["term"]),
                    bytearray(base64.b64decode(item["key"], validate=True)),
                    float(item["install_time"]),
                    int(item["encryptions"]),
                )
                for item in doc["terms"]
            }
            active = int(doc["active_term"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BarrierError(f"{KEYRING_PATH} is malformed") from exc
        if active not in terms:
            raise BarrierError(f"{KEYRING_PATH} has no key for its active term {active}")
        return cls(root_key, terms, active)

    def encode(self, extra: _TermKey | None = None) -> bytes:
        """The keyring encrypted by the root key; `extra` becomes the active term if given."""
        keys = [*self.terms.values(), *([extra] if extra else [])]
        doc = {
            "version": KEYRING_FORMAT,
            "active_term": extra.term if extra else self.active,
            "terms": [key.to_json() for key in sorted(keys, key=lambda k: k.term)],
        }
        plaintext = json.dumps(doc, separators=(",", ":")).encode()
        return _seal_entry(AESGCM(self.root_key), _WRAP_TERM, KEYRING_PATH, plaintext)

    def encrypt(self, path: str, plaintext: bytes) -> bytes:
        """Encrypt with the active term, counting the use."""
        with self.lock:
            key = self.terms[self.active]
            key.encryptions += 1
        return _seal_entry(key.aead, key.term, path, plaintext)

    def decrypt(self, path: str, blob: bytes) -> bytes:
        """Decrypt with whichever term the entry names."""
        term = _entry_term(path, blob)
        key = self.terms.get(term)
        if key is None:
            raise BarrierError(f"entry at {path!r} uses unknown key term {term}")
        return _open_entry(key.aead, path, blob)

    def install(self, key: _TermKey) -> None:
        """Make `key` the active term (after it has been persisted)."""
        with self.lock:
            self.terms[key.term] = key
            self.active = key.term

    def wipe(self) -> None:
        """Zero every key this keyring holds."""
        _wipe(self.root_key)
        for key in self.terms.values():
            _wipe(key.key)
        self.terms.clear()


class _Encrypted:
    """get/put/delete/list over `target`, encrypting values with the barrier's keyring."""

    def __init__(self, keyring: Callable[[], _Keyring], target: Transaction) -> None:
        self._keyring = keyring
        self._target = target

    def get(self, path: str) -> bytes | None:
        """The decrypted value at `path`, or None."""
        keyring = self._keyring()
        _check_path(path)
        blob = self._target.get(path)
        return None if blob is None else keyring.decrypt(path, blob)

    def put(self, path: str, value: bytes) -> None:
        """Encrypt `value` bound to `path` and store it."""
        keyring = self._keyring()
        _check_path(path)
        self._target.put(path, keyring.encrypt(path, value))

    def delete(self, path: str) -> None:
        """Remove `path`; no error when missing."""
        self._keyring()
        _check_path(path)
        self._target.delete(path)

    def list(self, prefix: str) -> list[str]:
        """Immediate children of `prefix` (paths are stored in clear)."""
        self._keyring()
        return self._target.list(prefix)


def _check_path(path: str) -> None:
    if path in RESERVED_PATHS:
        raise ValueError(f"{path!r} is reserved for the barrier's own keys")


class Barrier:
    """Encrypting storage in front of an untrusted `Storage`, sealed until `unseal()`.

    Invariants: while sealed no key is in memory and every data call raises `Sealed`; the
    reserved paths (`RESERVED_PATHS`) are never reachable through the data API.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._keyring: _Keyring | None = None
        self._lock = threading.RLock()
        self._data = _Encrypted(self._require, storage)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def sealed(self) -> bool:
        """True while no key is loaded."""
        return self._keyring is None

    def initialized(self) -> bool:
        """True once `initialize()` has stored a root key."""
        return self._storage.get(ROOT_KEY_PATH) is not None

    def initialize(self, unseal_key: bytes) -> None:
        """Create the root key and key term 1, wrapped by `unseal_key`; stay sealed."""
        _check_unseal_key(unseal_key, ValueError)
        with self._lock:
            if self.initialized():
                raise ValueError("the barrier is already initialized")
            keyring = _Keyring.fresh(bytearray(secrets.token_bytes(KEY_SIZE)))
            try:
                wrapped = _seal_entry(
                    AESGCM(unseal_key), _WRAP_TERM, ROOT_KEY_PATH, bytes(keyring.root_key)
                )
                with self._storage.transaction() as txn:
                    txn.put(ROOT_KEY_PATH, wrapped)
                    txn.put(KEYRING_PATH, keyring.encode())
            finally:
                keyring.wipe()

    def unseal(self, unseal_key: bytes) -> None:
        """Load the keyring with `unseal_key`; BarrierError when it is the wrong key."""
        _check_unseal_key(unseal_key, BarrierError)
        with self._lock:
            if self._keyring is not None:
                return
            wrapped = self._storage.get(ROOT_KEY_PATH)
            if wrapped is None:
                raise BarrierError("the barrier is not initialized")
            _entry_term(ROOT_KEY_PATH, wrapped)
            root_key = bytearray(_open_entry(AESGCM(unseal_key), ROOT_KEY_PATH, wrapped))
            blob = self._storage.get(KEYRING_PATH)
            if blob is None:
                _wipe(root_key)
                raise BarrierError(f"{KEYRING_PATH} is missing")
            try:
                _entry_term(KEYRING_PATH, blob)
                self._keyring = _Keyring.load(root_key, blob)
            except BarrierError:
                _wipe(root_key)
                raise

    def check_unseal_key(self, unseal_key: bytes) -> bool:
        """True when `unseal_key` opens the stored root key (nothing changes either way)."""
        try:
            _check_unseal_key(unseal_key, BarrierError)
            wrapped = self._storage.get(ROOT_KEY_PATH)
            if wrapped is None:
                return False
            root_key = bytearray(_open_entry(AESGCM(unseal_key), ROOT_KEY_PATH, wrapped))
        except BarrierError:
            return False
        _wipe(root_key)
        return True

    def rekey(self, old_key: bytes, new_key: bytes, config: SealConfig) -> None:
        """Wrap the root key with `new_key` and store the new share configuration, together.

        The keyring and every entry stay as they are: only what opens the root key changes.
        """
        _check_unseal_key(new_key, ValueError)
        with self._lock:
            wrapped = self._storage.get(ROOT_KEY_PATH)
            if wrapped is None:
                raise BarrierError("the barrier is not initialized")
            root_key = bytearray(_open_entry(AESGCM(old_key), ROOT_KEY_PATH, wrapped))
            try:
                rewrapped = _seal_entry(AESGCM(new_key), _WRAP_TERM, ROOT_KEY_PATH, bytes(root_key))
            finally:
                _wipe(root_key)
            with self._storage.transaction() as txn:
                txn.put(ROOT_KEY_PATH, rewrapped)
                txn.put(SEAL_CONFIG_PATH, config.encode())

    def seal(self) -> None:
        """Forget every key (zeroing them); a no-op when already sealed."""
        with self._lock:
            keyring, self._keyring = self._keyring, None
            if keyring is not None:
                keyring.wipe()

    def _require(self) -> _Keyring:
        keyring = self._keyring
        if keyring is None:
            raise Sealed()
        return keyring

    # -- keyring ---------------------------------------------------------------------------

    def rotate(self) -> int:
        """Install a new active key term and return it; older terms still decrypt."""
        with self._lock:
            keyring = self._require()
            key = _TermKey(keyring.active + 1, bytearray(secrets.token_bytes(KEY_SIZE)), now(), 0)
            try:
                self._storage.put(KEYRING_PATH, keyring.encode(extra=key))
            except BaseException:
                _wipe(key.key)
                raise
            keyring.install(key)
            return key.term

    def seal_blob(self, path: str, data: bytes) -> bytes:
        """Encrypt `data` bound to `path` without storing it (a snapshot's sealed checksums)."""
        return self._require().encrypt(path, data)

    def open_blob(self, path: str, blob: bytes) -> bytes:
        """Decrypt what `seal_blob` made; BarrierError when these keys did not make it."""
        return self._require().decrypt(path, blob)

    def key_status(self) -> KeyStatus:
        """The active term, its install time and its encryption count."""
        keyring = self._require()
        with keyring.lock:
            key = keyring.terms[keyring.active]
            return KeyStatus(key.term, key.install_time, key.encryptions)

    # -- seal configuration (clear text, readable while sealed) ---------------------------

    def write_seal_config(self, config: SealConfig) -> None:
        """Store how the unseal key is split."""
        self._storage.put(SEAL_CONFIG_PATH, config.encode())

    def read_seal_config(self) -> SealConfig | None:
        """The stored seal configuration, or None before init."""
        raw = self._storage.get(SEAL_CONFIG_PATH)
        return None if raw is None else SealConfig.decode(raw)

    # -- data --------------------------------------------------------------------------------

    def get(self, path: str) -> bytes | None:
        """The decrypted value at `path`, or None. Sealed while sealed."""
        return self._data.get(path)

    def put(self, path: str, value: bytes) -> None:
        """Encrypt and store `value` at `path`; ValueError for a reserved path."""
        self._data.put(path, value)

    def delete(self, path: str) -> None:
        """Remove `path`; no error when missing."""
        self._data.delete(path)

    def list(self, prefix: str) -> list[str]:
        """Immediate children of `prefix`, sorted; folders end with "/"."""
        return self._data.list(prefix)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Encrypted reads and writes that commit together (a storage transaction)."""
        self._require()
        with self._storage.transaction() as txn:
            yield _Encrypted(self._require, txn)


def _check_unseal_key(key: bytes, error: type[Exception]) -> None:
    # Only the length is ever reported: the key itself must never reach a message.
    if len(key) != KEY_SIZE:
        raise error(f"the unseal key must be {KEY_SIZE} bytes, got {len(key)}")
