"""`sealkeep validate`: every problem in every manifest, without touching any store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.errors import EXIT_OK, EXIT_USER, UserError
from reconciler.gitops.gitsource import GitSourceError
from reconciler.gitops.plan.build import load_tree


@click.command("validate")
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--ref", default=None, metavar="REF",
    help="Validate a commit, branch or tag (read from Git, not checked out).",
)  # fmt: skip
def validate(path: Path, ref: str | None) -> None:
    """Check the repo's manifests: YAML, schemas, references, encryption. Exit 1 on any error."""
    try:
        result = load_tree(path.resolve(), ref)
    except GitSourceError as exc:
        raise UserError(str(exc)) from None
    for diagnostic in result.diagnostics:
        click.echo(str(diagnostic), err=True)
    if not result.ok:
        click.echo(f"{len(result.diagnostics)} problem(s) found.", err=True)
        sys.exit(EXIT_USER)
    count = len(result.desired) if result.desired is not None else 0
    at = f" at {ref}" if ref else ""
    click.echo(f"OK: {count} object(s) valid{at}.")
    sys.exit(EXIT_OK)
