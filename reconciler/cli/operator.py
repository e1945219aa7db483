"""`sealkeep status` and `sealkeep operator init|unseal|seal|rotate|key-status`."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import Session, store_command
from reconciler.cli.render import done, emit
from reconciler.cli.terminal import read_secret
from reconciler.client import sys_ops
from reconciler.client.results import JSONDict

_STATUS_KEYS = (
    ("Seal Type", "type"),
    ("Initialized", "initialized"),
    ("Sealed", "sealed"),
    ("Total Shares", "n"),
    ("Threshold", "t"),
    ("Unseal Progress", "progress"),
    ("Unseal Nonce", "nonce"),
    ("Version", "version"),
    ("Storage Type", "storage_type"),
    ("Cluster Name", "cluster_name"),
    ("Cluster ID", "cluster_id"),
)


def _status_table(status: JSONDict) -> JSONDict:
    table = {label: status.get(key) for label, key in _STATUS_KEYS if key in status}
    if not status.get("sealed"):
        table.pop("Unseal Progress", None)
        table.pop("Unseal Nonce", None)
    return table


@click.command("status")
@store_command
def status(session: Session) -> None:
    """Show whether the server is initialised and sealed (no token needed)."""
    result = sys_ops.seal_status(session.client())
    emit(session.fmt, result.raw, _status_table(result.data), sort=False)


@click.group("operator")
def operator() -> None:
    """Initialise, unseal, seal and rotate the store's keys."""


@operator.command("init")
@click.option(
    "-key-shares",
    "--key-shares",
    type=int,
    default=5,
    show_default=True,
    help="How many unseal key shares to make.",
)
@click.option(
    "-key-threshold",
    "--key-threshold",
    type=int,
    default=3,
    show_default=True,
    help="How many shares it takes to unseal.",
)
@store_command
def init(session: Session, key_shares: int, key_threshold: int) -> None:
    """Initialise a new server: prints the unseal key shares and the root token, once."""
    result = sys_ops.initialize(session.client(), key_shares, key_threshold)
    if session.fmt == "json":
        emit("json", result.raw, {})
        return
    for number, key in enumerate(result.data.get("keys") or [], start=1):
        click.echo(f"Unseal Key {number}: {key}")
    click.echo(f"\nInitial Root Token: {result.data.get('root_token', '')}")
    click.echo(
        f"\nThe store is initialised with {key_shares} key shares and a threshold of "
        f"{key_threshold}. Keep the shares apart; they are not shown again."
    )


@operator.command("unseal")
@click.argument("key", required=False)
@click.option("-reset", "--reset", is_flag=True, help="Forget the key shares given so far.")
@store_command
def unseal(session: Session, key: str | None, reset: bool) -> None:
    """Give one unseal key share (asked for, hidden, when KEY is not given; else from stdin)."""
    client = session.client()
    if reset:
        result = sys_ops.reset_unseal(client)
    else:
        share = key if key else read_secret("Unseal Key (will be hidden)")
        result = sys_ops.unseal(client, share)
    emit(session.fmt, result.raw, _status_table(result.data), sort=False)


@operator.command("seal")
@store_command
def seal(session: Session) -> None:
    """Seal the server (needs a token with sudo on sys/seal)."""
    sys_ops.seal(session.client())
    done("Sealed the store.")


@operator.command("rotate")
@store_command
def rotate(session: Session) -> None:
    """Add a new encryption key term; old entries stay readable."""
    result = sys_ops.rotate(session.client())
    emit(session.fmt, result.raw, {"Key Term": result.data.get("term"), **_installed(result.data)})


@operator.command("key-status")
@store_command
def key_status(session: Session) -> None:
    """Show the active encryption key term."""
    result = sys_ops.key_status(session.client())
    emit(session.fmt, result.raw, {"Key Term": result.data.get("term"), **_installed(result.data)})


def _installed(data: JSONDict) -> JSONDict:
    return {"Install Time": data.get("install_time"), "Encryption Count": data.get("encryptions")}


@operator.command("migrate")
@click.option(
    "-config",
    "--config",
    "config_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="HCL or YAML file with storage_source and storage_destination blocks (Vault's shape).",
)
@click.option("-start", "--start", default="", help="Copy only keys from this one on (resume).")
@click.option(
    "--force",
    is_flag=True,
    help="Copy into a destination that already holds data (matching keys are overwritten).",
)
def migrate(config_path: Path, start: str, force: bool) -> None:
    """Copy every entry from one storage backend to another, offline, and verify the copy.

    Stop the server first. Entries stay encrypted: the same unseal keys open the destination.
    """
    from reconciler.server.migrate import run_migration  # storage drivers only when used

    result = run_migration(config_path, force=force, start=start)
    done(
        f"Success! All of the keys have been migrated: {result.copied} entries copied, "
        f"{result.verified} read back and verified."
    )


@operator.group("snapshot")
def snapshot() -> None:
    """Save the whole store to a file, or restore one (both need sudo)."""


@snapshot.command("save")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@store_command
def snapshot_save(session: Session, file: Path) -> None:
    """Write a consistent snapshot of all storage to FILE (still encrypted; mode 0600)."""
    data = sys_ops.snapshot_save(session.client())
    file.touch(mode=0o600, exist_ok=True)
    file.write_bytes(data)
    done(f"Saved a snapshot of {len(data)} bytes to {file}.")


@snapshot.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-force",
    "--force",
    is_flag=True,
    help="Restore a snapshot taken by another store (it replaces everything here).",
)
@store_command
def snapshot_restore(session: Session, file: Path, force: bool) -> None:
    """Replace the whole store with FILE; the server seals and needs that store's unseal keys."""
    sys_ops.snapshot_restore(session.client(), file.read_bytes(), force=force)
    done("Restored the snapshot. The server is sealed: unseal it with the snapshot's key shares.")


def _share(key: str | None) -> str:
    return key if key and key != "-" else read_secret("Unseal Key (will be hidden)")


@operator.command("rekey")
@click.argument("key", required=False)
@click.option("-init", "--init", "start", is_flag=True, help="Start a rekey.")
@click.option(
    "-key-shares",
    "--key-shares",
    type=int,
    default=5,
    show_default=True,
    help="How many new shares to make (with -init).",
)
@click.option(
    "-key-threshold",
    "--key-threshold",
    type=int,
    default=3,
    show_default=True,
    help="How many new shares unseal (with -init).",
)
@click.option(
    "-verify",
    "--verify",
    is_flag=True,
    help="With -init: new shares take effect only once given back; else give one.",
)
@click.option("-nonce", "--nonce", default="", help="The attempt's nonce (from -init or -status).")
@click.option("-status", "--status", "show", is_flag=True, help="Show the attempt in progress.")
@click.option("-cancel", "--cancel", is_flag=True, help="Forget the attempt in progress.")
@store_command
def rekey(
    session: Session,
    key: str | None,
    start: bool,
    key_shares: int,
    key_threshold: int,
    verify: bool,
    nonce: str,
    show: bool,
    cancel: bool,
) -> None:
    """Replace the unseal key shares (a threshold of the current shares is needed).

    KEY is one current share (new share with -verify); "-" or nothing reads it hidden.
    """
    client = session.client()
    if cancel:
        sys_ops.rekey_cancel(client)
        done("Cancelled the rekey.")
        return
    if start:
        result = sys_ops.rekey_start(client, key_shares, key_threshold, verify)
    elif show:
        result = sys_ops.rekey_status(client)
    else:
        result = sys_ops.rekey_update(client, _share(key), nonce, verify=verify)
    emit(session.fmt, result.raw, result.data)


@operator.command("generate-root")
@click.argument("key", required=False)
@click.option("-init", "--init", "start", is_flag=True, help="Start a root token generation.")
@click.option("-otp", "--otp", default="", help="The one-time password (with -init or -decode).")
@click.option("-nonce", "--nonce", default="", help="The attempt's nonce (from -init or -status).")
@click.option("-decode", "--decode", "encoded", default="", help="Decode this encoded token.")
@click.option("-status", "--status", "show", is_flag=True, help="Show the attempt in progress.")
@click.option("-cancel", "--cancel", is_flag=True, help="Forget the attempt in progress.")
@store_command
def generate_root(
    session: Session,
    key: str | None,
    start: bool,
    otp: str,
    nonce: str,
    encoded: str,
    show: bool,
    cancel: bool,
) -> None:
    """Make a new root token from a threshold of unseal key shares.

    The token comes back XOR-ed with the OTP; `-decode ENCODED -otp OTP` reveals it locally.
    """
    if encoded:
        click.echo(sys_ops.decode_root_token(encoded, otp))
        return
    client = session.client()
    if cancel:
        sys_ops.generate_root_cancel(client)
        done("Cancelled the root generation.")
        return
    if start:
        result = sys_ops.generate_root_start(client, otp)
    elif show:
        result = sys_ops.generate_root_status(client)
    else:
        result = sys_ops.generate_root_update(client, _share(key), nonce)
    emit(session.fmt, result.raw, result.data)
