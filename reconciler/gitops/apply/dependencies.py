"""Which changes depend on which: apply skips what depends on a change that failed.

A change under a mount (a secret, a role, a database object) depends on that mount's change;
a database role depends on its connection's change. Everything else is independent, as
Terraform continues past a failed resource with every change that does not depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.gitops.live.model import ObjectRef
from reconciler.gitops.plan.model import Action, Change

DATABASE_ROLE_KINDS = frozenset({"DatabaseRole", "DatabaseStaticRole"})


def _mount_prefix(ref: ObjectRef) -> str | None:
    if ref.kind == "SecretsEngine":
        return ref.address.removeprefix("sys/mounts/").rstrip("/") + "/"
    if ref.kind == "AuthMethod":
        return "auth/" + ref.address.removeprefix("sys/auth/").rstrip("/") + "/"
    return None


def depends_on(change: Change, other: Change) -> bool:
    """Whether `change` cannot be made when `other` was not."""
    prefix = _mount_prefix(other.ref)
    if prefix is not None and change.ref.address.startswith(prefix):
        return True
    if other.ref.kind == "DatabaseConnection" and change.ref.kind in DATABASE_ROLE_KINDS:
        mount = other.ref.address.rpartition("/config/")[0]
        db_name = (change.desired or {}).get("db_name")
        return change.ref.address.startswith(mount + "/") and db_name == other.ref.name
    return False


def blocked_by(change: Change, missing: Iterable[Change]) -> Change | None:
    """The first of `missing` (failed or skipped changes) that `change` depends on."""
    return next((m for m in missing if depends_on(change, m)), None)


def levels(changes: Iterable[Change]) -> list[list[Change]]:
    """Consecutive changes of one dependency tier and direction (create/update vs delete):
    the changes of a level never depend on each other, so they may run at once."""
    out: list[list[Change]] = []
    last: tuple[int, bool] | None = None
    for change in changes:
        key = (change.ref.tier, change.action is Action.DELETE)
        if key != last:
            out.append([])
            last = key
        out[-1].append(change)
    return out
