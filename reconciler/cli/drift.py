"""`sealkeep drift`: managed objects changed outside Git; exit 2 when there is drift."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reconciler.cli.errors import EXIT_CHANGES, EXIT_OK
from reconciler.cli.plan import reconcile_errors, state_mount_option, target_option
from reconciler.gitops.plan.build import PlanContext
from reconciler.gitops.plan.drift import drift_of
from reconciler.gitops.plan.render_reports import drift_json, drift_lines


@click.command("drift")
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@target_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="json: the versioned shape in docs/json-output.md (keys only, never a value).",
)  # fmt: skip
@state_mount_option
@reconcile_errors
def drift(path: Path, target: str | None, fmt: str, state_mount: str) -> None:
    """Compare managed objects with their last apply; exit 2 when any changed."""
    ctx = PlanContext.at(path, target=target, environ=os.environ, progress=sys.stderr.isatty())
    report = drift_of(ctx, state_mount)
    if fmt == "json":
        click.echo(drift_json(report), nl=False)
        sys.exit(EXIT_CHANGES if report.has_drift else EXIT_OK)
    for line in drift_lines(report):
        click.echo(line)
    if report.has_drift:
        click.echo(f"Drift: {len(report.drifted)} of {report.checked} managed object(s).")
        sys.exit(EXIT_CHANGES)
    click.echo(f"No drift: {report.checked} managed object(s) match their last apply.")
    sys.exit(EXIT_OK)
