"""sys/audit and sys/audit-hash (both root-protected, as in Vault), and sys/audit-chain.

`sys/audit-chain/<path>` (Sealkeep's own, sudo) returns a device's chain key and signed
checkpoints, which `sealkeep audit verify` needs to prove a file authentic and complete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.store.errors import BadRequest
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.mounts import normalize_mount_path

if TYPE_CHECKING:
    from reconciler.store.audit.broker import AuditBroker
    from reconciler.store.core import Core

READ, UPDATE, DELETE = Operation.READ, Operation.UPDATE, Operation.DELETE
ENABLE_FIELDS = {
    "type": Field(FieldType.STRING, ""),
    "description": Field(FieldType.STRING, ""),
    "options": Field(FieldType.KV_MAP, {}),
    "local": Field(FieldType.BOOL, False),
}


def paths(core: Core) -> list[PathSpec]:
    """Audit device control."""

    def broker() -> AuditBroker:
        return core.require_runtime().audit

    def list_devices(_req: Request, _data: FieldData) -> Response:
        return Response(data=broker().list(), inject_top_level=True)

    def enable(_req: Request, data: FieldData) -> None:
        path = normalize_mount_path(data.get("path")).rstrip("/")
        broker().enable(
            path, data.get("type"), data.get("description"), data.get("options"), data.get("local")
        )

    def disable(_req: Request, data: FieldData) -> None:
        broker().disable(normalize_mount_path(data.get("path")).rstrip("/"))

    def audit_hash(_req: Request, data: FieldData) -> Response:
        value = data.get("input")
        if not value:
            raise BadRequest('the "input" parameter is empty')
        path = normalize_mount_path(data.get("path")).rstrip("/")
        return Response(data={"hash": broker().hash(path, value)}, inject_top_level=True)

    def audit_chain(_req: Request, data: FieldData) -> Response:
        path = normalize_mount_path(data.get("path")).rstrip("/")
        return Response(data=broker().chain_material(path).to_json())

    return [
        PathSpec(r"audit/?", {READ: list_devices}, sudo=True),
        PathSpec(r"audit-chain/(?P<path>.+)", {READ: audit_chain}, sudo=True),
        PathSpec(
            r"audit/(?P<path>.+)", {UPDATE: enable, DELETE: disable}, ENABLE_FIELDS, sudo=True
        ),
        PathSpec(
            r"audit-hash/(?P<path>.+)",
            {UPDATE: audit_hash},
            {"input": Field(FieldType.STRING, "")},
            sudo=True,
        ),
    ]
