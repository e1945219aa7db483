"""The library behind `sealkeep apply` with a saved plan: connect to the plan's target."""

from __future__ import annotations

from pathlib import Path

import hvac

from reconciler.apply.stale import StalePlan
from reconciler.manifests import load_config
from reconciler.plan.build import PlanContext, open_target
from reconciler.plan.model import Plan


def resolve_root(plan: Plan, given: Path | None) -> Path:
    """The repo root to read SOPS files from: given, else the plan's, else the cwd."""
    if given is not None:
        return given.resolve()
    recorded = Path(plan.root)
    return recorded if recorded.is_dir() else Path.cwd()


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
