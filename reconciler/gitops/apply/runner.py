"""Execute a saved Plan, never recomputing it: lock, stale check, ordered changes, record.

The changes of one dependency level run at once on a bounded pool of connections; outcomes
are reported in plan order. Each change that succeeds is recorded in the inventory; a change
that fails skips only the changes that depend on it (reported as not applied, with the
reason), as Terraform does. An object the server manages in its own config (OpenBao's audit
devices) is reported as such, with the hint, and does not fail the apply. The inventory and
the history record are written whatever happens, so a rerun (plan again, apply) converges.
"""

from __future__ import annotations

import getpass
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import hvac
import hvac.exceptions

from reconciler.gitops.apply.dependencies import blocked_by, levels
from reconciler.gitops.apply.history import ApplyRecord, Outcome, write_record
from reconciler.gitops.apply.lock import ApplyLock, LockHolder
from reconciler.gitops.apply.stale import StalePlan, check_stale, planned_states
from reconciler.gitops.apply.writeonly import adopted_entry, applied_entry, state_to_write
from reconciler.gitops.live.handlers import StoreView
from reconciler.gitops.live.inventory import (
    AppliedCommit,
    Inventory,
    load_inventory,
    remember_applied_commit,
    save_inventory,
)
from reconciler.gitops.live.model import Fingerprinter, ObjectState
from reconciler.gitops.live.reader import read_view
from reconciler.gitops.live.registry import handler_for
from reconciler.gitops.live.serverconfig import hint, refused_by_config, remember_server_managed
from reconciler.gitops.live.session import connections, per_thread, set_correlation_id
from reconciler.gitops.live.statestore import StateStore
from reconciler.gitops.plan.model import Action, Change, Plan
from reconciler.gitops.plan.planfile import plan_hash
from reconciler.vocabulary.errors import SealkeepError

# An object the server refuses to manage through its API by policy (OpenBao's audit devices).
SERVER_CONFIG = "server config"
DONE = frozenset({"applied", SERVER_CONFIG})


class DestroyRefused(SealkeepError):
    """The plan deletes a mount, an auth method, an audit device or too large a share of
    what is managed, and was not made with `--allow-destroy`. Nothing was changed."""


@dataclass(frozen=True)
class ApplyOptions:
    """How to run: the repo root (for SOPS files), lock wait, who is applying.

    `on_outcome` is called with each change's outcome as soon as it is known (the CLI
    streams them), `on_start` once with the number of changes before the first.
    """

    root: Path
    lock_timeout: float = 300.0
    identities: Sequence[str] | None = None
    actor: str | None = None
    on_outcome: Callable[[Outcome], None] | None = None
    on_start: Callable[[int], None] | None = None


@dataclass(frozen=True)
class ApplyResult:
    """The outcome of an apply: one Outcome per change, in plan order."""

    apply_id: str
    outcomes: tuple[Outcome, ...]
    record: ApplyRecord

    @property
    def ok(self) -> bool:
        """True when every change was applied (or is the server config's business)."""
        return all(o.status in DONE for o in self.outcomes)

    @property
    def applied(self) -> tuple[Outcome, ...]:
        """Changes that were made."""
        return tuple(o for o in self.outcomes if o.status == "applied")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _actor(options: ApplyOptions) -> str:
    return options.actor or os.environ.get("SEALKEEP_ACTOR") or getpass.getuser()


def _desired_kv(plan: Plan) -> dict[str, int]:
    found = {}
    for change in plan.changes:
        fields = change.desired or {}
        if change.ref.kind == "SecretsEngine" and fields.get("kv_version"):
            found[change.ref.address.removeprefix("sys/mounts/")] = int(fields["kv_version"])  # type: ignore[arg-type]
    return found


def _execute(
    client: hvac.Client, change: Change, state: ObjectState | None, view: StoreView
) -> None:
    handler = handler_for(change.ref.kind)
    if change.action in (Action.DELETE, Action.REPLACE):
        handler.delete(client, change.ref, view)
    if change.action is not Action.DELETE:
        assert state is not None
        handler.write(client, state, change.action is Action.UPDATE, view)


def _error_text(exc: Exception, plan: Plan, change: Change) -> str:
    """The server's refusal, prefixed by where Git declares the object (file:line:col)."""
    text = str(exc).split(", on ")[0].strip() or exc.__class__.__name__
    where = plan.locations.get(str(change.ref))
    place = f"{where}: " if where is not None else ""
    return f"{place}{exc.__class__.__name__}: {text}"


def _attempt(
    get_client: Callable[[], hvac.Client],
    change: Change,
    state: ObjectState | None,
    view: StoreView,
) -> Exception | None:
    """Make one change on the calling thread's connection; the refusal, if any."""
    try:
        _execute(get_client(), change, state_to_write(change, state), view)
    except (hvac.exceptions.VaultError, ValueError) as exc:
        return exc
    return None


def _skipped(change: Change, blocker: Change) -> Outcome:
    reason = f"skipped: depends on {blocker.ref}, which was not applied"
    return Outcome(change.action.verb, change.ref, "not applied", reason)


def _run_changes(
    client: hvac.Client,
    plan: Plan,
    states: dict[str, ObjectState],
    inventory: Inventory,
    lock: ApplyLock,
    fp: Fingerprinter,
    report: Callable[[Outcome], None],
) -> list[Outcome]:
    """Each dependency level's changes at once (a bounded pool of connections), outcomes
    reported in plan order; a change depending on one that was not applied is skipped."""
    outcomes: list[Outcome] = []
    missing: list[Change] = []
    get_client = per_thread(client)
    view = read_view(client, _desired_kv(plan))
    with ThreadPoolExecutor(max_workers=connections()) as pool:
        for level in levels(plan.changes):
            blockers = {c.ref.address: blocked_by(c, missing) for c in level}
            running = {
                c.ref.address: pool.submit(_attempt, get_client, c, states.get(c.ref.address), view)
                for c in level
                if blockers[c.ref.address] is None
            }
            for change in level:
                blocker = blockers[change.ref.address]
                if blocker is not None:
                    outcome = _skipped(change, blocker)
                    missing.append(change)
                else:
                    error = running[change.ref.address].result()
                    outcome = _outcome(change, error, plan)
                    _remember(change, outcome, states, inventory, fp, plan.commit)
                    if outcome.status == "failed":
                        missing.append(change)
                outcomes.append(outcome)
                report(outcome)
                lock.refresh()
            if any(c.ref.tier == 0 for c in level):
                view = read_view(client, _desired_kv(plan))
    if not missing:
        for adoption in plan.adopt:
            inventory.put(adopted_entry(adoption, plan.commit, _now()))
        for ref in plan.forget:
            inventory.remove(str(ref))
    return outcomes


def _outcome(change: Change, error: Exception | None, plan: Plan) -> Outcome:
    verb = change.action.verb
    if error is None:
        return Outcome(verb, change.ref, "applied")
    if refused_by_config(error):
        return Outcome(verb, change.ref, SERVER_CONFIG, hint(change.ref.kind))
    return Outcome(verb, change.ref, "failed", _error_text(error, plan, change))


def _remember(
    change: Change,
    outcome: Outcome,
    states: dict[str, ObjectState],
    inventory: Inventory,
    fp: Fingerprinter,
    commit: str | None,
) -> None:
    """Record an applied change in the inventory (a delete leaves it)."""
    if outcome.status != "applied":
        return
    if change.action is Action.DELETE:
        inventory.remove(str(change.ref))
    else:
        state = states.get(change.ref.address)
        inventory.put(applied_entry(change, state, fp, commit, _now()))


def refuse_destroy(plan: Plan) -> None:
    """Raise DestroyRefused when the plan destroys too much without `--allow-destroy`."""
    if not plan.refused:
        return
    reasons = "; ".join(plan.destroy_reasons())
    raise DestroyRefused(
        f"apply refused, nothing was changed: {reasons}",
        hint="review the plan; if the deletion is intended, run `sealkeep plan --prune "
        "--allow-destroy` (or `apply --prune --allow-destroy`)",
    )


def apply_plan(plan: Plan, client: hvac.Client, options: ApplyOptions) -> ApplyResult:
    """Run `plan` against `client`'s store under the lock; raises DestroyRefused, StalePlan
    or LockHeld before changing anything. Every request carries the apply id as correlation
    header."""
    refuse_destroy(plan)
    apply_id = uuid.uuid4().hex
    set_correlation_id(client, apply_id)
    if plan.ephemeral_fingerprints:
        raise StalePlan(
            "plan is stale: it was made without the store's fingerprint key; plan again with "
            f"a token that can read and write {plan.state_mount}/"
        )
    state = StateStore(client, plan.state_mount)
    started = _now()
    holder = LockHolder(owner=_actor(options), apply_id=apply_id, commit=plan.commit)
    with ApplyLock(state, holder, options.lock_timeout) as lock:
        fp = state.fingerprinter(create=True)
        states = planned_states(plan, options.root, options.identities)
        check_stale(plan, client, read_view(client, _desired_kv(plan)), fp, states)
        inventory = load_inventory(state)
        outcomes: list[Outcome] = []
        try:
            if options.on_start is not None:
                options.on_start(len(plan.changes))
            report = options.on_outcome or (lambda _outcome: None)
            outcomes = _run_changes(client, plan, states, inventory, lock, fp, report)
        finally:
            save_inventory(state, inventory)
            status = "ok" if all(o.status in DONE for o in outcomes) else "failed"
            remember_server_managed(
                state, frozenset(o.ref.kind for o in outcomes if o.status == SERVER_CONFIG)
            )
            record = ApplyRecord(
                apply_id=apply_id,
                actor=holder.owner,
                host=socket.gethostname(),
                started_at=started,
                finished_at=_now(),
                target=f"{plan.target.name} ({plan.target.address})",
                plan_hash=plan_hash(plan),
                commit=plan.commit,
                status=status,
                outcomes=tuple(outcomes),
                source=plan.source,
            )
            write_record(state, record)
            source = plan.source
            if status == "ok" and source is not None and not source.dirty:
                applied = AppliedCommit(source.commit, apply_id, record.finished_at)
                remember_applied_commit(state, applied)
    return ApplyResult(apply_id, tuple(outcomes), record)
