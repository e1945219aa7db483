"""Compute a Plan: load the repo, read the live state, diff. The library behind `plan`.

The manifests come from the working tree, or from any commit, branch or tag (`ref`) read
out of Git's objects into a temporary folder, so SOPS files decrypt exactly as committed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hvac

from reconciler.gitops.gitsource import load_at_ref
from reconciler.gitops.live.connect import connect_target
from reconciler.gitops.live.inventory import Inventory, last_applied_commit, load_inventory
from reconciler.gitops.live.model import Fingerprinter, LiveState, ObjectRef
from reconciler.gitops.live.reader import ListScope, list_live, read_objects, read_view
from reconciler.gitops.live.registry import is_managed_kind
from reconciler.gitops.live.serverconfig import load_server_managed
from reconciler.gitops.live.statestore import DEFAULT_STATE_MOUNT, StateStore
from reconciler.gitops.manifests import (
    AuthMethod,
    ConfigError,
    Diagnostic,
    LoadResult,
    RepoConfig,
    RepoNotFound,
    find_repo_root,
    load_repo,
)
from reconciler.gitops.manifests import kinds as k
from reconciler.gitops.manifests.config import CONFIG_FILE
from reconciler.gitops.plan.desired import (
    Desired,
    SecretsUnreadable,
    build_desired,
    desired_kv_versions,
    desired_refs,
)
from reconciler.gitops.plan.diff import diff
from reconciler.gitops.plan.model import Action, DestroyGuard, Plan, TargetInfo, Unchanged
from reconciler.gitops.plan.prefix import with_mount_prefix
from reconciler.gitops.plan.provenance import files_changed, plan_source
from reconciler.gitops.plan.scope import (
    Scope,
    changed_scope,
    scoped_inventory,
    scoped_refs,
    unchanged_files,
)
from reconciler.gitops.plan.servermanaged import set_aside
from reconciler.vocabulary.errors import SealkeepError

MOUNT_KINDS = frozenset({"SecretsEngine", "AuthMethod"})


class LoadFailed(SealkeepError):
    """The repo has errors; `diagnostics` holds every one of them."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s) in the manifests")
        self.diagnostics = list(diagnostics)


@dataclass(frozen=True)
class PlanContext:
    """Everything a run needs besides the repo: where, as whom, and how.

    `ref` plans a commit, branch or tag instead of the working tree; `base` adds the files
    the change touches against that ref; `changed_only` reads only objects from files
    changed since the store's last applied commit; `allow_destroy` lets apply run a plan
    that deletes a mount, an auth method, an audit device or a large share of what is managed.
    """

    root: Path
    target: str | None = None
    prune: bool = False
    state_mount: str = DEFAULT_STATE_MOUNT
    progress: bool = False
    identities: Sequence[str] | None = None
    environ: Mapping[str, str] | None = None
    ref: str | None = None
    base: str | None = None
    changed_only: bool = False
    allow_destroy: bool = False

    @classmethod
    def at(cls, start: Path | None, **settings: Any) -> PlanContext:
        """A context for the repo holding `start` (default: the working directory), found
        by walking up to `sealkeep.yaml` as git finds `.git`; RepoNotFound when none."""
        return cls(root=find_repo_root(start or Path.cwd()), **settings)

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


def load_tree(start: Path, ref: str | None) -> LoadResult:
    """Load the repo holding `start` (found by walking up to `sealkeep.yaml`; RepoNotFound
    when none), or that repo at `ref`, for validation: every diagnostic, no error raised.

    Nothing is decrypted, so the result stays usable once the materialised tree is gone.
    """
    root = find_repo_root(start)
    if ref is None:
        return load_repo(root)
    with load_at_ref(root, ref) as result:
        return result


@contextmanager
def manifests_at(root: Path, ref: str | None) -> Iterator[LoadResult]:
    """The loaded manifests of the working tree, or of `ref` (materialised for the block:
    `result.root` is where its SOPS files decrypt). Raises LoadFailed with every error, and
    RepoNotFound when `root` holds no `sealkeep.yaml`: a plan never runs from a stray folder."""
    if find_repo_root(root) != root.resolve():
        raise RepoNotFound(
            f"{root} is not a repo root: {CONFIG_FILE} is in {find_repo_root(root)}",
            hint="run from the repo's root folder, or pass no path",
        )
    if ref is None:
        yield load_checked(root)
        return
    with load_at_ref(root, ref) as result:
        if not result.ok:
            raise LoadFailed(result.diagnostics)
        yield result


def open_target(ctx: PlanContext, config: RepoConfig) -> tuple[hvac.Client, TargetInfo]:
    """A logged-in client for the chosen target (VAULT_ADDR / VAULT_TOKEN override)."""
    target = config.target(ctx.target, ctx.env())
    client = connect_target(target, ctx.env())
    return client, TargetInfo(target.name, client.url)


def _scope(result: LoadResult, state_mount: str, inventory: Inventory) -> ListScope:
    """Where to list: the mounts Git declares, and the managed mounts (so a pruned mount's
    unmanaged content is seen, reported, and keeps the mount from being deleted)."""
    assert result.desired is not None
    auth = {m.path for m in result.desired.of_kind(AuthMethod)}
    for kind in k.AUTH_ROLE_KINDS:
        auth |= {r.mount for r in result.desired.of_kind(kind)}
    auth |= {e.ref.name for e in inventory if e.ref.kind == "AuthMethod"}
    engines = result.desired.of_kind(k.SecretsEngine)
    managed = {e.ref.name for e in inventory if e.ref.kind == "SecretsEngine"}
    return ListScope(
        auth_mounts=frozenset(auth),
        kv_mounts=frozenset(desired_kv_versions(result.desired)) | managed,
        database_mounts=frozenset(e.path for e in engines if e.type == "database") | managed,
        # Keys are listed so a pruned transit mount holding keys nobody manages is kept.
        transit_mounts=frozenset(e.path for e in engines if e.type == "transit") | managed,
        skip_mounts=frozenset({state_mount}),
    )


def _replaces_a_mount(plan: Plan) -> bool:
    """Whether the plan replaces or deletes a mount: what lives under it must be known."""
    return any(
        c.action in (Action.REPLACE, Action.DELETE) and c.ref.kind in MOUNT_KINDS
        for c in plan.changes
    )


def _mount_prefix(ctx: PlanContext, result: LoadResult) -> str | None:
    """The chosen target's mount prefix (none when the target is only VAULT_ADDR)."""
    try:
        return result.config.target(ctx.target, ctx.env()).mount_prefix
    except ConfigError:
        return None


def compute_plan(
    ctx: PlanContext,
    result: LoadResult,
    client: hvac.Client,
    target: TargetInfo,
    fp: Fingerprinter,
    inventory: Inventory,
    scope: Scope | None = None,
) -> Plan:
    """Read what the desired state and the inventory name, then diff into a Plan.

    SOPS files decrypt from `result.root` (the materialised tree for a ref). With a partial
    `scope`, only its objects and the managed objects Git no longer declares are read; a
    plan that would replace a mount is made again in full (what lives under it is recreated).
    """
    assert result.desired is not None
    result = replace(result, desired=with_mount_prefix(result.desired, _mount_prefix(ctx, result)))
    scope = scope or Scope()
    view = read_view(client, desired_kv_versions(result.desired))
    wanted, unread = scoped_refs(desired_refs(result.desired, view), scope)
    managed = scoped_inventory(inventory, result.desired, scope)
    addresses = {r.address for r in wanted.values()}
    refs = [*wanted.values(), *(e.ref for e in managed if e.ref.address not in addresses)]
    listing = _scope(result, ctx.state_mount, inventory)

    def read_live() -> tuple[LiveState, list[ObjectRef]]:
        live = read_objects(client, refs, view, progress=ctx.progress)
        # Unmanaged objects are found by listing everything: only a full plan does that.
        return live, [] if scope.partial else list_live(client, view, listing)

    # The reads wait on the network while this thread decrypts the SOPS files.
    with ThreadPoolExecutor(max_workers=1) as background:
        reading = background.submit(read_live)
        try:
            desired: Desired = build_desired(result.desired, result.root, wanted, ctx.identities)
        except SecretsUnreadable as exc:
            reading.result()  # let the reads finish (or fail) before reporting
            raise LoadFailed(exc.diagnostics) from None
        live, listed = reading.result()
    found = diff(
        desired.states, live, managed, fp, listed=listed, sources=desired.sources, prune=ctx.prune
    )
    server_managed = load_server_managed(StateStore(client, ctx.state_mount))
    planned, read_only = set_aside(found.changes, server_managed)
    source = plan_source(ctx.root, ctx.ref)
    plan = Plan(
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        target=target,
        state_mount=ctx.state_mount,
        root=str(ctx.root),
        changes=planned,
        adopt=found.adopt,
        forget=found.forget,
        unmanaged=found.unmanaged,
        orphans=found.orphans,
        skipped=tuple(r for r in desired.skipped if not is_managed_kind(r.kind)),
        commit=source.commit if source is not None else None,
        prune=ctx.prune,
        ephemeral_fingerprints=fp.ephemeral,
        source=source,
        files_changed=None if ctx.base is None else files_changed(ctx.root, ctx.base, _head(ctx)),
        notes=(*read_only, *(() if scope.note is None else (scope.note,))),
        destroy=DestroyGuard(
            allowed=ctx.allow_destroy,
            managed=len(inventory),
            max_share=result.config.apply.max_destroy_share,
        ),
        kept=found.kept,
        locations={str(key): span for key, span in result.desired.spans.items()},
        warnings=tuple(result.diagnostics),
    )
    if not scope.partial or scope.since is None:
        return plan
    if _replaces_a_mount(plan):
        note = "--changed-only planned every file: a mount is replaced or deleted"
        full = compute_plan(ctx, result, client, target, fp, inventory)
        return replace(full, notes=(note,))
    files = unchanged_files(result.desired, scope)
    return replace(plan, unchanged=Unchanged(scope.since, unread, files))


def _head(ctx: PlanContext) -> str:
    return ctx.ref or "HEAD"


def plan_loaded(
    ctx: PlanContext,
    result: LoadResult,
    client: hvac.Client | None = None,
    target: TargetInfo | None = None,
) -> Plan:
    """The Plan of already loaded manifests (see `make_plan`)."""
    if client is None:
        client, target = open_target(ctx, result.config)
    elif target is None:
        target = TargetInfo(ctx.target or "env", client.url)
    state = StateStore(client, ctx.state_mount)
    fp = state.fingerprinter(create=True)
    inventory = load_inventory(state)
    scope = None
    if ctx.changed_only:
        assert result.desired is not None
        since = last_applied_commit(state)
        scope = changed_scope(ctx.root, ctx.ref, result.desired, since)
    return compute_plan(ctx, result, client, target, fp, inventory, scope)


def make_plan(ctx: PlanContext, client: hvac.Client | None = None) -> Plan:
    """Load the repo at `ctx.root` (at `ctx.ref`), read the target, and compute the Plan.

    Raises LoadFailed (with every diagnostic) before touching any store. The only write a
    plan may make is creating the state mount's fingerprint key the first time.
    """
    with manifests_at(ctx.root, ctx.ref) as result:
        return plan_loaded(ctx, result, client)
