"""sys/locked-users (list the locked-out login aliases) and .../unlock/<alias> (Vault 1.13+)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Response

if TYPE_CHECKING:
    from reconciler.store.core import Core

READ, UPDATE = Operation.READ, Operation.UPDATE


def paths(core: Core) -> list[PathSpec]:
    """The lock-out listing and the unlock call."""
    return [
        PathSpec(
            r"locked-users",
            {READ: lambda r, d: _list(core, d)},
            {"mount_accessor": Field(FieldType.STRING, "")},
        ),
        PathSpec(
            r"locked-users/(?P<mount_accessor>[^/]+)/unlock/(?P<alias_identifier>.+)",
            {UPDATE: lambda r, d: _unlock(core, d)},
        ),
    ]


def _list(core: Core, data: FieldData) -> Response:
    """Vault's shape: counts per namespace (only the root one here) and per mount accessor."""
    runtime = core.require_runtime()
    locked = runtime.lockout.locked(runtime.mounts.mounts())
    wanted = data.get("mount_accessor")
    if wanted:
        locked = {wanted: locked.get(wanted, [])}
    accessors: list[dict[str, Any]] = [
        {"mount_accessor": accessor, "counts": len(aliases), "alias_identifiers": aliases or None}
        for accessor, aliases in sorted(locked.items())
    ]
    total = sum(len(aliases) for aliases in locked.values())
    namespace = {
        "namespace_id": "root",
        "namespace_path": "",
        "counts": total,
        "mount_accessors": accessors,
    }
    return Response(data={"by_namespace": [namespace], "total": total})


def _unlock(core: Core, data: FieldData) -> None:
    """Lift one lock; an alias that is not locked is not an error (as in Vault)."""
    core.require_runtime().lockout.unlock(data.get("mount_accessor"), data.get("alias_identifier"))
