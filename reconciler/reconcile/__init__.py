"""Continuous reconciliation: a loop that pulls a Git branch, plans, applies and reports.

`Reconciler` (loop.py) runs cycles (cycle.py) over a Git mirror (source.py) with one
logged-in session (session.py), backs off while failing (backoff.py) and publishes its last
result (result.py) to a small HTTP status endpoint (status.py).
"""

from reconciler.reconcile.backoff import Backoff
from reconciler.reconcile.loop import Reconciler, run_reconciler
from reconciler.reconcile.options import ReconcileOptions, parse_seconds
from reconciler.reconcile.result import RunCounts, RunOutcome, RunResult
from reconciler.reconcile.status import StatusBoard, StatusServer

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
