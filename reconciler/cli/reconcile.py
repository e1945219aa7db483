"""`sealkeep reconcile`: keep a store in line with a Git branch, in a long-running loop."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click

from reconciler.cli.errors import EXIT_OK, EXIT_USER
from reconciler.cli.plan import state_mount_option, target_option
from reconciler.gitops.reconcile import ReconcileOptions, RunResult, parse_seconds, run_reconciler
from reconciler.gitops.reconcile.signals import stop_on_signals
from reconciler.gitops.reconcile.status import parse_address


class Duration(click.ParamType):
    """Seconds, from `500ms`, `60s`, `5m`, `1h` or a plain number."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """The duration in seconds; a bad value is a usage error."""
        if isinstance(value, float):
            return value
        try:
            seconds = parse_seconds(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if seconds <= 0:
            self.fail(f"{value!r} must be longer than zero", param, ctx)
        return seconds


def _address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_address(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def _echo(result: RunResult) -> None:
    click.echo(result.line(), err=not result.outcome.healthy)
    for line in result.details():
        click.echo(line, err=not result.outcome.healthy)


def _listening(url: str) -> None:
    click.echo(f"Status on {url}/healthz and {url}/status", err=True)


@click.command("reconcile")
@click.option("--repo", required=True, help="Git URL or local path of the manifest repo.")
@click.option("--branch", default="main", show_default=True, help="Branch to follow.")
@click.option(
    "--interval",
    type=Duration(),
    default="60s",
    show_default=True,
    help="Time between runs while healthy.",
)
@click.option("--dry-run", is_flag=True, help="Plan and report only; never write.")
@click.option(
    "--correct-drift",
    is_flag=True,
    help="Apply over objects changed outside Git (else reported and held).",
)
@click.option(
    "--status-addr",
    default=None,
    callback=_address,
    help="Serve GET /healthz and /status on host:port, e.g. 127.0.0.1:9900.",
)
@click.option("--once", is_flag=True, help="Run once and exit (1 when the run failed).")
@click.option("--max-runs", type=click.IntRange(min=1), default=None, help="Stop after N runs.")
@click.option(
    "--path", "subdir", default=".", show_default=True, help="The Sealkeep root inside the repo."
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the repo is cloned (default: ~/.cache/sealkeep/reconcile).",
)
@click.option(
    "--backoff-initial",
    type=Duration(),
    default="5s",
    show_default=True,
    help="First delay after a failure; doubles per failure.",
)
@click.option(
    "--backoff-max",
    type=Duration(),
    default="5m",
    show_default=True,
    help="Longest delay while failing.",
)
@target_option
@state_mount_option
def reconcile(
    repo: str, branch: str, interval: float, dry_run: bool, correct_drift: bool,
    status_addr: str | None, once: bool, max_runs: int | None, subdir: str,
    cache_dir: Path | None, backoff_initial: float, backoff_max: float, target: str | None,
    state_mount: str,
) -> None:  # fmt: skip
    """Pull a branch, plan, apply and watch for drift, until stopped (SIGTERM or Ctrl-C)."""
    options = ReconcileOptions(
        repo=repo, branch=branch, interval=interval, dry_run=dry_run,
        correct_drift=correct_drift, target=target, state_mount=state_mount, subdir=subdir,
        cache_dir=cache_dir, backoff_initial=backoff_initial, backoff_max=backoff_max,
        max_runs=1 if once else max_runs,
    )  # fmt: skip
    with stop_on_signals(threading.Event()) as stop:
        last = run_reconciler(options, stop, status_addr, _echo, _listening)
    failed = last is not None and not last.outcome.healthy
    sys.exit(EXIT_USER if once and failed else EXIT_OK)
