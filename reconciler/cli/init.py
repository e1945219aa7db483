"""`sealkeep init [DIR]`: scaffold a Sealkeep repo; the new age key stays outside it."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.errors import user_errors
from reconciler.gitops.scaffold import init_repo


@click.command("init")
@click.argument(
    "directory", type=click.Path(path_type=Path, dir_okay=True, file_okay=False), default="."
)
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Append the new age identity here (default: ~/.config/sops/age/keys.txt).",
)
@user_errors
def init(directory: Path, key_file: Path | None) -> None:
    """Scaffold DIRECTORY: config, .sops.yaml, an example policy, role and encrypted secret."""
    result = init_repo(directory, key_file)
    for name in result.files:
        click.echo(f"created {result.root / name}")
    click.echo(f"age key appended to {result.key_file} (public key {result.recipient})")
    if result.merge_driver:
        click.echo("configured the Git merge driver for *.sops.yaml")
    click.echo("next: sealkeep validate, sealkeep lint, then commit")
