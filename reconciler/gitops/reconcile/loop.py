"""The reconcile loop: run, publish, wait (interval, or backoff while failing), repeat."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from reconciler.gitops.reconcile.backoff import Backoff
from reconciler.gitops.reconcile.cycle import Stamp, now, run_cycle
from reconciler.gitops.reconcile.options import ReconcileOptions
from reconciler.gitops.reconcile.result import RunOutcome, RunResult
from reconciler.gitops.reconcile.session import SessionPool
from reconciler.gitops.reconcile.source import GitMirror
from reconciler.gitops.reconcile.status import StatusBoard, StatusServer

log = logging.getLogger("sealkeep.reconcile")
ResultCallback = Callable[[RunResult], None]


class Reconciler:
    """A reconcile loop over one repo and branch.

    Invariants: one SessionPool for the loop's life (a login per token lifetime, not per
    run); the board always holds the latest finished run; `close` revokes the loop's token.
    """

    def __init__(self, options: ReconcileOptions, board: StatusBoard | None = None) -> None:
        self.options = options
        self.mirror = GitMirror(options.repo, options.branch, options.mirror_dir(), options.subdir)
        self.pool = SessionPool(options.env())
        self.backoff = Backoff(options.interval, options.backoff_initial, options.backoff_max)
        self.board = board or StatusBoard(options.shown_repo, options.branch, options.dry_run)
        self.runs = 0
        self.delay = options.interval

    def run_once(self) -> RunResult:
        """One run; the result is published on the board and returned with the next delay."""
        self.runs += 1
        try:
            result = run_cycle(self.runs, self.options, self.mirror, self.pool)
        except Exception as exc:
            # The loop outlives a bug in one run; the traceback goes to the log.
            log.exception("reconcile run %d failed unexpectedly", self.runs)
            stamp = Stamp(self.runs, now())
            result = stamp.result(
                RunOutcome.FAILED, error=f"internal error: {exc.__class__.__name__}"
            )
        delay = self.backoff.success() if result.outcome.healthy else self.backoff.failure()
        last = self.options.max_runs is not None and self.runs >= self.options.max_runs
        self.board.record(result, self.backoff.failures, None if last else delay)
        self.delay = delay
        return result

    def run(
        self, stop: threading.Event, on_result: ResultCallback | None = None
    ) -> RunResult | None:
        """Run until `stop` is set or `max_runs` runs are done; returns the last result."""
        result = None
        try:
            while not stop.is_set():
                result = self.run_once()
                if on_result is not None:
                    on_result(result)
                if self.options.max_runs is not None and self.runs >= self.options.max_runs:
                    break
                stop.wait(self.delay)
        finally:
            self.close()
        return result

    def close(self) -> None:
        """Revoke the token the loop logged in for."""
        self.pool.close()


def run_reconciler(
    options: ReconcileOptions,
    stop: threading.Event,
    status_addr: str | None = None,
    on_result: ResultCallback | None = None,
    on_listen: Callable[[str], None] | None = None,
) -> RunResult | None:
    """Run a Reconciler until stopped, serving /healthz and /status on `status_addr` when
    given (`on_listen` learns the URL); the library behind `sealkeep reconcile`."""
    reconciler = Reconciler(options)
    if status_addr is None:
        return reconciler.run(stop, on_result)
    with StatusServer(reconciler.board, status_addr) as server:
        if on_listen is not None:
            on_listen(server.url)
        return reconciler.run(stop, on_result)
