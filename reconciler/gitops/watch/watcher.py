"""Watch a working tree: on every (debounced) change, validate and re-plan, report only
what changed since the last plan, and with `apply` apply it to a development store.

The store session is opened once and reused (reconcile's TokenSession), so a long watch
logs in once per token lifetime and revokes its own token when it stops.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import hvac
import hvac.exceptions
import requests
from watchdog.observers import Observer

from reconciler.gitops.apply.lock import LockHeld
from reconciler.gitops.apply.runner import ApplyOptions, ApplyResult, apply_plan
from reconciler.gitops.apply.stale import StalePlan
from reconciler.gitops.live.connect import TargetAuthError
from reconciler.gitops.live.inventory import load_inventory
from reconciler.gitops.live.statestore import DEFAULT_STATE_MOUNT, StateStore
from reconciler.gitops.manifests import ConfigError, LoadResult, Target, load_repo
from reconciler.gitops.plan.build import PlanContext, compute_plan
from reconciler.gitops.plan.desired import DesiredError
from reconciler.gitops.plan.model import Plan, TargetInfo
from reconciler.gitops.reconcile.cycle import error_text
from reconciler.gitops.reconcile.session import SessionPool
from reconciler.gitops.watch.delta import Delta, Snapshot, compare, snapshot_of
from reconciler.gitops.watch.events import ChangeHandler, Debouncer
from reconciler.vocabulary.errors import SealkeepError


class NotADevelopmentStore(SealkeepError):
    """`apply` was asked for a store that is not on this machine."""


PLAN_FAILURES = (
    ConfigError, TargetAuthError, DesiredError, StalePlan, LockHeld, NotADevelopmentStore,
    hvac.exceptions.VaultError,
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class WatchOptions:
    """What to watch and how. Invariant: `debounce` is positive seconds."""

    root: Path
    target: str | None = None
    debounce: float = 0.5
    apply: bool = False
    allow_remote: bool = False
    state_mount: str = DEFAULT_STATE_MOUNT
    lock_timeout: float = 30.0
    identities: Sequence[str] | None = None
    environ: Mapping[str, str] | None = field(default=None, repr=False)

    def env(self) -> Mapping[str, str]:
        """The environment VAULT_* and the login variables come from."""
        return os.environ if self.environ is None else self.environ


@dataclass(frozen=True)
class WatchReport:
    """One cycle: which paths set it off (none for the first), the delta, and any apply."""

    cycle: int
    paths: tuple[str, ...]
    delta: Delta
    applied: ApplyResult | None = None


def is_local(address: str) -> bool:
    """Whether `address` names this machine (a loopback host)."""
    host = urlsplit(address).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Watcher:
    """Validate-and-plan cycles over one working tree, remembering the last Snapshot."""

    def __init__(self, options: WatchOptions) -> None:
        self.options = options
        self.root = options.root.resolve()
        self.pool = SessionPool(options.env())
        self.last = Snapshot()
        self.cycles = 0

    def _client(self, target: Target) -> hvac.Client:
        if self.options.apply and not self.options.allow_remote and not is_local(target.address):
            raise NotADevelopmentStore(
                f"watch --apply writes only to a development store on this machine, not "
                f"{target.address}; pass --allow-remote to apply there anyway"
            )
        return self.pool.session_for(target).client_for_run()

    def _plan(self, loaded: LoadResult) -> tuple[Plan, hvac.Client]:
        target = loaded.config.target(self.options.target, self.options.env())
        client = self._client(target)
        ctx = PlanContext(
            root=self.root, target=self.options.target, state_mount=self.options.state_mount,
            identities=self.options.identities, environ=self.options.env(),
        )  # fmt: skip
        state = StateStore(client, self.options.state_mount)
        # The stored key keeps value fingerprints stable from one cycle to the next.
        fp = state.fingerprinter(create=True)
        info = TargetInfo(target.name, client.url)
        return compute_plan(ctx, loaded, client, info, fp, load_inventory(state)), client

    def _apply(self, plan: Plan, client: hvac.Client) -> ApplyResult:
        options = ApplyOptions(
            root=self.root, lock_timeout=self.options.lock_timeout,
            identities=self.options.identities, actor="sealkeep-watch",
        )  # fmt: skip
        return apply_plan(plan, client, options)

    def _plan_and_apply(
        self, loaded: LoadResult
    ) -> tuple[Plan | None, ApplyResult | None, str | None]:
        """(plan, apply result, problem): a problem means no plan could be made or applied."""
        try:
            plan, client = self._plan(loaded)
            applied = None
            if self.options.apply and plan.has_changes:
                applied = self._apply(plan, client)
            return plan, applied, None
        except PLAN_FAILURES as exc:
            problem = f"cannot plan: {error_text(exc)}"
        except requests.exceptions.RequestException as exc:
            problem = f"cannot reach the store: {exc.__class__.__name__}"
        if self.pool.current is not None:
            self.pool.current.run_failed()
        return None, None, problem

    def cycle(self, paths: Sequence[str] = ()) -> WatchReport:
        """Validate, plan (and apply when asked); report what differs from the last cycle."""
        self.cycles += 1
        loaded = load_repo(self.root)
        problems = [str(d) for d in loaded.diagnostics]
        plan = applied = None
        if loaded.ok:
            plan, applied, problem = self._plan_and_apply(loaded)
            problems += [problem] if problem else []
        snapshot = snapshot_of(problems, plan, keep=self.last)
        delta = compare(self.last, snapshot)
        # After a clean apply the store matches the plan: the next plan starts from nothing.
        converged = applied is not None and applied.ok
        self.last = Snapshot(snapshot.problems, {}, snapshot.summary) if converged else snapshot
        return WatchReport(self.cycles, tuple(paths), delta, applied)

    def run(
        self,
        stop: threading.Event,
        on_report: Callable[[WatchReport], None],
        max_cycles: int | None = None,
    ) -> None:
        """Plan once, then once per burst of changes, until `stop` or `max_cycles`."""
        debouncer = Debouncer(self.options.debounce)
        observer = Observer()
        observer.schedule(ChangeHandler(self.root, debouncer), str(self.root), recursive=True)
        observer.start()
        try:
            on_report(self.cycle())
            while max_cycles is None or self.cycles < max_cycles:
                paths = debouncer.wait_quiet(stop)
                if paths is None:
                    break
                on_report(self.cycle(paths))
        finally:
            observer.stop()
            observer.join(timeout=5)
            self.pool.close()
