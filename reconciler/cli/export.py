"""`sealkeep export --to DIR`: write the manifests that describe a live server (VAULT_ADDR,
VAULT_TOKEN), to adopt it into Git."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.plan import state_mount_option
from reconciler.client.connection import connect
from reconciler.gitops.export import ExportOptions, export_server


@click.command("export")
@click.option(
    "--to", "to", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write into (created; existing files are never overwritten).",
)  # fmt: skip
@click.option(
    "--secrets", is_flag=True,
    help="Also write every KV secret as a SOPS file, encrypted in memory for the recipients "
    "of the .sops.yaml in DIR or above it.",
)  # fmt: skip
@state_mount_option
def export(to: Path, secrets: bool, state_mount: str) -> None:
    """Write the manifests that describe a live server.

    The server is VAULT_ADDR, read with VAULT_TOKEN; policies become HCL files, database
    root passwords are left as placeholders, and with --secrets every KV secret becomes a
    SOPS file (values encrypted in memory, never written in clear)."""
    client = connect()
    options = ExportOptions(to=to.resolve(), secrets=secrets, state_mount=state_mount)
    result = export_server(client, options)
    click.echo(f"Exported {result.objects} object(s) into {len(result.files)} file(s) in {to}.")
    for line in result.placeholders:
        click.echo(f"  placeholder  {line}")
    for line in result.skipped:
        click.echo(f"  not exported {line}")
    click.echo("Next: review, commit, then `sealkeep plan` (it adopts what it finds in sync).")
