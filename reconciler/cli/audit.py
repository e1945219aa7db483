"""`sealkeep audit ...`: manage audit devices on a server, and verify / query audit files.

`verify` and `query` run offline on the files. Token and accessor filters are turned into the
HMACs the log holds by the server's `sys/audit-hash/<device>` (VAULT_ADDR / VAULT_TOKEN), so
the user never handles HMACs; without a server, pass `--hmac` values instead.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import fields
from typing import Any

import click
import hvac
import hvac.exceptions
import requests

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


def _client() -> hvac.Client:
    addr, token = os.environ.get("VAULT_ADDR", ""), os.environ.get("VAULT_TOKEN", "")
    if not addr or not token:
        raise click.ClickException(
            "VAULT_ADDR and VAULT_TOKEN must be set to reach the server "
            "(offline, filter with --hmac hmac-sha256:... instead)"
        )
    return hvac.Client(url=addr, token=token)


def _server_call(what: str, call: Any) -> Any:
    """Run one hvac call; map its failures to a user error that never echoes a value."""
    try:
        return call()
    except hvac.exceptions.VaultError as exc:
        raise click.ClickException(f"{what}: {exc}") from None
    except requests.RequestException as exc:
        raise click.ClickException(
            f"{what}: cannot reach the server ({type(exc).__name__})"
        ) from None


def _hash_values(device: str, values: tuple[str, ...]) -> tuple[str, ...]:
    if not values:
        return ()
    client = _client()
    hashes = []
    for value in values:
        resp = _server_call(
            f"sys/audit-hash/{device}",
            lambda v=value: client.sys.calculate_hash(path=device, input_to_hash=v),
        )
        hashes.append(str(resp["data"]["hash"]))
    return tuple(hashes)


def _verify_line(result: VerifyResult) -> str:
    if result.problem is not None:
        p = result.problem
        return f"{result.path}:{p.line}: {p.kind}: {p.message}"
    if not result.lines:
        return f"{result.path}: OK, empty"
    notes = [f"OK, {result.lines} lines (seq {result.first_seq} to {result.last_seq})"]
    if not result.starts_at_genesis:
        notes.append(f"continues a chain from {result.continues_from[:16]}...")
    if result.restarts_at_genesis:
        notes.append("chain restarted at genesis (a server restart with a fresh file)")
    if result.truncated_tail:
        notes.append("partial last line ignored (interrupted write)")
    return f"{result.path}: " + "; ".join(notes)


@audit.command("verify")
@click.argument("files", nargs=-1, required=True, type=_FILES)
def verify_command(files: tuple[str, ...]) -> None:
    """Check the hash chain of FILES (oldest first when several rotated files are given).

    Exits 1 and names the first edited, deleted, inserted or reordered line.
    """
    results = verify_files(list(files))
    for result in results:
        click.echo(_verify_line(result))
    if not all(r.ok for r in results):
        sys.exit(1)


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
@click.option("--operation", multiple=True, type=click.Choice(_OPERATIONS))
@click.option("--token", multiple=True, help="A client token (hashed by the server).")
@click.option("--accessor", multiple=True, help="A token accessor (hashed by the server).")
@click.option("--hmac", multiple=True, help="A logged HMAC (hmac-sha256:...) of either.")
@click.option("--display-name", multiple=True, help="Display name glob.")
@click.option("--remote-address", multiple=True, help="Client address or CIDR.")
@click.option("--outcome", type=click.Choice(["ok", "error"]))
@click.option("--since", help="RFC3339 time or an age such as 24h.")
@click.option("--until", help="RFC3339 time or an age such as 1h.")
@click.option("--type", "entry_type", type=click.Choice(["request", "response"]))
@click.option("--device", default="file", show_default=True, help="Device that wrote FILES.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
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
def list_command() -> None:
    """List the audit devices enabled on the server."""
    client = _client()
    resp = _server_call("sys/audit", client.sys.list_enabled_audit_devices)
    for path, info in sorted(resp.get("data", {}).items()):
        options = ",".join(f"{k}={v}" for k, v in sorted(info.get("options", {}).items()))
        click.echo(f"{path:<16} {info.get('type', ''):<8} {options}  {info.get('description', '')}")


@audit.command("enable")
@click.argument("device_type", type=click.Choice(["file", "socket"]))
@click.argument("options", nargs=-1)
@click.option("--path", "mount", help="Mount path (defaults to the type).")
@click.option("--description", default="")
@click.option("--local", is_flag=True)
def enable_command(
    device_type: str, options: tuple[str, ...], mount: str | None, description: str, local: bool
) -> None:
    """Enable a device: `sealkeep audit enable file file_path=/var/log/sealkeep/audit.log`."""
    parsed: dict[str, str] = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected key=value, got {item!r}", param_hint="OPTIONS")
        parsed[key] = value
    client = _client()
    path = mount or device_type
    _server_call(
        f"sys/audit/{path}",
        lambda: client.sys.enable_audit_device(
            device_type, description=description, options=parsed, path=path, local=local
        ),
    )
    click.echo(f"Success! Enabled the {device_type} audit device at: {path}/")


@audit.command("disable")
@click.argument("path")
def disable_command(path: str) -> None:
    """Disable the audit device at PATH."""
    client = _client()
    _server_call(f"sys/audit/{path}", lambda: client.sys.disable_audit_device(path))
    click.echo(f"Success! Disabled audit device (if it was enabled) at: {path.strip('/')}/")
