"""sys/storage/snapshot (and Vault's sys/storage/raft/snapshot, so `bao operator raft
snapshot save|restore` and hvac's raft snapshot calls work): save and restore all storage.

Both need sudo. A restore is checked whole before anything changes; then the server seals
(the restored store may hold other keys), writes the snapshot's entries in one transaction,
and waits to be unsealed with the shares of the store the snapshot was taken from. A snapshot
whose sealed checksums this store's keys cannot open (another store's) is refused unless sent
to `snapshot-force`, as Vault does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from reconciler.store.errors import BadRequest
from reconciler.store.framework import FieldData, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.operations.snapshot import (
    SEALED_SUMS_PATH,
    read_snapshot,
)

if TYPE_CHECKING:
    from reconciler.store.core import Core

READ, UPDATE = Operation.READ, Operation.UPDATE
# Requests to these paths carry the snapshot file itself: the HTTP layer hands their body
# over undecoded (`Request.body`) instead of parsing JSON.
FILE_BODY_PATHS = frozenset(
    f"sys/storage/{raft}snapshot{force}" for raft in ("", "raft/") for force in ("", "-force")
)
_PREFIXES = r"storage/(?:raft/)?"


def paths(core: Core) -> list[PathSpec]:
    """Save (GET) and restore (POST) snapshots."""

    def save(_req: Request, _data: FieldData) -> Response:
        return Response(body=core.take_snapshot(), content_type="application/gzip")

    def restore(force: bool) -> Callable[[Request, FieldData], None]:
        def handler(req: Request, _data: FieldData) -> None:
            if not req.body:
                raise BadRequest("missing snapshot: send the snapshot file as the request body")
            snapshot = read_snapshot(req.body)
            opener = lambda blob: core.barrier.open_blob(SEALED_SUMS_PATH, blob)  # noqa: E731
            if not force and not snapshot.taken_by(opener):
                raise BadRequest(
                    "the snapshot was taken by another store (this store's keys cannot open its "
                    "sealed checksums); restoring it replaces everything here and needs that "
                    "store's unseal keys: send it to sys/storage/raft/snapshot-force to do so"
                )
            core.restore_after_request(snapshot.items)

        return handler

    return [
        PathSpec(rf"{_PREFIXES}snapshot", {READ: save, UPDATE: restore(False)}, sudo=True),
        PathSpec(rf"{_PREFIXES}snapshot-force", {UPDATE: restore(True)}, sudo=True),
    ]
