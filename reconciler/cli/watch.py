"""`sealkeep watch`: re-plan a working tree on every change; `--apply` for a dev store."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from reconciler.cli.plan import state_mount_option, target_option
from reconciler.cli.reconcile import Duration
from reconciler.gitops.manifests import find_repo_root
from reconciler.gitops.reconcile.signals import stop_on_signals
from reconciler.gitops.watch import Watcher, WatchOptions, WatchReport
from reconciler.gitops.watch.render import render_report


def _echo(report: WatchReport) -> None:
    click.echo(render_report(report), nl=False)


@click.command("watch")
@click.argument("path", default=".", type=click.Path(file_okay=False, exists=True, path_type=Path))
@target_option
@click.option("--apply", "apply_", is_flag=True, help="Apply each plan (development stores).")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Let --apply write to a store that is not on this machine.",
)
@click.option(
    "--debounce",
    type=Duration(),
    default="0.5",
    show_default=True,
    help="Quiet time after a change before re-planning (seconds, or 500ms).",
)
@state_mount_option
def watch(
    path: Path,
    target: str | None,
    apply_: bool,
    allow_remote: bool,
    debounce: float,
    state_mount: str,
) -> None:
    """Validate and re-plan on every change, printing only what changed; Ctrl-C stops."""
    options = WatchOptions(
        root=find_repo_root(path), target=target, debounce=debounce, apply=apply_,
        allow_remote=allow_remote, state_mount=state_mount,
    )  # fmt: skip
    click.echo(f"Watching {options.root} (Ctrl-C to stop)", err=True)
    with stop_on_signals(threading.Event()) as stop:
        Watcher(options).run(stop, _echo)
    click.echo("Stopped watching.", err=True)
