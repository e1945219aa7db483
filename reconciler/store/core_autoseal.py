"""The core's auto-unseal side: set a seal up, unseal through it, check recovery shares.

A mixin of `Core` (kept apart so the request path stays readable); it uses the core's
barrier, seal manager and storage, and `after_unseal` to bring the services up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from reconciler.store.errors import BadRequest, Unavailable
from reconciler.store.sealing.autoseal import AutoSeal
from reconciler.store.sealing.barrier import Barrier
from reconciler.store.sealing.seal import SealManager
from reconciler.store.sealing.seal_auto import AutoUnseal
from reconciler.store.storage.base import Storage

log = logging.getLogger("sealkeep.core")


class AutoUnsealMixin:
    """Auto-unseal for `Core`. Invariant: `seal.auto` is `autoseal` once set."""

    storage: Storage
    barrier: Barrier
    seal: SealManager
    autoseal: AutoUnseal | None
    _closing: threading.Event
    after_unseal: Callable[[], None]

    def use_autoseal(self, seal: AutoSeal | None, source: AutoSeal | None) -> None:
        """Unseal through `seal` (a migration from `source` when it is set and disabled)."""
        self.autoseal = AutoUnseal(self.storage, self.barrier, seal, source)
        self.seal.auto = self.autoseal

    @property
    def auto_sealed(self) -> bool:
        """True when an active auto seal is configured (init makes recovery shares)."""
        return self.autoseal is not None and self.autoseal.seal is not None

    def auto_unseal(self) -> bool:
        """Unseal with the seal's help; False when not applicable (no seal, not initialised,
        a migration pending, already unsealed). Unavailable when the seal cannot answer."""
        autoseal = self.autoseal
        if autoseal is None or autoseal.seal is None or not self.barrier.initialized():
            return False
        if not self.barrier.sealed or autoseal.migration() is not None:
            return False
        if autoseal.stored_type() != autoseal.seal.type_name:
            return False
        self.barrier.unseal(autoseal.unseal_key())
        self.seal.cluster()
        self.after_unseal()
        return True

    def start_auto_unseal(self, wait: float = 1.0) -> None:
        """Try to auto-unseal in the background until it works, backing off to 30 s while the
        seal cannot be reached (the server answers sealed meanwhile)."""

        stop = self._closing

        def attempt() -> None:
            delay = wait
            while not stop.is_set():
                try:
                    self.auto_unseal()
                    return
                except Unavailable as exc:
                    log.warning("auto-unseal: %s; retrying in %.0f s", exc, delay)
                stop.wait(delay)
                delay = min(delay * 2, 30.0)

        threading.Thread(target=attempt, name="sealkeep-auto-unseal", daemon=True).start()

    def _check_root_share(self, key: bytes) -> bool:
        if self.autoseal is not None and self.autoseal.stored_type() not in ("", "shamir"):
            return self.autoseal.check_recovery_key(key)
        return self.barrier.check_unseal_key(key)

    def _root_threshold(self) -> int:
        if self.autoseal is not None and self.autoseal.stored_type() not in ("", "shamir"):
            recovery = self.autoseal.recovery_config()
            if recovery is not None:
                return recovery.secret_threshold
        config = self.barrier.read_seal_config()
        if config is None:
            raise BadRequest("Vault is not initialized")
        return config.secret_threshold
