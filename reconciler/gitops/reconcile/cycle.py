"""One reconcile run: sync the mirror, load, detect drift, plan, apply (or only report).

Drift is found against the inventory's fingerprints before planning. A drifted object's
change is applied only with `correct_drift`; otherwise it is held back and reported, so a
hand-made change is never overwritten silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import git
import hvac
import hvac.exceptions
import requests

from reconciler.gitops.apply.lock import LockHeld
from reconciler.gitops.apply.runner import ApplyOptions, ApplyResult, apply_plan
from reconciler.gitops.apply.stale import StalePlan
from reconciler.gitops.gitsource import GitSourceError
from reconciler.gitops.live.connect import TargetAuthError
from reconciler.gitops.live.inventory import load_inventory
from reconciler.gitops.live.statestore import StateStore
from reconciler.gitops.manifests import ConfigError, LoadResult
from reconciler.gitops.plan.build import LoadFailed, PlanContext, compute_plan, load_checked
from reconciler.gitops.plan.desired import DesiredError
from reconciler.gitops.plan.drift import DriftReport, detect_drift
from reconciler.gitops.plan.model import Plan, TargetInfo
from reconciler.gitops.reconcile.options import ReconcileOptions
from reconciler.gitops.reconcile.result import RunCounts, RunOutcome, RunResult
from reconciler.gitops.reconcile.session import SessionPool
from reconciler.gitops.reconcile.source import Checkout, GitMirror

log = logging.getLogger("sealkeep.reconcile")
KNOWN_FAILURES = (
    ConfigError, TargetAuthError, DesiredError, StalePlan, LockHeld, GitSourceError,
    git.GitCommandError, hvac.exceptions.VaultError,
)  # fmt: skip


def now() -> str:
    """UTC now, ISO-8601 with seconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Stamp:
    """Run number, start time and commit: what every result of one run shares."""

    run: int
    started_at: str
    commit: str | None = None

    def result(
        self,
        outcome: RunOutcome,
        *,
        counts: RunCounts | None = None,
        error: str | None = None,
        drifted: tuple[str, ...] = (),
        problems: tuple[str, ...] = (),
        apply_id: str | None = None,
    ) -> RunResult:
        """A RunResult for this run, finished now."""
        return RunResult(
            self.run, self.started_at, now(), outcome, self.commit, counts or RunCounts(),
            error, drifted, problems, apply_id,
        )  # fmt: skip


def error_text(exc: Exception) -> str:
    """One line naming the error; hvac's `, on <url>` tail is cut, no value is included."""
    text = str(exc).split(", on ")[0].strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0]}" if text else exc.__class__.__name__


def _plan(
    options: ReconcileOptions, loaded: LoadResult, checkout: Checkout, client: hvac.Client,
    target: TargetInfo,
) -> Plan:  # fmt: skip
    ctx = PlanContext(
        root=checkout.root, target=options.target, state_mount=options.state_mount,
        identities=options.identities, environ=options.env(),
    )  # fmt: skip
    state = StateStore(client, options.state_mount)
    # A dry run must not write, not even the fingerprint key a first plan creates.
    fp = state.fingerprinter(create=not options.dry_run)
    return compute_plan(ctx, loaded, client, target, fp, load_inventory(state))


def _apply(
    options: ReconcileOptions, plan: Plan, root: Checkout, client: hvac.Client
) -> ApplyResult:
    apply_options = ApplyOptions(
        root=root.root, lock_timeout=options.lock_timeout, identities=options.identities,
        actor=options.actor,
    )  # fmt: skip
    return apply_plan(plan, client, apply_options)


def _reconcile(
    stamp: Stamp, options: ReconcileOptions, loaded: LoadResult, checkout: Checkout,
    client: hvac.Client, target: TargetInfo,
) -> RunResult:  # fmt: skip
    drift: DriftReport = detect_drift(client, options.state_mount)
    drifted = {d.ref.address: d for d in drift.drifted}
    shown = tuple(f"{d.ref} ({d.ref.address}): {d.kind}" for d in drift.drifted)
    plan = _plan(options, loaded, checkout, client, target)
    hold = set() if options.correct_drift else set(drifted)
    held = [c for c in plan.changes if c.ref.address in hold]
    plan = replace(plan, changes=tuple(c for c in plan.changes if c.ref.address not in hold))
    counts = {"drifted": len(drifted), "held": len(held)}
    if options.dry_run or not plan.has_changes:
        outcome = RunOutcome.PLANNED if plan.has_changes else RunOutcome.IN_SYNC
        return stamp.result(outcome, counts=RunCounts.of_plan(plan, **counts), drifted=shown)
    applied = _apply(options, plan, checkout, client)
    done = applied.applied
    counts["applied"] = len(done)
    counts["failed"] = sum(1 for o in applied.outcomes if o.status == "failed")
    counts["corrected"] = sum(1 for o in done if o.ref.address in drifted)
    errors = [f"{o.ref}: {o.error}" for o in applied.outcomes if o.status == "failed"]
    return stamp.result(
        RunOutcome.APPLIED if applied.ok else RunOutcome.FAILED,
        counts=RunCounts.of_plan(plan, **counts),
        drifted=shown,
        apply_id=applied.apply_id,
        error=None if applied.ok else "apply failed: " + "; ".join(errors),
    )


def run_cycle(
    number: int, options: ReconcileOptions, mirror: GitMirror, pool: SessionPool
) -> RunResult:
    """One run, never raising for an expected failure: the result says what went wrong."""
    stamp = Stamp(number, now())
    session = None
    try:
        checkout = mirror.sync()
        stamp = replace(stamp, commit=checkout.commit)
        loaded = load_checked(checkout.root)
        target = loaded.config.target(options.target, options.env())
        session = pool.session_for(target)
        client = session.client_for_run()
        result = _reconcile(
            stamp, options, loaded, checkout, client, TargetInfo(target.name, client.url)
        )
    except LoadFailed as exc:
        problems = tuple(str(d) for d in exc.diagnostics)
        counts = RunCounts(diagnostics=len(problems))
        return stamp.result(RunOutcome.FAILED, error=str(exc), problems=problems, counts=counts)
    except requests.exceptions.RequestException as exc:
        where = f" {session.target.address}" if session is not None else ""
        result = stamp.result(
            RunOutcome.FAILED, error=f"cannot reach{where}: {exc.__class__.__name__}"
        )
    except KNOWN_FAILURES as exc:
        result = stamp.result(RunOutcome.FAILED, error=error_text(exc))
    if session is not None and not result.outcome.healthy:
        session.run_failed()
    return result
