"""sys/leases/* (and the legacy sys/renew, sys/revoke, sys/revoke-prefix)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.store.auth.token_leases import TokenLeases, is_token_lease
from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response, Secret

if TYPE_CHECKING:
    from reconciler.store.core import Core
    from reconciler.store.leases import LeaseManager

READ, UPDATE, LIST = Operation.READ, Operation.UPDATE, Operation.LIST
LEASE_FIELDS = {
    "lease_id": Field(FieldType.STRING, ""),
    "url_lease_id": Field(FieldType.STRING, ""),
    "increment": Field(FieldType.DURATION, 0),
    "sync": Field(FieldType.BOOL, True),
    "prefix": Field(FieldType.STRING, ""),
}


def paths(core: Core) -> list[PathSpec]:
    """Lease lookup, renew and revoke."""

    def leases() -> LeaseManager:
        return core.require_runtime().leases

    def token_leases() -> TokenLeases:
        return TokenLeases(core.require_runtime().tokens)

    def lease_id(data: FieldData) -> str:
        found = data.get("url_lease_id") or data.get("lease_id")
        if not found:
            raise BadRequest("lease_id must be specified")
        return found

    def lookup(_req: Request, data: FieldData) -> Response:
        wanted = lease_id(data)
        if is_token_lease(wanted):
            return Response(data=token_leases().lookup(wanted))
        return Response(data=leases().lookup(wanted))

    def list_prefix(_req: Request, data: FieldData) -> Response:
        prefix = data.get("prefix")
        folder = prefix.rstrip("/") + "/" if prefix else ""
        keys = sorted(set(leases().list(folder)) | set(token_leases().list(folder)))
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})

    def renew(_req: Request, data: FieldData) -> Response:
        wanted = lease_id(data)
        if wanted.startswith("auth/"):
            raise BadRequest("tokens cannot be renewed through this endpoint")
        lease, warnings = leases().renew(wanted, data.get("increment"))
        ttl = max(round(lease.expire_time - lease.last_renewal), 0)  # the renewed TTL, exactly
        secret = Secret(ttl=ttl, renewable=lease.renewable, lease_id=lease.lease_id)
        return Response(secret=secret, warnings=warnings)

    def revoke(_req: Request, data: FieldData) -> Response | None:
        wanted = lease_id(data)
        if is_token_lease(wanted):
            token_leases().revoke(wanted)
        else:
            leases().revoke(wanted)
        return None if data.get("sync") else Response(status=202)

    def revoke_prefix(_req: Request, data: FieldData) -> Response | None:
        leases().revoke_prefix(data.get("prefix"))
        token_leases().revoke_prefix(data.get("prefix"))
        return None if data.get("sync") else Response(status=202)

    def revoke_force(_req: Request, data: FieldData) -> None:
        leases().revoke_prefix(data.get("prefix"), force=True)
        token_leases().revoke_prefix(data.get("prefix"))

    lease_url = r"(?:/(?P<url_lease_id>.+))?"
    return [
        PathSpec(r"leases/lookup/?", {UPDATE: lookup, LIST: list_prefix}, LEASE_FIELDS),
        PathSpec(r"leases/lookup/(?P<prefix>.+)", {LIST: list_prefix}, LEASE_FIELDS, sudo=True),
        PathSpec(r"(?:leases/)?renew" + lease_url, {UPDATE: renew}, LEASE_FIELDS),
        PathSpec(
            r"(?:leases/)?revoke-prefix/(?P<prefix>.+)",
            {UPDATE: revoke_prefix},
            LEASE_FIELDS,
            sudo=True,
        ),
        PathSpec(
            r"leases/revoke-force/(?P<prefix>.+)", {UPDATE: revoke_force}, LEASE_FIELDS, sudo=True
        ),
        PathSpec(r"(?:leases/)?revoke" + lease_url, {UPDATE: revoke}, LEASE_FIELDS),
    ]
