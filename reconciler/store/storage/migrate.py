"""Copy every entry of one storage backend into another, offline, and verify the copy.

What `sealkeep operator migrate` runs (Vault's `operator migrate`). Entries are copied as
they are stored, still encrypted by the barrier, so the same unseal keys open the
destination. Guards: the source is marked with `core/migration` while the copy runs, so a
second migration refuses to start; the destination must be empty unless the caller says
otherwise; and the copy is read back entry by entry before it is reported done.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from reconciler.store.storage.base import Storage, Transaction
from reconciler.vocabulary.errors import SealkeepError

MIGRATION_LOCK = "core/migration"
BATCH = 500


class MigrationError(SealkeepError):
    """A migration that cannot start or whose copy did not verify; nothing is left half-done
    in the source, and the message says what to do."""


@dataclass(frozen=True)
class MigrationResult:
    """How many entries were copied and verified."""

    copied: int
    verified: int


def walk(storage: Transaction, prefix: str = "") -> Iterator[str]:
    """Every key under `prefix`, depth first, in sorted order."""
    for child in storage.list(prefix):
        if child.endswith("/"):
            yield from walk(storage, prefix + child)
        else:
            yield prefix + child


def migrate(
    source: Storage,
    destination: Storage,
    *,
    allow_non_empty: bool = False,
    start: str = "",
    progress: Callable[[int], None] | None = None,
) -> MigrationResult:
    """Copy `source` into `destination` (keys ≥ `start`), then verify every copied entry.

    Raises MigrationError when another migration holds the source, when the destination
    already holds data (unless `allow_non_empty`), or when a copied entry reads back different.
    """
    if source.get(MIGRATION_LOCK) is not None:
        raise MigrationError(
            f"the source holds a migration lock ({MIGRATION_LOCK}): another migration is "
            "running or one was interrupted; if none runs, delete that key and start again"
        )
    if not allow_non_empty and destination.list(""):
        raise MigrationError(
            "the destination storage already holds data; migrating into it would mix two "
            "stores. Point storage_destination at an empty database, or pass --force to "
            "overwrite matching keys"
        )
    lock = json.dumps({"started": time.time()}).encode()
    source.put(MIGRATION_LOCK, lock)
    try:
        keys = [key for key in walk(source) if key >= start and key != MIGRATION_LOCK]
        copied = _copy(source, destination, keys, progress)
        verified = _verify(source, destination, keys)
    finally:
        source.delete(MIGRATION_LOCK)
    return MigrationResult(copied=copied, verified=verified)


def _copy(
    source: Storage, destination: Storage, keys: list[str], progress: Callable[[int], None] | None
) -> int:
    copied = 0
    for first in range(0, len(keys), BATCH):
        chunk = keys[first : first + BATCH]
        with destination.transaction() as txn:
            for key in chunk:
                value = source.get(key)
                if value is not None:  # deleted since the walk: nothing to copy
                    txn.put(key, value)
                    copied += 1
        if progress is not None:
            progress(copied)
    return copied


def _verify(source: Storage, destination: Storage, keys: list[str]) -> int:
    verified = 0
    for key in keys:
        expected = source.get(key)
        if expected is None:
            continue
        if destination.get(key) != expected:
            raise MigrationError(
                f"verification failed at {key!r}: the destination holds a different value; "
                "the destination is not usable, the source is unchanged"
            )
        verified += 1
    return verified
