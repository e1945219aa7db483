"""`sealkeep lease lookup|renew|revoke`."""

from __future__ import annotations

import click

from reconciler.cli.options import Session, store_command
from reconciler.cli.render import done, emit
from reconciler.client import leases


@click.group("lease")
def lease() -> None:
    """Look up, renew and revoke leases."""


@lease.command("lookup")
@click.argument("lease_id")
@store_command
def lookup(session: Session, lease_id: str) -> None:
    """Show a lease's issue and expire times and its TTL."""
    result = leases.lookup(session.client(), lease_id)
    emit(session.fmt, result.raw, result.data)


@lease.command("renew")
@click.argument("lease_id")
@click.option("-increment", "-i", "--increment", default=None, help="e.g. 1h")
@store_command
def renew(session: Session, lease_id: str, increment: str | None) -> None:
    """Ask for more time on a lease."""
    result = leases.renew(session.client(), lease_id, increment)
    emit(session.fmt, result.raw, result.data, sort=False)


@lease.command("revoke")
@click.argument("lease_id")
@click.option("-prefix", "--prefix", is_flag=True, help="Revoke every lease under LEASE_ID.")
@click.option("-force", "--force", is_flag=True, help="With -prefix: ignore backend errors.")
@store_command
def revoke(session: Session, lease_id: str, prefix: bool, force: bool) -> None:
    """Revoke a lease (or, with -prefix, all leases under a prefix)."""
    leases.revoke(session.client(), lease_id, prefix=prefix, force=force)
    what = "all leases under" if prefix else "lease"
    done(f"Revoked {what} {lease_id.strip('/')}")
