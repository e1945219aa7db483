"""Auto-unseal in the store: init with recovery keys, unseal at start, migrate to and from
Shamir shares, as Vault does it.

With an auto seal the unseal key is never split: the seal wraps it and the wrap is stored
(`core/auto-unseal-key`), so the store unseals itself when the seal answers. Operators get
*recovery* shares instead, of a recovery key kept inside the barrier; they prove a quorum for
root generation (and migration), never unseal.

Migration, started by `sys/unseal` with `migrate=true`:
- Shamir -> auto (an active `seal` block, a store still on shares): the unseal shares rebuild
  the unseal key; the seal wraps it; the same key becomes the recovery key, so the old
  shares *are* the recovery shares from then on.
- auto -> Shamir (only a `disabled = "true"` seal block): the recovery shares rebuild the
  recovery key; the disabled seal still unwraps the unseal key; the root key is rewrapped
  with the recovery key, so the recovery shares are the unseal shares from then on.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from typing import Literal

from reconciler.store.errors import BadRequest, Unavailable
from reconciler.store.sealing import shamir
from reconciler.store.sealing.autoseal import AutoSeal
from reconciler.store.sealing.barrier import KEY_SIZE, SEAL_CONFIG_PATH, Barrier, SealConfig
from reconciler.store.sealing.seal import decode_key, validate_config
from reconciler.store.sealing.shares import KeyShares
from reconciler.store.storage.base import Storage

AUTO_KEY_PATH = "core/auto-unseal-key"
RECOVERY_CONFIG_PATH = "core/recovery-config"
RECOVERY_KEY_PATH = "core/recovery-key"  # through the barrier: encrypted like data
Migration = Literal["to-auto", "to-shamir"]


class AutoUnseal:
    """The store's side of an auto seal (`seal`) and of a migration source (`source`).

    Invariant: when the stored seal config names an auto seal type, `core/auto-unseal-key`
    holds the unseal key wrapped by that seal and `core/recovery-config` the recovery split.
    """

    def __init__(
        self, storage: Storage, barrier: Barrier, seal: AutoSeal | None, source: AutoSeal | None
    ) -> None:
        self._storage = storage
        self._barrier = barrier
        self.seal = seal
        self.source = source
        self._lock = threading.Lock()
        self._migration_shares: KeyShares | None = None

    # -- what the store is now -------------------------------------------------------------

    def stored_type(self) -> str:
        """The seal type the store was initialised (or migrated) with; "" before init."""
        config = self._barrier.read_seal_config()
        return "" if config is None else config.type

    def recovery_config(self) -> SealConfig | None:
        """How the recovery key is split (auto-sealed stores only)."""
        raw = self._storage.get(RECOVERY_CONFIG_PATH)
        return None if raw is None else SealConfig.decode(raw)

    def migration(self) -> Migration | None:
        """Which migration the config asks for, if any."""
        stored = self.stored_type()
        if not stored:
            return None
        if self.seal is not None and stored == "shamir":
            return "to-auto"
        if self.seal is None and self.source is not None and stored == self.source.type_name:
            return "to-shamir"
        return None

    # -- init and unseal -------------------------------------------------------------------

    def initialize(
        self, recovery_shares: int, recovery_threshold: int
    ) -> tuple[list[bytes], bytes]:
        """Create the keys for an auto-sealed store; returns (recovery shares, unseal key).

        The seal is asked to wrap first, so an unreachable seal leaves nothing written.
        """
        assert self.seal is not None
        validate_config(recovery_shares, recovery_threshold)
        unseal_key = secrets.token_bytes(KEY_SIZE)
        wrapped = self.seal.wrap(unseal_key)
        recovery_key = secrets.token_bytes(KEY_SIZE)
        self._barrier.write_seal_config(SealConfig(1, 1, self.seal.type_name))
        self._barrier.initialize(unseal_key)
        self._barrier.unseal(unseal_key)
        try:
            self._barrier.put(RECOVERY_KEY_PATH, recovery_key)
        finally:
            self._barrier.seal()
        with self._storage.transaction() as txn:
            txn.put(AUTO_KEY_PATH, self._wrap_doc(self.seal, wrapped))
            txn.put(RECOVERY_CONFIG_PATH, SealConfig(recovery_shares, recovery_threshold).encode())
        if recovery_shares == 1:
            return [recovery_key], unseal_key
        return shamir.split(recovery_key, recovery_shares, recovery_threshold), unseal_key

    def unseal_key(self) -> bytes:
        """The unseal key, unwrapped by the configured seal (Unavailable if it can't)."""
        seal = self.seal if self.migration() is None else None
        if seal is None:
            raise BadRequest("this store cannot unseal itself: a seal migration is pending")
        return seal.unwrap(self._stored_wrap())

    def _stored_wrap(self) -> str:
        raw = self._storage.get(AUTO_KEY_PATH)
        if raw is None:
            raise Unavailable(
                f"{AUTO_KEY_PATH} is missing: the store was not initialised with this seal"
            )
        return str(json.loads(raw)["wrapped"])

    @staticmethod
    def _wrap_doc(seal: AutoSeal, wrapped: str) -> bytes:
        return json.dumps({"version": 1, "type": seal.type_name, "wrapped": wrapped}).encode()

    # -- recovery shares -------------------------------------------------------------------

    def check_recovery_key(self, key: bytes) -> bool:
        """True when `key` is the recovery key (the barrier must be unsealed)."""
        stored = self._barrier.get(RECOVERY_KEY_PATH)
        return stored is not None and hmac.compare_digest(stored, key)

    # -- migration -------------------------------------------------------------------------

    def migrate_submit(self, key: str) -> bool:
        """One share of `sys/unseal` with `migrate=true`; True once migrated (and unsealed)."""
        with self._lock:
            direction = self.migration()
            if direction is None:
                raise BadRequest("no seal migration is pending: the config and the store agree")
            if self._migration_shares is None:
                config = (
                    self._barrier.read_seal_config()
                    if direction == "to-auto"
                    else self.recovery_config()
                )
                assert config is not None
                self._migration_shares = KeyShares(config.secret_threshold)
            self._migration_shares.add(decode_key(key))  # a repeated share is ignored, as Vault
            if not self._migration_shares.complete:
                return False
            shares, self._migration_shares = self._migration_shares, None
            try:
                secret = shares.combine()
            except ValueError:
                raise BadRequest("invalid key shares") from None
            if direction == "to-auto":
                self._to_auto(secret)
            else:
                self._to_shamir(secret)
            return True

    def migration_progress(self) -> int:
        """Shares given so far toward a migration."""
        shares = self._migration_shares
        return 0 if shares is None else shares.progress

    def _to_auto(self, unseal_key: bytes) -> None:
        assert self.seal is not None
        if not self._barrier.check_unseal_key(unseal_key):
            raise BadRequest("unseal failed, invalid key")
        shamir_config = self._barrier.read_seal_config()
        assert shamir_config is not None
        wrapped = self.seal.wrap(unseal_key)
        self._barrier.unseal(unseal_key)
        self._barrier.put(RECOVERY_KEY_PATH, unseal_key)  # the old shares become recovery shares
        with self._storage.transaction() as txn:
            txn.put(AUTO_KEY_PATH, self._wrap_doc(self.seal, wrapped))
            recovery = SealConfig(shamir_config.secret_shares, shamir_config.secret_threshold)
            txn.put(RECOVERY_CONFIG_PATH, recovery.encode())
            txn.put(SEAL_CONFIG_PATH, SealConfig(1, 1, self.seal.type_name).encode())

    def _to_shamir(self, recovery_key: bytes) -> None:
        assert self.source is not None
        unseal_key = self.source.unwrap(self._stored_wrap())
        recovery = self.recovery_config()
        assert recovery is not None
        self._barrier.unseal(unseal_key)
        if not self.check_recovery_key(recovery_key):
            self._barrier.seal()
            raise BadRequest("the recovery shares do not form the recovery key")
        # The recovery key becomes the unseal key: the recovery shares now unseal.
        shamir_config = SealConfig(recovery.secret_shares, recovery.secret_threshold, "shamir")
        self._barrier.rekey(unseal_key, recovery_key, shamir_config)
        self._barrier.delete(RECOVERY_KEY_PATH)
        with self._storage.transaction() as txn:
            txn.delete(AUTO_KEY_PATH)
            txn.delete(RECOVERY_CONFIG_PATH)
