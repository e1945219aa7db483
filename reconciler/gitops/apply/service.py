"""The library behind `sealkeep apply`: where a plan's manifests come from, and whether the
Git tree is safe to apply from.

An apply is refused from a working tree with uncommitted changes or from a branch other
than the one `sealkeep.yaml` names (each overridable), and a saved plan is refused when the
commit it was made from is no longer what the repo (or its ref) points at. A plan of a ref
decrypts its SOPS files from that commit, materialised for the duration of the apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import git
import hvac

from reconciler.gitops.apply.history import Outcome
from reconciler.gitops.apply.runner import ApplyOptions, ApplyResult, apply_plan, refuse_destroy
from reconciler.gitops.apply.stale import StalePlan
from reconciler.gitops.gitsource import (
    GitSourceError,
    UnsafeWorkingTree,
    ensure_clean_branch,
    materialize,
    open_repo,
)
from reconciler.gitops.manifests import find_repo_root, load_config
from reconciler.gitops.manifests.config import CONFIG_FILE
from reconciler.gitops.plan.build import PlanContext, manifests_at, open_target, plan_loaded
from reconciler.gitops.plan.model import Plan, PlanSource
from reconciler.gitops.plan.planfile import load_plan
from reconciler.gitops.plan.provenance import head_commit, in_git, source_at_ref


@dataclass(frozen=True)
class Safety:
    """Which of the Git checks the user overrode (`--allow-dirty`, `--allow-other-branch`)."""

    allow_dirty: bool = False
    allow_other_branch: bool = False


@dataclass(frozen=True)
class FreshPlan:
    """A plan computed for an apply, its connected client, and where its SOPS files are."""

    plan: Plan
    client: hvac.Client
    tree: Path
    root: Path


@dataclass(frozen=True)
class ApplyRequest:
    """What the user asked of an apply besides the plan: target, repo (`-C`; None: walk up
    from the working directory), lock wait (None: sealkeep.yaml's), Git safety overrides,
    and where each outcome is reported as it happens."""

    target: str | None = None
    repo: Path | None = None
    lock_timeout: float | None = None
    safety: Safety = Safety()
    environ: Mapping[str, str] | None = None
    on_outcome: Callable[[Outcome], None] | None = None
    on_start: Callable[[int], None] | None = None


def resolve_root(plan: Plan, given: Path | None) -> Path:
    """The repo root to read SOPS files from: the repo holding `given`, else the plan's
    recorded root, else the repo holding the working directory (RepoNotFound if none)."""
    if given is not None:
        return find_repo_root(given)
    recorded = Path(plan.root)
    return recorded if (recorded / CONFIG_FILE).is_file() else find_repo_root(Path.cwd())


def _options(tree: Path, root: Path, request: ApplyRequest) -> ApplyOptions:
    wait = request.lock_timeout
    if wait is None:
        wait = load_config(root)[0].apply.lock_timeout
    return ApplyOptions(
        root=tree, lock_timeout=wait, on_outcome=request.on_outcome, on_start=request.on_start
    )


def apply_saved_plan(plan_file: Path, request: ApplyRequest) -> ApplyResult:
    """Apply a saved plan exactly as it was reviewed.

    Refuses, before connecting or changing anything: a plan whose hash does not match
    (PlanFileError), one that destroys too much without `--allow-destroy` (DestroyRefused),
    a moved commit or another target (StalePlan), an unsafe tree (UnsafeWorkingTree).
    """
    saved = load_plan(plan_file)
    refuse_destroy(saved)
    root = resolve_root(saved, request.repo)
    ctx = PlanContext(root=root, target=request.target, environ=request.environ)
    with saved_plan_tree(saved, root, request.safety) as tree:
        client = client_for_plan(saved, ctx)
        return apply_plan(saved, client, _options(tree, root, request))


def apply_fresh(fresh: FreshPlan, request: ApplyRequest) -> ApplyResult:
    """Apply a plan `fresh_plan` just computed (and the user confirmed)."""
    return apply_plan(fresh.plan, fresh.client, _options(fresh.tree, fresh.root, request))


def client_for_plan(plan: Plan, ctx: PlanContext) -> hvac.Client:
    """A client for the target the plan was made against; refuses another address."""
    config, _ = load_config(ctx.root)
    client, target = open_target(ctx, config)
    if target.address.rstrip("/") != plan.target.address.rstrip("/"):
        raise StalePlan(
            f"plan is stale: it was made for {plan.target.address}, "
            f"but the target is {target.address}"
        )
    return client


def _ref_is_branch(root: Path, ref: str, branch: str) -> bool:
    names = {branch, f"refs/heads/{branch}", f"origin/{branch}", f"refs/remotes/origin/{branch}"}
    if ref in names:
        return True
    repo = open_repo(root)
    try:
        return repo.commit(ref).hexsha == repo.commit(branch).hexsha
    except GitSourceError:
        return False


def check_tree(root: Path, ref: str | None, branch: str, safety: Safety) -> None:
    """Refuse a dirty working tree or another branch than `branch` (UnsafeWorkingTree).

    A ref is read from Git's objects, so only its branch is checked: it must name `branch`
    (or its remote-tracking branch, or the same commit). Outside Git nothing is checked.
    """
    if not in_git(root):
        return
    if ref is None:
        ensure_clean_branch(
            root,
            branch,
            allow_dirty=safety.allow_dirty,
            allow_other_branch=safety.allow_other_branch,
        )
        return
    if not safety.allow_other_branch and not _ref_is_branch(root, ref, branch):
        raise UnsafeWorkingTree(
            f"--ref {ref} is not '{branch}', the branch sealkeep.yaml says changes are "
            "applied from: apply that branch, or pass --allow-other-branch"
        )


@contextmanager
def fresh_plan(ctx: PlanContext, safety: Safety) -> Iterator[FreshPlan]:
    """Check the tree, then plan `ctx.root` (at `ctx.ref`); the tree stays readable for the
    block so the apply decrypts the same SOPS files the plan did."""
    with manifests_at(ctx.root, ctx.ref) as result:
        check_tree(ctx.root, ctx.ref, result.config.branch, safety)
        client, target = open_target(ctx, result.config)
        plan = plan_loaded(ctx, result, client, target)
        yield FreshPlan(plan, client, result.root, ctx.root)


def _check_saved_commit(root: Path, source: PlanSource) -> None:
    if source.ref is not None:
        try:
            now = source_at_ref(root, source.ref).commit
        except GitSourceError:
            # The pull request's branch was deleted after its merge, or never fetched here
            # (CI applies from a checkout of main): the plan's commit must then be on the
            # branch, which _check_saved_ref_merged checks.
            return
        if now != source.commit:
            raise StalePlan(
                f"plan is stale: it was made at commit {source.short} of {source.ref}, "
                f"which now points at {now[:12]}; run `sealkeep plan --ref {source.ref}` again"
            )
        return
    now_head = head_commit(root)
    if now_head != source.commit:
        shown = now_head[:12] if now_head else "no commit"
        raise StalePlan(
            f"plan is stale: it was made at commit {source.short}, but {root} is now at "
            f"{shown}; run `sealkeep plan` again"
        )


def _check_saved_ref_merged(root: Path, source: PlanSource, branch: str, safety: Safety) -> None:
    """A saved plan of a ref applies once its commit is on `branch`, whatever the ref's name.

    The reviewed flow is: plan the pull request's branch, merge it, apply the saved plan;
    after the merge the plan's commit is on `branch` (fast-forward or merge commit) even
    though the plan names the pull request's branch.
    """
    if safety.allow_other_branch or not in_git(root):
        return
    repo = open_repo(root)
    try:
        merged = repo.repo.is_ancestor(source.commit, repo.commit(branch).hexsha)
    except (GitSourceError, ValueError, git.GitCommandError):
        merged = False
    if not merged:
        raise UnsafeWorkingTree(
            f"the plan was made from {source.ref} at commit {source.short}, which is not on "
            f"'{branch}', the branch sealkeep.yaml says changes are applied from: merge it "
            "first, or pass --allow-other-branch"
        )


@contextmanager
def saved_plan_tree(plan: Plan, root: Path, safety: Safety) -> Iterator[Path]:
    """Check a saved plan against the repo now; yield where its SOPS files decrypt.

    Refuses (StalePlan) when the commit moved on since the plan, and (UnsafeWorkingTree)
    a plan made from a dirty tree or another branch unless overridden. A plan of a ref
    decrypts from the exact commit it was made at.
    """
    source = plan.source
    if source is None:
        yield root
        return
    if source.dirty and not safety.allow_dirty:
        raise UnsafeWorkingTree(
            f"the plan was made from a working tree with uncommitted changes (commit "
            f"{source.short}): commit them and plan again, or pass --allow-dirty"
        )
    _check_saved_commit(root, source)
    branch = load_config(root)[0].branch
    if source.ref is None:
        check_tree(root, None, branch, safety)
        yield root
        return
    _check_saved_ref_merged(root, source, branch, safety)
    with materialize(root, source.commit) as folder:
        yield folder
