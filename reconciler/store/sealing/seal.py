"""Init, unseal with Shamir shares, and seal: the state machine behind `sys/init`,
`sys/unseal`, `sys/seal` and `sys/seal-status`, with Vault's messages (reference §3.1).

The unseal key is split into shares at init and never stored; only the seal configuration
(how many shares, what threshold) is. Shares submitted during an unseal attempt are kept in
`bytearray`s and zeroed as soon as the attempt ends, whichever way it ends.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.store.errors import BadRequest, BarrierError, InternalError
from reconciler.store.sealing import shamir
from reconciler.store.sealing.barrier import KEY_SIZE, Barrier, SealConfig
from reconciler.store.sealing.shares import KeyShares

if TYPE_CHECKING:
    from reconciler.store.sealing.seal_auto import AutoUnseal

CLUSTER_PATH = "core/cluster"
CLUSTER_FORMAT = 1
# Vault's bounds on a submitted key: an AES-128 key at least, a 32-byte key plus the
# one-byte x-coordinate of a Shamir share at most.
MIN_KEY_LENGTH = 16
MAX_KEY_LENGTH = KEY_SIZE + 1

MSG_NO_KEY = "'key' must be specified in request body as JSON, or 'reset' set to true"
MSG_UNSEALED = "vault is unsealed"
MSG_BAD_ENCODING = "'key' must be a valid hex or base64 string"
MSG_INVALID_KEY = "unseal failed, invalid key"
MSG_ALREADY_INIT = "Vault is already initialized"
MSG_NOT_INIT = "Vault is not initialized"


@dataclass(frozen=True)
class SealStatus:
    """One answer of `sys/seal-status`. `cluster_*` are set only while unsealed."""

    initialized: bool
    sealed: bool
    t: int
    n: int
    progress: int
    nonce: str
    version: str
    build_date: str
    storage_type: str
    cluster_name: str | None = None
    cluster_id: str | None = None
    seal_type: str = "shamir"
    recovery_seal: bool = False  # t/n are the recovery shares' (an auto seal unseals)
    migration: bool = False  # the config asks for a seal migration (unseal with migrate)

    def to_json(self) -> dict[str, object]:
        """Vault's seal-status object, keys in Vault's order."""
        out: dict[str, object] = {
            "type": self.seal_type,
            "initialized": self.initialized,
            "sealed": self.sealed,
            "t": self.t,
            "n": self.n,
            "progress": self.progress,
            "nonce": self.nonce,
            "version": self.version,
            "build_date": self.build_date,
            "migration": self.migration,
        }
        if not self.sealed and self.cluster_name is not None and self.cluster_id is not None:
            out["cluster_name"] = self.cluster_name
            out["cluster_id"] = self.cluster_id
        out["recovery_seal"] = self.recovery_seal
        out["storage_type"] = self.storage_type
        return out


@dataclass(frozen=True)
class InitResult:
    """The unseal key shares (and the unseal key itself); never printed by `repr`."""

    keys: list[bytes] = field(repr=False)
    unseal_key: bytes = field(repr=False)


def validate_config(shares: int, threshold: int) -> None:
    """Vault's `SealConfig.Validate`, in Vault's order; BadRequest with its message."""
    checks = (
        (shares < 1, "shares must be at least one"),
        (threshold < 1, "threshold must be at least one"),
        (shares > 1 and threshold < 2, "threshold must be greater than one for multiple shares"),
        (shares > 255, "shares must be less than 256"),
        (threshold > 255, "threshold must be less than 256"),
        (threshold > shares, "threshold cannot be larger than shares"),
    )
    for failed, message in checks:
        if failed:
            raise BadRequest(message)


def decode_key(key: str) -> bytes:
    """Hex if it decodes to a plausible key length, else standard padded base64 (as Vault)."""
    try:
        raw = binascii.unhexlify(key)
        if MIN_KEY_LENGTH <= len(raw) <= MAX_KEY_LENGTH:
            return raw
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(MSG_BAD_ENCODING) from None


def _check_key_length(key: bytes) -> None:
    if len(key) < MIN_KEY_LENGTH:
        raise BadRequest(f"invalid key: key is shorter than minimum {MIN_KEY_LENGTH} bytes")
    if len(key) > MAX_KEY_LENGTH:
        raise BadRequest(f"invalid key: key is longer than maximum {MAX_KEY_LENGTH} bytes")


class SealManager:
    """Drives the barrier through init, unseal attempts and seal.

    Invariants: `_nonce` is "" exactly when no share is pending; pending shares are distinct
    and fewer than the threshold; the lock serialises every state change.
    """

    def __init__(
        self,
        barrier: Barrier,
        storage_type: str,
        *,
        version: str = __version__,
        build_date: str = "",
    ) -> None:
        self._barrier = barrier
        self._storage_type = storage_type
        self._version = version
        self._build_date = build_date
        self._lock = threading.RLock()
        self._shares: KeyShares | None = None
        self._nonce = ""
        self._cluster: tuple[str, str] | None = None
        # The auto-unseal side (set by the core when a `seal` block is configured).
        self.auto: AutoUnseal | None = None

    # -- status ----------------------------------------------------------------------------

    def status(self, cluster: tuple[str, str] | None = None) -> SealStatus:
        """The seal status; `cluster` (name, id) overrides the stored `core/cluster`."""
        with self._lock:
            config = self._barrier.read_seal_config()
            if not self._barrier.initialized():
                config = None  # an init that crashed before its keys were written
            sealed = self._barrier.sealed
            if not sealed and cluster is None:
                cluster = self.cluster()
            auto = self.auto
            seal_type = (
                config.type if config else (auto.seal.type_name if auto and auto.seal else "shamir")
            )
            shown = config
            if auto is not None and config is not None and config.type != "shamir":
                shown = auto.recovery_config() or config
            migrating = auto is not None and auto.migration() is not None
            return SealStatus(
                initialized=config is not None,
                sealed=sealed,
                t=shown.secret_threshold if shown else 0,
                n=shown.secret_shares if shown else 0,
                progress=auto.migration_progress() if migrating and auto else self._progress(),
                nonce=self._nonce,
                version=self._version,
                build_date=self._build_date,
                storage_type=self._storage_type,
                cluster_name=cluster[0] if cluster and not sealed else None,
                cluster_id=cluster[1] if cluster and not sealed else None,
                seal_type=seal_type,
                recovery_seal=seal_type != "shamir",
                migration=migrating,
            )

    def _progress(self) -> int:
        return 0 if self._shares is None else self._shares.progress

    def cluster(self) -> tuple[str, str] | None:
        """(cluster_name, cluster_id) from `core/cluster`; None while sealed."""
        with self._lock:
            if self._barrier.sealed:
                return None
            if self._cluster is None:
                self._cluster = self._load_or_create_cluster()
            return self._cluster

    def _load_or_create_cluster(self) -> tuple[str, str]:
        raw = self._barrier.get(CLUSTER_PATH)
        if raw is not None:
            try:
                doc = json.loads(raw)
                return str(doc["name"]), str(doc["id"])
            except (ValueError, KeyError, TypeError) as exc:
                raise InternalError(f"{CLUSTER_PATH} is malformed") from exc
        name = f"vault-cluster-{secrets.token_hex(4)}"
        ident = str(uuid.uuid4())
        doc = {"version": CLUSTER_FORMAT, "name": name, "id": ident}
        self._barrier.put(CLUSTER_PATH, json.dumps(doc, separators=(",", ":")).encode())
        return name, ident

    # -- init ------------------------------------------------------------------------------

    def initialize(self, shares: int, threshold: int) -> InitResult:
        """Create the keys; return the shares. The barrier ends initialised and sealed."""
        validate_config(shares, threshold)
        with self._lock:
            if self._barrier.initialized():
                raise BadRequest(MSG_ALREADY_INIT)
            unseal_key = secrets.token_bytes(KEY_SIZE)
            # Config first: the root key is what marks the store initialised, so a crash in
            # between leaves an uninitialised store that can simply be initialised again.
            self._barrier.write_seal_config(SealConfig(shares, threshold))
            self._barrier.initialize(unseal_key)
            # Write the cluster identity now, under the fresh key, so it exists from day one.
            self._barrier.unseal(unseal_key)
            try:
                self._cluster = self._load_or_create_cluster()
            finally:
                self._barrier.seal()
            keys = [unseal_key] if shares == 1 else shamir.split(unseal_key, shares, threshold)
            return InitResult(keys=keys, unseal_key=unseal_key)

    # -- unseal ----------------------------------------------------------------------------

    def submit(self, key: str | None, reset: bool = False) -> SealStatus:
        """One `sys/unseal` call: add a share (or reset the attempt); unseal at the threshold."""
        with self._lock:
            if reset:  # reset wins over a key sent alongside it, as in Vault
                if not self._barrier.sealed:
                    raise BadRequest(MSG_UNSEALED)
                self._clear_progress()
                return self.status()
            if not key:
                raise BadRequest(MSG_NO_KEY)
            share = bytearray(decode_key(key))
            _check_key_length(share)
            config = self._barrier.read_seal_config()
            if config is None or not self._barrier.initialized():
                raise BadRequest(MSG_NOT_INIT)
            if self._barrier.sealed:
                if config.type != "shamir":
                    raise BadRequest(
                        "this store unseals itself through its seal; key shares are only used "
                        "with migrate=true during a seal migration"
                    )
                try:
                    self._add_share(share, config)
                finally:
                    share[:] = bytes(len(share))  # KeyShares keeps its own copy
            return self.status()

    def _add_share(self, share: bytearray, config: SealConfig) -> None:
        if self._shares is None or self._shares.threshold != config.secret_threshold:
            self._shares = KeyShares(config.secret_threshold)
        if not self._shares.add(share):
            return  # Vault ignores a repeated share: progress does not move
        if not self._nonce:
            self._nonce = str(uuid.uuid4())
        if not self._shares.complete:
            return
        try:
            self._barrier.unseal(self._shares.combine())
        except (ValueError, BarrierError):
            raise BadRequest(MSG_INVALID_KEY) from None
        finally:
            self._clear_progress()
        self._cluster = None  # re-read: storage may have been restored while sealed
        self.cluster()

    def _clear_progress(self) -> None:
        if self._shares is not None:
            self._shares.clear()
        self._nonce = ""

    # -- seal ------------------------------------------------------------------------------

    def seal(self) -> None:
        """Seal the barrier and forget any unseal attempt in progress."""
        with self._lock:
            self._clear_progress()
            self._barrier.seal()
            self._cluster = None
