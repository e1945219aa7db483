"""Leases (`sys/leases/...`): look up, renew, revoke one, by prefix, or by force."""

from __future__ import annotations

import hvac

from reconciler.client.errors import ClientInputError
from reconciler.client.results import Result, as_json, result_of


def _lease_id(lease_id: str) -> str:
    clean = lease_id.strip().strip("/")
    if not clean:
        raise ClientInputError("give a lease ID")
    return clean


def lookup(client: hvac.Client, lease_id: str) -> Result:
    """A lease's issue and expire times, TTL and renewability."""
    return result_of(client.sys.read_lease(_lease_id(lease_id)))


def renew(client: hvac.Client, lease_id: str, increment: str | None) -> Result:
    """Ask for `increment` more time on a lease; the table shows the new lease."""
    raw = as_json(client.sys.renew_lease(_lease_id(lease_id), increment=increment))
    shown = {k: raw.get(k) for k in ("lease_id", "lease_duration", "renewable")}
    return Result(raw=raw, data=shown)


def revoke(
    client: hvac.Client, lease_id: str, *, prefix: bool = False, force: bool = False
) -> None:
    """Revoke a lease; `prefix` every lease under it; `force` too, ignoring backend errors."""
    clean = _lease_id(lease_id)
    if force and not prefix:
        raise ClientInputError("-force needs -prefix")
    if force:
        client.sys.revoke_force(clean)
    elif prefix:
        client.sys.revoke_prefix(clean)
    else:
        client.sys.revoke_lease(clean)
