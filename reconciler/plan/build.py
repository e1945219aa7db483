"""Compute a Plan: load the repo, read the live state, diff. The library behind `plan`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import hvac

from reconciler.apply.inventory import Inventory, load_inventory
from reconciler.live.connect import connect_target
from reconciler.live.model import Fingerprinter, LiveState, ObjectRef
from reconciler.live.reader import ListScope, list_live, read_objects, read_view
from reconciler.live.statestore import DEFAULT_STATE_MOUNT, StateStore
from reconciler.manifests import AuthMethod, Diagnostic, LoadResult, RepoConfig, load_repo
from reconciler.manifests import kinds as k
from reconciler.plan.desired import Desired, build_desired, desired_kv_versions, desired_refs
from reconciler.plan.diff import diff
from reconciler.plan.model import Plan, TargetInfo
from reconciler.plan.provenance import head_commit


class LoadFailed(Exception):
    """The repo has errors; `diagnostics` holds every one of them."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s) in the manifests")
        self.diagnostics = list(diagnostics)


@dataclass(frozen=True)
class PlanContext:
    """Everything a run needs besides the repo: where, as whom, and how."""

    root: Path
    target: str | None = None
    prune: bool = False
    state_mount: str = DEFAULT_STATE_MOUNT
    progress: bool = False
    identities: Sequence[str] | None = None
    environ: Mapping[str, str] | None = None

    def env(self) -> Mapping[str, str]:
        """The environment to read VAULT_* from."""
        return os.environ if self.environ is None else self.environ


@dataclass(frozen=True)
class Loaded:
    """A repo loaded without errors, with its connected client and the target."""

    result: LoadResult
    client: hvac.Client
    target: TargetInfo


def load_checked(root: Path) -> LoadResult:
    """Load the repo; raise LoadFailed with every error."""
    result = load_repo(root)
    if not result.ok:
        raise LoadFailed(result.diagnostics)
    return result


def open_target(ctx: PlanContext, config: RepoConfig) -> tuple[hvac.Client, TargetInfo]:
    """A logged-in client for the chosen target (VAULT_ADDR / VAULT_TOKEN override)."""
    target = config.target(ctx.target, ctx.env())
    client = connect_target(target, ctx.env())
    return client, TargetInfo(target.name, client.url)


def _scope(result: LoadResult, state_mount: str) -> ListScope:
    assert result.desired is not None
    auth = {m.path for m in result.desired.of_kind(AuthMethod)}
    for kind in (k.AppRole, k.JWTRole, k.KubernetesRole):
        auth |= {r.mount for r in result.desired.of_kind(kind)}
    return ListScope(
        auth_mounts=frozenset(auth),
        kv_mounts=frozenset(desired_kv_versions(result.desired)),
        skip_mounts=frozenset({state_mount}),
    )


def compute_plan(
    ctx: PlanContext,
    result: LoadResult,
    client: hvac.Client,
    target: TargetInfo,
    fp: Fingerprinter,
    inventory: Inventory,
) -> Plan:
    """Read what the desired state and the inventory name, then diff into a Plan."""
    assert result.desired is not None
    view = read_view(client, desired_kv_versions(result.desired))
    wanted = desired_refs(result.desired, view)
    addresses = {r.address for r in wanted.values()}
    refs = [*wanted.values(), *(e.ref for e in inventory if e.ref.address not in addresses)]
    scope = _scope(result, ctx.state_mount)

    def read_live() -> tuple[LiveState, list[ObjectRef]]:
        live = read_objects(client, refs, view, progress=ctx.progress)
        return live, list_live(client, view, scope)

    # The reads wait on the network while this thread decrypts the SOPS files.
    with ThreadPoolExecutor(max_workers=1) as background:
        reading = background.submit(read_live)
        desired: Desired = build_desired(result.desired, ctx.root, wanted, ctx.identities)
        live, listed = reading.result()
    found = diff(
        desired.states, live, inventory, fp, listed=listed, sources=desired.sources, prune=ctx.prune
    )
    return Plan(
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        target=target,
        state_mount=ctx.state_mount,
        root=str(ctx.root),
        changes=found.changes,
        adopt=found.adopt,
        forget=found.forget,
        unmanaged=found.unmanaged,
        orphans=found.orphans,
        skipped=desired.skipped,
        commit=head_commit(ctx.root),
        prune=ctx.prune,
        ephemeral_fingerprints=fp.ephemeral,
    )


def make_plan(ctx: PlanContext, client: hvac.Client | None = None) -> Plan:
    """Load the repo at `ctx.root`, read the target, and compute the Plan.

    Raises LoadFailed (with every diagnostic) before touching any store. The only write a
    plan may make is creating the state mount's fingerprint key the first time.
    """
    result = load_checked(ctx.root)
    if client is None:
        client, target = open_target(ctx, result.config)
    else:
        target = TargetInfo(ctx.target or "env", client.url)
    state = StateStore(client, ctx.state_mount)
    fp = state.fingerprinter(create=True)
    return compute_plan(ctx, result, client, target, fp, load_inventory(state))
