"""`sealkeep validate`: every problem in every manifest, without touching any store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.errors import EXIT_OK, EXIT_USER
from reconciler.manifests import load_repo


@click.command("validate")
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
def validate(path: Path) -> None:
    """Check the repo's manifests: YAML, schemas, references, encryption. Exit 1 on any error."""
    result = load_repo(path.resolve())
    for diagnostic in result.diagnostics:
        click.echo(str(diagnostic), err=True)
    if not result.ok:
        click.echo(f"{len(result.diagnostics)} problem(s) found.", err=True)
        sys.exit(EXIT_USER)
    count = len(result.desired) if result.desired is not None else 0
    click.echo(f"OK: {count} object(s) valid.")
    sys.exit(EXIT_OK)
