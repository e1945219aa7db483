"""`sealkeep audit ...`: manage audit devices on a server, and verify / query audit files.

`verify` and `query` run offline on the files. Token and accessor filters are turned into the
HMACs the log holds by the server's `sys/audit-hash/<device>` (VAULT_ADDR / VAULT_TOKEN), so
the user never handles HMACs; without a server, pass `--hmac` values instead. The server calls
are `reconciler.client.audit`'s; this module parses, calls and renders.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import fields
from typing import Any

import click

from reconciler.cli.options import Session, store_command, user_input
from reconciler.cli.render import done, emit_rows
from reconciler.client import audit as audit_client
from reconciler.client.connection import connect
from reconciler.store.audit.ledger import ChainMaterial
from reconciler.store.audit.proof import load_export, save_export, verify_proved
from reconciler.store.audit.query import QueryFilter, Row, parse_when, query, summarize
from reconciler.store.audit.verify import VerifyResult, verify_files

_FILES = click.Path(exists=True, dir_okay=False, readable=True)
_OPERATIONS = ("read", "list", "create", "update", "delete", "patch")
_TABLE = (
    "{time:<30} {type:<8} {operation:<9} {display_name:<22} {remote_address:<15} "
    "{outcome:<24} {path}"
)


@click.group("audit")
def audit() -> None:
    """Audit devices: enable, disable, list; verify and query audit files."""


def _hash_values(device: str, values: tuple[str, ...]) -> tuple[str, ...]:
    # Only a filter by token or accessor needs the server (VAULT_ADDR / VAULT_TOKEN).
    return audit_client.hash_values(connect(), device, values) if values else ()


def _verify_line(result: VerifyResult) -> str:
    if result.problem is not None:
        p = result.problem
        return f"{result.path}:{p.line}: {p.kind}: {p.message}"
    if not result.lines:
        return f"{result.path}: OK, empty"
    notes = [f"OK, {result.lines} lines (seq {result.first_seq} to {result.last_seq})"]
    if result.authenticated:
        notes.append("every line authenticated with the device's key")
    if not result.starts_at_genesis:
        notes.append(f"continues a chain from {result.continues_from[:16]}...")
    if result.restarts_at_genesis:
        notes.append("chain restarted at genesis (a server restart with a fresh file)")
    if result.truncated_tail:
        notes.append("partial last line ignored (interrupted write)")
    return f"{result.path}: " + "; ".join(notes)


NOT_PROVED = (
    "authenticity NOT proved: without the device's chain key (--device NAME with VAULT_ADDR "
    "and a sudo VAULT_TOKEN, or --key-file) only the plain SHA-256 linkage is checked, which "
    "anyone able to write the file can recompute"
)


def _material(device: str | None, key_file: str | None) -> ChainMaterial | None:
    if device and key_file:
        raise click.UsageError("give --device or --key-file, not both")
    if key_file:
        try:
            return load_export(key_file)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--key-file") from None
    if device:
        return ChainMaterial.from_json(audit_client.chain_material(connect(), device))
    return None


@audit.command("verify")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@click.option("--device", help="Prove authenticity with this device's key, read from the server.")
@click.option("--key-file", type=_FILES, help="The device's key and checkpoints (export-key).")
@user_input
def verify_command(files: tuple[str, ...], device: str | None, key_file: str | None) -> None:
    """Check the chain of FILES (oldest first when several rotated files are given).

    Exits 1 and names the first edited, deleted, inserted, reordered, forged or cut line.
    """
    material = _material(device, key_file)
    if material is None:
        results = verify_files(list(files))
    else:
        results = verify_proved(list(files), material)
    for result in results:
        click.echo(_verify_line(result))
        for note in result.notes if result.ok else ():
            click.echo(f"  {note}")
    if material is None and any(r.lines for r in results if r.ok):
        click.echo(NOT_PROVED)
    if not all(r.ok for r in results):
        sys.exit(1)


@audit.command("export-key")
@click.argument("device")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="New file.")
@store_command
def export_key_command(session: Session, device: str, output: str) -> None:
    """Write DEVICE's chain key and signed checkpoints for auditors (`verify --key-file`).

    The file (mode 0600) is as secret as the key: whoever holds it can also forge lines.
    """
    material = ChainMaterial.from_json(audit_client.chain_material(session.client(), device))
    try:
        save_export(output, material)
    except FileExistsError:
        raise click.BadParameter(f"{output} exists", param_hint="--output") from None
    done(f"Exported the chain key and {len(material.checkpoints)} checkpoint(s) to: {output}")


def _filter(opts: dict[str, Any]) -> QueryFilter:
    now = time.time()
    try:
        since = parse_when(opts["since"], now) if opts["since"] else None
        until = parse_when(opts["until"], now) if opts["until"] else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    device = opts["device"]
    tokens = _hash_values(device, opts["token"])
    accessors = opts["accessor"]
    if accessors:
        # Accessors are logged raw when the device has hmac_accessor=false: match both forms.
        accessors = accessors + _hash_values(device, accessors)
    return QueryFilter(
        paths=opts["path"],
        operations=opts["operation"],
        tokens=tokens,
        accessors=accessors,
        hmacs=opts["hmac"],
        display_names=opts["display_name"],
        remote_addresses=opts["remote_address"],
        outcome=opts["outcome"],
        since=since,
        until=until,
        entry_type=opts["entry_type"],
    )


@audit.command("query")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@click.option("--path", multiple=True, help="Request path glob, e.g. 'secret/data/app/*'.")
@click.option("--operation", multiple=True, type=click.Choice(_OPERATIONS), help="Operation.")
@click.option("--token", multiple=True, help="A client token (hashed by the server).")
@click.option("--accessor", multiple=True, help="A token accessor (hashed by the server).")
@click.option("--hmac", multiple=True, help="A logged HMAC (hmac-sha256:...) of either.")
@click.option("--display-name", multiple=True, help="Display name glob.")
@click.option("--remote-address", multiple=True, help="Client address or CIDR.")
@click.option("--outcome", type=click.Choice(["ok", "error"]), help="Allowed or refused.")
@click.option("--since", help="RFC3339 time or an age such as 24h.")
@click.option("--until", help="RFC3339 time or an age such as 1h.")
@click.option(
    "--type", "entry_type", type=click.Choice(["request", "response"]), help="Entry type."
)
@click.option("--device", default="file", show_default=True, help="Device that wrote FILES.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    help="A table, or each entry as a JSON line.",
)
@user_input
def query_command(files: tuple[str, ...], fmt: str, **opts: Any) -> None:
    """Print the entries of FILES that match every filter, as a table or JSON lines."""
    flt = _filter(opts)
    if fmt == "table":
        click.echo(_TABLE.format(**{f.name: f.name.upper() for f in fields(Row)}))
    for entry in query(files, flt):
        if fmt == "json":
            click.echo(json.dumps(entry, separators=(",", ":")))
        else:
            click.echo(_TABLE.format(**summarize(entry).__dict__))


@audit.command("list")
@store_command
def list_command(session: Session) -> None:
    """List the audit devices enabled on the server."""
    result, rows = audit_client.list_devices(session.client())
    cells = [[r.path, r.type, r.options, r.description] for r in rows]
    emit_rows(session.fmt, result.raw, ("Path", "Type", "Options", "Description"), cells)


@audit.command("enable")
@click.argument("device_type", type=click.Choice(audit_client.DEVICE_TYPES))
@click.argument("options", nargs=-1)
@click.option("--path", "mount", help="Mount path (defaults to the type).")
@click.option("--description", default="", help="A note shown by `audit list`.")
@click.option("--local", is_flag=True, help="Not replicated (accepted for Vault parity).")
@store_command
def enable_command(
    session: Session,
    device_type: str,
    options: tuple[str, ...],
    mount: str | None,
    description: str,
    local: bool,
) -> None:
    """Enable a device: `sealkeep audit enable file file_path=/var/log/sealkeep/audit.log`."""
    request = audit_client.DeviceRequest(
        type=device_type,
        options=audit_client.parse_options(options),
        path=mount or "",
        description=description,
        local=local,
    )
    path = audit_client.enable_device(session.client(), request)
    done(f"Enabled the {device_type} audit device at: {path}/")


@audit.command("disable")
@click.argument("path")
@store_command
def disable_command(session: Session, path: str) -> None:
    """Disable the audit device at PATH."""
    disabled = audit_client.disable_device(session.client(), path)
    done(f"Disabled audit device (if it was enabled) at: {disabled}/")
