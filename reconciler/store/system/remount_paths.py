"""sys/remount (`secrets move`, `auth move`) and sys/remount/status/:migration_id.

Vault queues a move and reports it by migration id; here the move is done before the answer,
so the status a client polls for already says `success`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.store.errors import BadRequest
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.ids import new_uuid
from reconciler.store.logical import Operation, Request, Response

if TYPE_CHECKING:
    from reconciler.store.core import Core

QUEUED = (
    "Mount move has been queued. Progress will be reported in the server log, "
    "tagged with the returned migration_id"
)
MAX_REMEMBERED = 1000


def paths(core: Core) -> list[PathSpec]:
    """The remount paths; finished moves are remembered in memory for status reads."""
    done: dict[str, dict[str, str]] = {}

    def remount(_req: Request, data: FieldData) -> Response:
        source, target = data.get("from"), data.get("to")
        if not source or not target:
            raise BadRequest("both 'from' and 'to' path must be specified as a string")
        src, dst = core.require_runtime().move(source, target)
        migration_id = new_uuid()
        if len(done) >= MAX_REMEMBERED:
            done.pop(next(iter(done)))
        done[migration_id] = {"source_mount": src, "target_mount": dst, "status": "success"}
        return Response(
            data={"migration_id": migration_id}, warnings=[QUEUED], inject_top_level=True
        )

    def status(_req: Request, data: FieldData) -> Response:
        migration_id = data.get("migration_id")
        info = done.get(migration_id)
        if info is None:
            return Response(data=None)
        return Response(data={"migration_id": migration_id, "migration_info": info})

    return [
        PathSpec(
            r"remount",
            {Operation.UPDATE: remount},
            {"from": Field(FieldType.STRING, ""), "to": Field(FieldType.STRING, "")},
            sudo=True,
        ),
        PathSpec(r"remount/status/(?P<migration_id>.+)", {Operation.READ: status}, sudo=True),
    ]
