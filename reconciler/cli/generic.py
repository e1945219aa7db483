"""`sealkeep read|write|delete|list PATH`: any API path, as the vault CLI's generic commands."""

from __future__ import annotations

import click

from reconciler.cli.options import Session, stdin, store_command
from reconciler.cli.render import done, emit, emit_field, emit_keys
from reconciler.cli.wrapping import emit_if_wrapped, wrap_ttl_option
from reconciler.client import generic
from reconciler.client.args import parse_kv_args
from reconciler.client.wrapping import wrapping


@click.command("read")
@click.argument("path")
@click.option("-field", "--field", default=None, help="Print only this field's value.")
@wrap_ttl_option
@store_command
def read(session: Session, path: str, field: str | None, wrap_ttl: str | None) -> None:
    """Read PATH, any API path such as auth/approle/role/web/role-id."""
    client = session.client()
    with wrapping(client, wrap_ttl):
        result = generic.read(client, path)
    if emit_if_wrapped(session, result.raw, field):
        return
    if field:
        emit_field(result.data, field)
    else:
        emit(session.fmt, result.raw, result.data)


@click.command("write")
@click.argument("path")
@click.argument("data", nargs=-1)
@click.option("-force", "-f", "--force", is_flag=True, help="Write even with no data.")
@click.option("-field", "--field", default=None, help="Print only this field of the answer.")
@wrap_ttl_option
@store_command
def write(
    session: Session,
    path: str,
    data: tuple[str, ...],
    force: bool,
    field: str | None,
    wrap_ttl: str | None,
) -> None:
    """Write DATA to PATH: key=value, key=@file, key=- (stdin), or - (a JSON object on stdin)."""
    client = session.client()
    with wrapping(client, wrap_ttl):
        result = generic.write(client, path, parse_kv_args(data, stdin()), force)
    if emit_if_wrapped(session, result.raw, field):
        return
    if field:
        emit_field(result.data, field)
    elif result.raw:
        emit(session.fmt, result.raw, result.data)
    else:
        done(f"Data written to: {path.strip('/')}")


@click.command("delete")
@click.argument("path")
@store_command
def delete(session: Session, path: str) -> None:
    """Delete PATH."""
    generic.delete(session.client(), path)
    done(f"Data deleted (if it existed) at: {path.strip('/')}")


@click.command("list")
@click.argument("path")
@store_command
def list_(session: Session, path: str) -> None:
    """List the keys under PATH."""
    listing = generic.list_keys(session.client(), path)
    emit_keys(session.fmt, listing.raw, listing.keys)


# The COMMANDS table names each attribute after its command.
list = list_
