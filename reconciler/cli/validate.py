"""`sealkeep validate`: every problem in every manifest, without touching any store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.errors import EXIT_OK, EXIT_USER, user_errors
from reconciler.gitops.plan.build import load_tree
from reconciler.gitops.plan.render_reports import validation_json


@click.command("validate")
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--ref", default=None, metavar="REF",
    help="Validate a commit, branch or tag (read from Git, not checked out).",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="json: the versioned shape in docs/json-output.md (every diagnostic, file:line:col).",
)  # fmt: skip
@user_errors
def validate(path: Path, ref: str | None, fmt: str) -> None:
    """Check the repo's manifests: YAML, schemas, references, encryption. Exit 1 on any error.

    The repo is the nearest folder at or above PATH holding sealkeep.yaml.
    """
    result = load_tree(path, ref)
    if fmt == "json":
        click.echo(validation_json(result, ref), nl=False)
        sys.exit(EXIT_OK if result.ok else EXIT_USER)
    for diagnostic in result.diagnostics:
        click.echo(str(diagnostic), err=True)
    if not result.ok:
        click.echo(f"{len(result.diagnostics)} problem(s) found.", err=True)
        sys.exit(EXIT_USER)
    count = len(result.desired) if result.desired is not None else 0
    at = f" at {ref}" if ref else ""
    click.echo(f"OK: {count} object(s) valid{at}.")
    sys.exit(EXIT_OK)
