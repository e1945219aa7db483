"""`sealkeep apply`: run a saved plan, or plan, show, confirm and apply (from the working
tree or a Git ref, refusing an unsafe tree unless told otherwise)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from reconciler.cli.errors import EXIT_OK, EXIT_USER, UserError
from reconciler.cli.plan import (
    changed_only_option,
    reconcile_errors,
    ref_option,
    render,
    state_mount_option,
    target_option,
)
from reconciler.cli.progress import LiveReport, live_report
from reconciler.gitops.apply.lock import LockHeld
from reconciler.gitops.apply.runner import ApplyResult, refuse_destroy
from reconciler.gitops.apply.service import (
    ApplyRequest,
    Safety,
    apply_fresh,
    apply_saved_plan,
    fresh_plan,
)
from reconciler.gitops.plan.build import PlanContext


def _summary(result: ApplyResult) -> int:
    """The closing line (each outcome was already printed as it happened)."""
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


def _request(report: LiveReport, **given: Any) -> ApplyRequest:
    return ApplyRequest(
        environ=os.environ, on_outcome=report.outcome, on_start=report.start, **given
    )


@click.command("apply")
@click.argument(
    "plan_file", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@target_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--prune", is_flag=True, help="Delete managed objects removed from Git.")
@click.option(
    "--allow-destroy", is_flag=True,
    help="Allow deleting a mount, an auth method or an audit device, replacing a mount, or "
    "deleting more than apply.max_destroy_share of the managed objects (refused otherwise). "
    "A saved plan carries its own: plan it with --allow-destroy.",
)  # fmt: skip
@click.option("--lock-timeout", type=float, default=None, help="Seconds to wait for the lock.")
@click.option(
    "--repo", "-C", "repo", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="A folder in the repo (default: the current directory, or the saved plan's); "
    "sealkeep.yaml is looked for there and in its parents.",
)  # fmt: skip
@ref_option
@changed_only_option
@click.option("--allow-dirty", is_flag=True, help="Apply from a tree with uncommitted changes.")
@click.option(
    "--allow-other-branch", is_flag=True,
    help="Apply from a branch other than sealkeep.yaml's `branch`.",
)  # fmt: skip
@state_mount_option
@reconcile_errors
def apply(
    plan_file: Path | None,
    target: str | None,
    auto_approve: bool,
    prune: bool,
    allow_destroy: bool,
    lock_timeout: float | None,
    repo: Path | None,
    ref: str | None,
    changed_only: bool,
    allow_dirty: bool,
    allow_other_branch: bool,
    state_mount: str,
) -> None:
    """Apply a saved plan exactly, or compute one and apply it after confirmation.

    Refuses a working tree with uncommitted changes, a branch other than the configured one,
    and a saved plan whose commit is no longer the repo's, unless told otherwise.
    """
    safety = Safety(allow_dirty=allow_dirty, allow_other_branch=allow_other_branch)
    given = {"target": target, "repo": repo, "lock_timeout": lock_timeout, "safety": safety}
    try:
        if plan_file is not None:
            with live_report() as report:
                result = apply_saved_plan(plan_file, _request(report, **given))
            sys.exit(_summary(result))
        ctx = PlanContext.at(
            repo, target=target, prune=prune, state_mount=state_mount,
            progress=sys.stderr.isatty(), environ=os.environ, ref=ref,
            changed_only=changed_only, allow_destroy=allow_destroy,
        )  # fmt: skip
        with fresh_plan(ctx, safety) as fresh:
            click.echo(render(fresh.plan, "text"), nl=False)
            if not fresh.plan.has_changes:
                sys.exit(EXIT_OK)
            refuse_destroy(fresh.plan)
            if not auto_approve and not click.confirm("Apply these changes?", default=False):
                raise UserError("apply cancelled; nothing was changed")
            with live_report() as report:
                result = apply_fresh(fresh, _request(report, **given))
            sys.exit(_summary(result))
    except LockHeld as exc:
        raise UserError(str(exc)) from None
