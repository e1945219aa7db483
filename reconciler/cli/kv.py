"""`sealkeep kv get|put|patch|list|delete|undelete|destroy|metadata`: KV v1 and v2 secrets.

Paths work as in the vault CLI: `secret/app/db`, or `-mount secret app/db`; a path that names
no mount is taken below `secret/`.
"""

from __future__ import annotations

from types import ModuleType

import click

from reconciler.cli.options import Session, stdin, store_command
from reconciler.cli.render import done, emit, emit_field, emit_keys, emit_sections
from reconciler.cli.wrapping import emit_if_wrapped, wrap_ttl_option
from reconciler.client.args import parse_kv_args, parse_pairs, parse_versions
from reconciler.client.kvmodel import DEFAULT_MOUNT, KvLocation
from reconciler.client.kvread import fast_get
from reconciler.client.results import JSONDict


def kv_client() -> ModuleType:
    """`reconciler.client.kv`, imported when a command runs: it imports hvac, and a plain
    `kv get` (see `reconciler.client.kvread`) needs neither."""
    from reconciler.client import kv

    return kv


_mount = click.option(
    "-mount",
    "--mount",
    default=None,
    help=f"The KV mount (default: the mount the path names, else {DEFAULT_MOUNT}).",
)
_versions = click.option("-versions", "--versions", default=None, help="Versions: 1,2,3.")
_cas = click.option("-cas", "--cas", type=int, default=None, help="Check-and-set version.")


@click.group("kv")
def kv_group() -> None:
    """Read and write KV secrets (v1 and v2)."""


@kv_group.command("get")
@click.argument("path")
@_mount
@click.option("-version", "--version", "version", type=int, default=None, help="This version (v2).")
@click.option("-field", "--field", default=None, help="Print only this key's value.")
@wrap_ttl_option
@store_command
def get(
    session: Session,
    path: str,
    mount: str | None,
    version: int | None,
    field: str | None,
    wrap_ttl: str | None,
) -> None:
    """Print a secret's data (and, for v2, its version metadata)."""
    secret = None if wrap_ttl else fast_get(session.address, session.token, path, mount, version)
    if secret is None:  # anything but a plain read: the full client, its errors and hints
        secret = kv_client().get(session.client(), path, mount, version, wrap_ttl)
    if emit_if_wrapped(session, secret.raw, field):
        return
    if field:
        emit_field(secret.data, field)
        return
    emit_sections(
        session.fmt, secret.raw, [("Metadata", secret.metadata), ("Data", secret.data or {})]
    )


@kv_group.command("put")
@click.argument("path")
@click.argument("data", nargs=-1)
@_mount
@_cas
@store_command
def put(
    session: Session, path: str, data: tuple[str, ...], mount: str | None, cas: int | None
) -> None:
    """Write DATA (key=value, key=@file, key=-, or - for JSON on stdin) as the whole secret."""
    values = parse_kv_args(data, stdin())
    loc, result = kv_client().put(session.client(), path, mount, values, cas)
    _written(session, loc, result.raw, result.data)


@kv_group.command("patch")
@click.argument("path")
@click.argument("data", nargs=-1)
@_mount
@_cas
@store_command
def patch(
    session: Session, path: str, data: tuple[str, ...], mount: str | None, cas: int | None
) -> None:
    """Merge DATA into the latest version of a KV v2 secret."""
    values = parse_kv_args(data, stdin())
    loc, result = kv_client().patch(session.client(), path, mount, values, cas)
    _written(session, loc, result.raw, result.data)


def _written(session: Session, loc: KvLocation, raw: JSONDict, table: JSONDict) -> None:
    if table or session.fmt == "json":
        emit(session.fmt, raw, table)
    else:
        done(f"Data written to: {loc.display}")


@kv_group.command("list")
@click.argument("path", default="")
@_mount
@store_command
def list_(session: Session, path: str, mount: str | None) -> None:
    """List the keys under PATH."""
    listing = kv_client().list_keys(session.client(), path, mount)
    emit_keys(session.fmt, listing.raw, listing.keys)


@kv_group.command("delete")
@click.argument("path")
@_mount
@_versions
@store_command
def delete(session: Session, path: str, mount: str | None, versions: str | None) -> None:
    """Soft-delete the latest version (or -versions) of a secret."""
    loc = kv_client().delete(session.client(), path, mount, parse_versions(versions))
    done(f"Data deleted (if it existed) at: {loc.display}")


@kv_group.command("undelete")
@click.argument("path")
@_mount
@_versions
@store_command
def undelete(session: Session, path: str, mount: str | None, versions: str | None) -> None:
    """Restore soft-deleted -versions of a KV v2 secret."""
    loc = kv_client().undelete(session.client(), path, mount, parse_versions(versions))
    done(f"Data restored at: {loc.display}")


@kv_group.command("destroy")
@click.argument("path")
@_mount
@_versions
@store_command
def destroy(session: Session, path: str, mount: str | None, versions: str | None) -> None:
    """Destroy -versions of a KV v2 secret for good."""
    loc = kv_client().destroy(session.client(), path, mount, parse_versions(versions))
    done(f"Data destroyed at: {loc.display}")


@kv_group.group("metadata")
def metadata() -> None:
    """Read, set and delete KV v2 metadata."""


@metadata.command("get")
@click.argument("path")
@_mount
@store_command
def metadata_get(session: Session, path: str, mount: str | None) -> None:
    """Print a secret's metadata and its versions."""
    result = kv_client().metadata_get(session.client(), path, mount)
    versions = result.data.get("versions") or {}
    summary = {k: v for k, v in result.data.items() if k != "versions"}
    sections = [("Metadata", summary)]
    sections += [(f"Version {n}", versions[n]) for n in sorted(versions, key=int)]
    emit_sections(session.fmt, result.raw, sections)


@metadata.command("put")
@click.argument("path")
@_mount
@click.option("-max-versions", "--max-versions", type=int, default=None, help="Versions kept.")
@click.option(
    "-cas-required", "--cas-required", type=bool, default=None,
    help="true: every write must give -cas.",
)  # fmt: skip
@click.option(
    "-delete-version-after", "--delete-version-after", default=None,
    help="Delete versions this long after they are written, e.g. 720h (0: never).",
)  # fmt: skip
@click.option("-custom-metadata", "--custom-metadata", multiple=True, help="key=value, repeated.")
@store_command
def metadata_put(
    session: Session,
    path: str,
    mount: str | None,
    max_versions: int | None,
    cas_required: bool | None,
    delete_version_after: str | None,
    custom_metadata: tuple[str, ...],
) -> None:
    """Set metadata fields of a KV v2 secret (the others stay as they are)."""
    update = kv_client().MetadataUpdate(
        max_versions=max_versions,
        cas_required=cas_required,
        delete_version_after=delete_version_after,
        custom_metadata=parse_pairs(custom_metadata, "-custom-metadata") or None,
    )
    loc = kv_client().metadata_put(session.client(), path, mount, update)
    done(f"Metadata written to: {loc.display}")


@metadata.command("delete")
@click.argument("path")
@_mount
@store_command
def metadata_delete(session: Session, path: str, mount: str | None) -> None:
    """Delete a KV v2 secret's metadata and all its versions."""
    loc = kv_client().metadata_delete(session.client(), path, mount)
    done(f"Metadata and all versions deleted at: {loc.display}")


# The COMMANDS table names each attribute after its command.
kv = kv_group
