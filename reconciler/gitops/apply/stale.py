"""The stale-plan check: the store and the repo must still be what the plan saw.

Every object a plan touches is re-read and its fingerprint compared with the one the plan
recorded; each Secret's SOPS file is decrypted again and must give the planned values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import hvac

from reconciler.gitops.live.handlers import StoreView
from reconciler.gitops.live.model import Fingerprinter, ObjectRef, ObjectState, Sensitive
from reconciler.gitops.live.reader import read_objects
from reconciler.gitops.live.unreturned import complete
from reconciler.gitops.plan.desired import (
    SENSITIVE_KINDS,
    WRITE_ONLY_KINDS,
    DesiredError,
    secret_values,
    write_only_values,
)
from reconciler.gitops.plan.model import Plan
from reconciler.vocabulary.errors import SealkeepError


class StalePlan(SealkeepError):
    """The store or the repo changed since the plan; the message names the objects."""


def desired_state(
    ref: ObjectRef,
    fields: Mapping[str, object] | None,
    source: str | None,
    root: Path,
    identities: Sequence[str] | None,
) -> ObjectState:
    """The state apply writes: the plan's fields, plus decrypted values for sensitive kinds
    (and a connection's password when the plan recorded its file: see plan.connections)."""
    secret = None
    if ref.kind in SENSITIVE_KINDS:
        if source is None:
            raise StalePlan(f"plan is stale: {ref} has no source file recorded")
        secret = Sensitive(secret_values(root, source, identities))
    elif ref.kind in WRITE_ONLY_KINDS and source is not None:
        secret = Sensitive(write_only_values(root, source, identities))
    return ObjectState(ref, dict(fields or {}), secret)  # type: ignore[arg-type]


def check_stale(
    plan: Plan,
    client: hvac.Client,
    view: StoreView,
    fp: Fingerprinter,
    states: Mapping[str, ObjectState],
) -> None:
    """Raise StalePlan naming every object whose live or Git state moved since the plan."""
    refs = [c.ref for c in plan.changes] + [a.ref for a in plan.adopt]
    live = read_objects(client, refs, view)
    problems: list[str] = []
    for change in plan.changes:
        have = complete(live.get(change.ref.address), change.desired)
        now = fp.state(have) if have is not None else None
        if now != change.before:
            problems.append(f"{change.ref} ({change.ref.address}) changed in the store")
        want = states.get(change.ref.address)
        if want is not None and change.after is not None and fp.state(want) != change.after:
            problems.append(f"{change.ref} changed in Git")
    for adoption in plan.adopt:
        have = live.get(adoption.ref.address)
        if have is None or fp.state(have) != adoption.fingerprint:
            problems.append(f"{adoption.ref} ({adoption.ref.address}) changed in the store")
    if problems:
        raise StalePlan("plan is stale: " + "; ".join(problems) + ". Run `sealkeep plan` again.")


def planned_states(
    plan: Plan, root: Path, identities: Sequence[str] | None
) -> dict[str, ObjectState]:
    """The state each non-delete change writes (sensitive values decrypted now)."""
    out: dict[str, ObjectState] = {}
    for change in plan.changes:
        if change.desired is None:
            continue
        try:
            out[change.ref.address] = desired_state(
                change.ref, change.desired, change.source, root, identities
            )
        except DesiredError as exc:
            raise StalePlan(f"plan is stale: {change.ref}: {exc}") from None
    return out
