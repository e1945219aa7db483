"""`sealkeep history`: the apply records kept in the store, newest first."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.cli.plan import reconcile_errors, state_mount_option, target_option
from reconciler.gitops.apply.history import history_json, history_of
from reconciler.gitops.plan.build import PlanContext


@click.command("history")
@click.option(
    "--repo", "-C", "repo", type=click.Path(file_okay=False, path_type=Path), default=".",
    help="The repo (sealkeep.yaml is looked for here and above).",
)  # fmt: skip
@target_option
@click.option("--limit", "-n", type=int, default=20, show_default=True, help="Newest N applies.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="json: the versioned shape in docs/json-output.md.",
)  # fmt: skip
@click.option("--changes", is_flag=True, help="List every change of each apply.")
@state_mount_option
@reconcile_errors
def history(
    repo: Path, target: str | None, limit: int, fmt: str, changes: bool, state_mount: str
) -> None:
    """Show who applied what, when, from which plan and commit, and how it went."""
    ctx = PlanContext.at(repo, target=target, environ=os.environ)
    records = history_of(ctx, state_mount, limit)
    if fmt == "json":
        click.echo(history_json(records), nl=False)
        return
    if not records:
        click.echo("No applies recorded.")
    for record in records:
        commit = record.commit[:12] if record.commit else "-"
        applied = sum(1 for o in record.outcomes if o.status == "applied")
        click.echo(
            f"{record.started_at}  {record.status:<6}  {record.actor}@{record.host}  "
            f"target {record.target}  commit {commit}  {applied}/{len(record.outcomes)} applied  "
            f"apply {record.apply_id}  plan {record.plan_hash[:19]}"
        )
        if record.source is not None:
            subject = record.source.message.splitlines()[0] if record.source.message else ""
            dirty = " (dirty tree)" if record.source.dirty else ""
            click.echo(f"    {record.source.author}: {subject}{dirty}")
        for outcome in record.outcomes if changes else ():
            error = f": {outcome.error}" if outcome.error else ""
            click.echo(f"    {outcome.status:<11} {outcome.action:<8} {outcome.ref}{error}")
