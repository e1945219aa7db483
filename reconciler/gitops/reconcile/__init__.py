"""Continuous reconciliation: a loop that pulls a Git branch, plans, applies and reports.

`Reconciler` (loop.py) runs cycles (cycle.py) over a Git mirror (source.py) with one
logged-in session (session.py), backs off while failing (backoff.py) and publishes its last
result (result.py) to a small HTTP status endpoint (status.py).
"""

from reconciler.gitops.reconcile.backoff import Backoff
from reconciler.gitops.reconcile.loop import Reconciler, run_reconciler
from reconciler.gitops.reconcile.options import ReconcileOptions, parse_seconds
from reconciler.gitops.reconcile.result import RunCounts, RunOutcome, RunResult
from reconciler.gitops.reconcile.status import StatusBoard, StatusServer

__all__ = [
    "Backoff",
    "ReconcileOptions",
    "Reconciler",
    "RunCounts",
    "RunOutcome",
    "RunResult",
    "StatusBoard",
    "StatusServer",
    "parse_seconds",
    "run_reconciler",
]
