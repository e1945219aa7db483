"""`sealkeep demo`: the whole story on an embedded store, in one command."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from reconciler.cli.plan import reconcile_errors
from reconciler.demo.embedded import embedded_store
from reconciler.demo.story import run_story


@click.command("demo")
@click.argument(
    "repo",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default="examples/platform",
)
@click.option("--team", default="payments", show_default=True, help="Whose app logs in.")
@click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), help="Keep the store here."
)
@reconcile_errors
def demo(repo: Path, team: str, data_dir: Path | None) -> None:
    """Reconcile REPO into a fresh embedded store, then log in as an app, read and audit."""
    with (
        tempfile.TemporaryDirectory(prefix="sealkeep-demo-") as scratch,
        embedded_store(data_dir or Path(scratch)) as store,
    ):
        run_story(repo.resolve(), store, team, click.echo)
