"""`sealkeep apply`: run a saved plan, or plan, show, confirm and apply (from the working
tree or a Git ref, refusing an unsafe tree unless told otherwise)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import hvac

from reconciler.cli.errors import EXIT_OK, EXIT_USER, UserError
from reconciler.cli.plan import (
    changed_only_option,
    reconcile_errors,
    ref_option,
    render,
    state_mount_option,
    target_option,
)
from reconciler.gitops.apply.lock import LockHeld
from reconciler.gitops.apply.runner import ApplyOptions, ApplyResult, apply_plan
from reconciler.gitops.apply.service import (
    Safety,
    client_for_plan,
    fresh_plan,
    resolve_root,
    saved_plan_tree,
)
from reconciler.gitops.manifests import load_config
from reconciler.gitops.plan.build import PlanContext
from reconciler.gitops.plan.model import Plan
from reconciler.gitops.plan.planfile import load_plan

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


def _apply(plan: Plan, client: hvac.Client, tree: Path, root: Path, timeout: float | None) -> None:
    wait = timeout if timeout is not None else load_config(root)[0].apply.lock_timeout
    try:
        result = apply_plan(plan, client, ApplyOptions(root=tree, lock_timeout=wait))
    except LockHeld as exc:
        raise UserError(str(exc)) from None
    sys.exit(_report(result))


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
    if plan_file is not None:
        saved = load_plan(plan_file)
        root = resolve_root(saved, repo)
        ctx = PlanContext(root=root, target=target, environ=os.environ)
        with saved_plan_tree(saved, root, safety) as tree:
            _apply(saved, client_for_plan(saved, ctx), tree, root, lock_timeout)
    root = (repo or Path.cwd()).resolve()
    ctx = PlanContext(
        root=root, target=target, prune=prune, state_mount=state_mount,
        progress=sys.stderr.isatty(), environ=os.environ, ref=ref, changed_only=changed_only,
    )  # fmt: skip
    with fresh_plan(ctx, safety) as fresh:
        click.echo(render(fresh.plan, "text"), nl=False)
        if not fresh.plan.has_changes:
            sys.exit(EXIT_OK)
        if not auto_approve and not click.confirm("Apply these changes?", default=False):
            raise UserError("apply cancelled; nothing was changed")
        _apply(fresh.plan, fresh.client, fresh.tree, root, lock_timeout)
