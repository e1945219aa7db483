"""`sealkeep apply`: run a saved plan, or plan, show, confirm and apply."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reconciler.apply.lock import LockHeld
from reconciler.apply.runner import ApplyOptions, ApplyResult, apply_plan
from reconciler.apply.service import client_for_plan, resolve_root
from reconciler.cli.errors import EXIT_OK, EXIT_USER, UserError
from reconciler.cli.plan import reconcile_errors, render, state_mount_option, target_option
from reconciler.manifests import load_config
from reconciler.plan.build import PlanContext, load_checked, make_plan, open_target
from reconciler.plan.planfile import load_plan

MARKS = {"applied": "ok", "failed": "FAILED", "not applied": "skipped"}


def _report(result: ApplyResult) -> int:
    for outcome in result.outcomes:
        error = f": {outcome.error}" if outcome.error else ""
        mark = MARKS.get(outcome.status, outcome.status)
        click.echo(f"  {mark:<8} {outcome.action:<8} {outcome.ref} ({outcome.ref.address}){error}")
    applied = len(result.applied)
    if result.ok:
        click.echo(f"Apply complete: {applied} change(s) applied (apply {result.apply_id}).")
        return EXIT_OK
    failed = sum(1 for o in result.outcomes if o.status == "failed")
    left = len(result.outcomes) - applied - failed
    click.echo(
        f"Apply failed: {applied} applied, {failed} failed, {left} not applied "
        f"(apply {result.apply_id}). Fix the cause, then plan and apply again.",
        err=True,
    )
    return EXIT_USER


@click.command("apply")
@click.argument(
    "plan_file", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@target_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--prune", is_flag=True, help="Delete managed objects removed from Git.")
@click.option("--lock-timeout", type=float, default=None, help="Seconds to wait for the lock.")
@click.option(
    "--repo", "-C", "repo", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Repo root (default: the current directory, or the saved plan's).",
)  # fmt: skip
@state_mount_option
@reconcile_errors
def apply(
    plan_file: Path | None,
    target: str | None,
    auto_approve: bool,
    prune: bool,
    lock_timeout: float | None,
    repo: Path | None,
    state_mount: str,
) -> None:
    """Apply a saved plan exactly, or compute one and apply it after confirmation."""
    if plan_file is not None:
        saved = load_plan(plan_file)
        root = resolve_root(saved, repo)
        ctx = PlanContext(root=root, target=target, environ=os.environ)
        client = client_for_plan(saved, ctx)
        to_apply = saved
    else:
        root = (repo or Path.cwd()).resolve()
        ctx = PlanContext(
            root=root, target=target, prune=prune, state_mount=state_mount,
            progress=sys.stderr.isatty(), environ=os.environ,
        )  # fmt: skip
        client, _ = open_target(ctx, load_checked(root).config)
        to_apply = make_plan(ctx, client=client)
        click.echo(render(to_apply, "text"), nl=False)
        if not to_apply.has_changes:
            sys.exit(EXIT_OK)
        if not auto_approve and not click.confirm("Apply these changes?", default=False):
            raise UserError("apply cancelled; nothing was changed")
    timeout = lock_timeout if lock_timeout is not None else load_config(root)[0].apply.lock_timeout
    options = ApplyOptions(root=root, lock_timeout=timeout)
    try:
        result = apply_plan(to_apply, client, options)
    except LockHeld as exc:
        raise UserError(str(exc)) from None
    sys.exit(_report(result))
