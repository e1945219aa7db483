"""`sealkeep secrets enable|disable|list` and `sealkeep auth enable|disable|list`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from reconciler.cli.options import Session, store_command
from reconciler.cli.render import done, emit_rows
from reconciler.client import mounts
from reconciler.client.mounts import MountKind, MountRow

_BRIEF = ("Path", "Type", "Accessor", "Description")
_DETAILED = (*_BRIEF, "Default TTL", "Max TTL", "Options", "UUID")


def _cells(row: MountRow, detailed: bool) -> list[str]:
    cells = [row.path, row.type, row.accessor, row.description]
    if detailed:
        cells += [row.default_lease_ttl, row.max_lease_ttl, row.options, row.uuid]
    return cells


def _ttl_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "-max-lease-ttl", "--max-lease-ttl", default=None, help="Longest lease, e.g. 768h."
    )(func)
    func = click.option(
        "-default-lease-ttl", "--default-lease-ttl", default=None, help="Lease TTL, e.g. 1h."
    )(func)
    func = click.option(
        "-description", "--description", default="", help="A note shown by `list`."
    )(func)
    return click.option("-path", "--path", default="", help="Default: the type.")(func)


def _list(session: Session, kind: MountKind, detailed: bool) -> None:
    result, rows = mounts.list_mounts(session.client(), kind)
    headers = _DETAILED if detailed else _BRIEF
    emit_rows(session.fmt, result.raw, headers, [_cells(r, detailed) for r in rows])


@click.group("secrets")
def secrets() -> None:
    """Enable, disable and list secrets engines."""


@secrets.command("enable")
@click.argument("engine_type", metavar="TYPE")
@_ttl_options
@click.option(
    "-version", "--version", "kv_version", type=click.IntRange(1, 2), default=None,
    help="KV version (1 or 2), for TYPE kv.",
)  # fmt: skip
@store_command
def secrets_enable(session: Session, engine_type: str, kv_version: int | None, **opts: Any) -> None:
    """Mount a secrets engine of TYPE (kv, database, ...)."""
    request = mounts.MountRequest(type=engine_type, version=kv_version, **opts)
    path = mounts.enable_secrets(session.client(), request)
    done(f"Enabled the {engine_type} secrets engine at: {path}/")


@secrets.command("disable")
@click.argument("path")
@store_command
def secrets_disable(session: Session, path: str) -> None:
    """Unmount the secrets engine at PATH, deleting its data."""
    mounts.disable(session.client(), "secrets", path)
    done(f"Disabled the secrets engine (if it existed) at: {path.strip('/')}/")


@secrets.command("list")
@click.option("-detailed", "--detailed", is_flag=True, help="Also TTLs, options and UUIDs.")
@store_command
def secrets_list(session: Session, detailed: bool) -> None:
    """List the mounted secrets engines."""
    _list(session, "secrets", detailed)


@click.group("auth")
def auth() -> None:
    """Enable, disable and list auth methods."""


@auth.command("enable")
@click.argument("method_type", metavar="TYPE")
@_ttl_options
@store_command
def auth_enable(session: Session, method_type: str, **opts: Any) -> None:
    """Enable an auth method of TYPE (approle, userpass, jwt, kubernetes, ...)."""
    path = mounts.enable_auth(session.client(), mounts.MountRequest(type=method_type, **opts))
    done(f"Enabled the {method_type} auth method at: {path}/")


@auth.command("disable")
@click.argument("path")
@store_command
def auth_disable(session: Session, path: str) -> None:
    """Disable the auth method at PATH, revoking its tokens."""
    mounts.disable(session.client(), "auth", path)
    done(f"Disabled the auth method (if it existed) at: {path.strip('/')}/")


@auth.command("list")
@click.option("-detailed", "--detailed", is_flag=True, help="Also TTLs, options and UUIDs.")
@store_command
def auth_list(session: Session, detailed: bool) -> None:
    """List the enabled auth methods."""
    _list(session, "auth", detailed)
