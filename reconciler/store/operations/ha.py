"""High availability: every node unseals; the one holding the HA lock is active.

The coordinator runs one thread per unsealed node. A standby tries to take the lock every
`retry_interval`; the active node renews it every `renew_interval` (a third of its TTL) and
steps down the moment a renewal fails, so two nodes are never active past one TTL. Becoming
active builds the store's services from storage (mounts, policies, token and lease
schedules), so a new active node resumes expirations and rotations where the old one left
them; a standby runs no services at all and so holds no cache to invalidate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("sealkeep.ha")


class HALock(Protocol):
    """What the coordinator needs of a storage backend's lock."""

    identity: str
    api_addr: str
    ttl: float

    def try_acquire(self) -> bool:
        """Take the lock if free or expired."""
        ...

    def renew(self) -> bool:
        """Extend the hold; False when lost."""
        ...

    def release(self) -> None:
        """Give the lock up."""
        ...

    def holder(self) -> Holder | None:
        """Who holds it now."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


@dataclass(frozen=True)
class Holder:
    """The active node: its id and the address to send clients to."""

    identity: str
    api_addr: str


class HACoordinator:
    """Drives one node between standby and active.

    `on_active` is called (from the coordinator's thread) after the lock was taken and must
    bring the services up; `on_standby` after it was lost or given up and must stop them.
    """

    def __init__(
        self,
        lock: HALock,
        on_active: Callable[[], None],
        on_standby: Callable[[], None],
        *,
        retry_interval: float = 0.5,
        step_down_pause: float | None = None,
    ) -> None:
        self.lock = lock
        self._on_active = on_active
        self._on_standby = on_standby
        self._retry = retry_interval
        self._renew_every = max(lock.ttl / 3.0, 0.2)
        self._pause_after_step_down = lock.ttl if step_down_pause is None else step_down_pause
        self._active = False
        self._active_since = 0.0
        self._stop = threading.Event()
        self._step_down = threading.Event()
        self._thread: threading.Thread | None = None

    # -- state -----------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        """True while this node holds the lock and runs the services."""
        return self._active

    @property
    def active_since(self) -> float:
        """When this node last became active (unix time), 0 if never."""
        return self._active_since

    def leader(self) -> Holder | None:
        """The active node (this one or another), or None when there is none right now."""
        if self._active:
            return Holder(self.lock.identity, self.lock.api_addr)
        held = self.lock.holder()
        return None if held is None else Holder(held.identity, held.api_addr)

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start contending for the lock (after unseal)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sealkeep-ha", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop contending and give the lock up (seal, shutdown); services are stopped."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.lock.ttl + 5)
        self._thread = None
        self._demote(release=True)

    def step_down(self) -> None:
        """Give the lock up now and stay standby for a while so another node takes it."""
        self._step_down.set()

    # -- the loop --------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:
                # The loop must outlive any one failure, or this node would never contend
                # again; whatever failed is retried on the next round.
                log.exception("HA coordinator step failed; retrying")
                self._stop.wait(self._retry)

    def _step(self) -> None:
        if self._active:
            self._hold()
        elif self.lock.try_acquire():
            self._promote()
        else:
            self._stop.wait(self._retry)

    def _hold(self) -> None:
        if self._step_down.wait(self._renew_every):
            self._step_down.clear()
            log.info("stepping down: giving the HA lock up")
            self._demote(release=True)
            self._stop.wait(self._pause_after_step_down)
            return
        if self._stop.is_set():
            return
        if not self.lock.renew():
            log.warning("lost the HA lock (renewal failed): becoming standby")
            self._demote(release=False)

    def _promote(self) -> None:
        try:
            self._on_active()
        except Exception:
            log.exception("could not become active; giving the lock back")
            self.lock.release()
            self._stop.wait(self._retry)
            return
        self._active = True
        self._active_since = time.time()
        log.info("this node is now active")

    def _demote(self, release: bool) -> None:
        was_active, self._active = self._active, False
        if was_active:
            try:
                self._on_standby()
            finally:
                if release:
                    self.lock.release()
