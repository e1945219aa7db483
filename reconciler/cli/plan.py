"""`sealkeep plan`: show what apply would change. Also the options the reconcile commands share."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.cli.errors import EXIT_CHANGES, EXIT_OK, UserError, as_click_error
from reconciler.cli.terminal import color_enabled
from reconciler.gitops.live.statestore import DEFAULT_STATE_MOUNT
from reconciler.gitops.plan.build import LoadFailed, PlanContext, make_plan
from reconciler.gitops.plan.model import Plan
from reconciler.gitops.plan.planfile import save_plan
from reconciler.gitops.plan.render_github import (
    append_step_summary,
    diagnostic_annotation,
    plan_annotations,
    render_annotations,
    workspace_prefix,
)
from reconciler.gitops.plan.render_json import render_json
from reconciler.gitops.plan.render_markdown import render_markdown
from reconciler.gitops.plan.render_text import render_text
from reconciler.vocabulary.errors import SealkeepError

F = TypeVar("F", bound=Callable[..., Any])


def reconcile_errors(func: F) -> F:
    """Print every load diagnostic, then let the library's errors out as `cli.errors` shows them."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LoadFailed as exc:
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
            raise UserError(
                f"{len(exc.diagnostics)} problem(s) found; nothing was changed"
            ) from None
        except SealkeepError as exc:
            raise as_click_error(exc) from None

    return wrapper  # type: ignore[return-value]


def state_mount_option(func: F) -> F:
    """`--state-mount` (default `sealkeep-state`, or SEALKEEP_STATE_MOUNT)."""
    return click.option(
        "--state-mount",
        default=DEFAULT_STATE_MOUNT,
        envvar="SEALKEEP_STATE_MOUNT",
        show_default=True,
        help="KV v2 mount holding the reconciler's lock, inventory and history.",
    )(func)


def target_option(func: F) -> F:
    """`--target NAME` from sealkeep.yaml."""
    return click.option("--target", "-t", default=None, help="Target name in sealkeep.yaml.")(func)


def ref_option(func: F) -> F:
    """`--ref REF`: a commit, branch or tag, read from Git without checking it out."""
    return click.option(
        "--ref", default=None, metavar="REF",
        help="Plan a commit, branch or tag instead of the working tree (not checked out).",
    )(func)  # fmt: skip


def changed_only_option(func: F) -> F:
    """`--changed-only`: read only objects from files changed since the last applied commit."""
    return click.option(
        "--changed-only", is_flag=True,
        help="Read and diff only objects from files changed since the store's last applied "
        "commit (a full plan still checks everything for drift).",
    )(func)  # fmt: skip


def render(plan: Plan, fmt: str) -> str:
    """The plan in `fmt`: text (coloured on a terminal; also for github), json or markdown."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color_enabled(sys.stdout))


def _github(plan: Plan, root: Path) -> None:
    """Annotations and the text plan on stdout; the Markdown plan in the step summary."""
    prefix = workspace_prefix(root, os.environ)
    click.echo(render_annotations(plan_annotations(plan, prefix)), nl=False)
    click.echo(render(plan, "text"), nl=False)
    summary = append_step_summary(plan, os.environ)
    if summary is not None:
        click.echo(f"Appended the plan to the step summary ({summary}).", err=True)


def _plan_or_annotate(ctx: PlanContext, fmt: str) -> Plan:
    try:
        return make_plan(ctx)
    except LoadFailed as exc:
        if fmt == "github":
            prefix = workspace_prefix(ctx.root, os.environ)
            found = [diagnostic_annotation(d, prefix) for d in exc.diagnostics]
            click.echo(render_annotations(found), nl=False)
        raise


@click.command("plan")
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@target_option
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Also save the plan to this file, for `sealkeep apply FILE` to run exactly.",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown", "github"]), default="text",
    help="github: annotations and the text plan on stdout, Markdown in the step summary.",
)  # fmt: skip
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option("--prune", is_flag=True, help="Plan deletes of managed objects removed from Git.")
@click.option(
    "--allow-destroy", is_flag=True,
    help="Record in the plan that apply may delete a mount, an auth method or an audit "
    "device, replace a mount, or delete more than apply.max_destroy_share of the managed "
    "objects (refused otherwise).",
)  # fmt: skip
@ref_option
@click.option(
    "--base", default=None, metavar="REF",
    help="Also list the manifest files changed since the merge base with REF (a PR's target).",
)  # fmt: skip
@changed_only_option
@state_mount_option
@reconcile_errors
def plan(
    path: Path,
    target: str | None,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    prune: bool,
    allow_destroy: bool,
    ref: str | None,
    base: str | None,
    changed_only: bool,
    state_mount: str,
) -> None:
    """Show what apply would change in the target store (nothing is written)."""
    ctx = PlanContext.at(
        path, target=target, prune=prune, state_mount=state_mount,
        progress=sys.stderr.isatty(), environ=os.environ, ref=ref, base=base,
        changed_only=changed_only, allow_destroy=allow_destroy,
    )  # fmt: skip
    result = _plan_or_annotate(ctx, fmt)
    if fmt == "github":
        _github(result, ctx.root)
    else:
        click.echo(render(result, fmt), nl=False)
    if out is not None:
        digest = save_plan(result, out)
        click.echo(f"Saved the plan to {out} ({digest}).", err=True)
    code = EXIT_CHANGES if detailed_exitcode and result.has_changes else EXIT_OK
    if code == EXIT_CHANGES:
        click.echo(exit_detail(result), err=True)
    sys.exit(code)


def exit_detail(result: Plan) -> str:
    """Why `--detailed-exitcode` exits 2: the counts, destroys first."""
    summary = result.summary()
    refused = "; apply will refuse it without --allow-destroy" if result.refused else ""
    return (
        f"Exit 2: changes planned ({summary.destroy} to destroy, {summary.add} to add, "
        f"{summary.change} to change, {summary.replace} to replace){refused}."
    )
