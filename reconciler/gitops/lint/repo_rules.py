"""Repo-wide rules: no audit device (SK005), one storage node without snapshots (SK012)."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.gitops.lint.context import LintContext
from reconciler.gitops.lint.model import Finding
from reconciler.gitops.manifests import AuditDevice


def check_audit_device(ctx: LintContext) -> Iterator[Finding]:
    """SK005: without an audit device nobody can say who read a secret, or when."""
    if ctx.of_kind(AuditDevice) or ctx.desired is None or not len(ctx.desired):
        return
    anchor = ctx.anchor()
    if anchor is not None:
        message = "no AuditDevice is declared: requests to the store are not audited"
        yield Finding.at(anchor, "SK005", message)


def check_snapshots(ctx: LintContext) -> Iterator[Finding]:
    """SK012: a single storage node with no snapshot schedule loses everything with its disk."""
    store = ctx.settings.store
    if store.nodes > 1 or store.snapshot_schedule:
        return
    anchor = ctx.config_span(("store",)) or ctx.anchor()
    if anchor is not None:
        message = (
            "the store runs on a single storage node and no snapshot schedule is declared "
            "(store.snapshot_schedule in sealkeep.yaml)"
        )
        yield Finding.at(anchor, "SK012", message)
