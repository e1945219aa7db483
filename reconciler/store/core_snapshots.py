"""The core's snapshots: take one, schedule them, restore one once a request is answered.

A mixin of `Core` (kept apart so the request path stays readable).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from reconciler.store.operations.snapshot import (
    SEALED_SUMS_PATH,
    SnapshotHeader,
    consistent_items,
    restore_items,
    write_snapshot,
)
from reconciler.store.operations.snapshot_schedule import SnapshotPolicy, SnapshotSchedule
from reconciler.store.sealing.barrier import Barrier
from reconciler.store.sealing.seal import SealManager
from reconciler.store.storage.base import Storage


class CoreConfigLike(Protocol):
    """What snapshots read of the core's config."""

    storage_type: str


class SnapshotMixin:
    """Snapshots for `Core`."""

    storage: Storage
    barrier: Barrier
    seal: SealManager
    config: CoreConfigLike
    snapshots: SnapshotSchedule | None
    _pending_restore: list[tuple[str, bytes]] | None
    request_seal: Callable[[], None]

    def take_snapshot(self) -> bytes:
        """A snapshot file of all storage as of now (still encrypted; writers go on)."""
        cluster = self.seal.cluster()
        header = SnapshotHeader(
            created=time.time(),
            keyring_term=self.barrier.key_status().term,
            cluster_id=cluster[1] if cluster else "",
            storage_type=self.config.storage_type,
        )
        seal_sums = lambda sums: self.barrier.seal_blob(SEALED_SUMS_PATH, sums)  # noqa: E731
        return write_snapshot(header, consistent_items(self.storage), seal_sums)

    def schedule_snapshots(self, policy: SnapshotPolicy) -> None:
        """Write a snapshot every `policy.interval` on the active node (see `tick`)."""
        self.snapshots = SnapshotSchedule(policy, self.take_snapshot)

    def restore_after_request(self, items: list[tuple[str, bytes]]) -> None:
        """Replace all storage with a checked snapshot once this request is answered and
        audited: seal first, so no service writes the old state over the restored one."""
        self._pending_restore = items
        self.request_seal()

    def _finish_restore(self) -> None:
        items, self._pending_restore = self._pending_restore, None
        if items is not None:
            restore_items(self.storage, items)
