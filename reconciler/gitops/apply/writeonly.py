"""Apply's side of write-only secrets (a DatabaseConnection's password).

The planned state holds Git's password whenever Git sets one, so the stale check covers it;
this module strips it from what is written unless the plan sends it, and records in the
inventory the fingerprint of the fields the store returns (what drift compares) apart from
the fingerprint of Git's password (what the next plan compares).
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.gitops.live.inventory import InventoryEntry
from reconciler.gitops.live.model import Fingerprinter, ObjectState
from reconciler.gitops.plan.connections import NO_PASSWORD, recorded_fingerprint, sends_password
from reconciler.gitops.plan.desired import WRITE_ONLY_KINDS
from reconciler.gitops.plan.model import Adoption, Change


def state_to_write(change: Change, state: ObjectState | None) -> ObjectState | None:
    """`state` without its write-only secret, unless the plan sends it."""
    if state is None or change.ref.kind not in WRITE_ONLY_KINDS or sends_password(change):
        return state
    return replace(state, secret=None)


def applied_entry(
    change: Change,
    state: ObjectState | None,
    fp: Fingerprinter,
    commit: str | None,
    applied_at: str,
) -> InventoryEntry:
    """The inventory entry for a change that was applied (not a delete), with the fields
    and key fingerprints drift later compares (a write-only secret has no keys: it is
    never read back)."""
    if state is None:
        return InventoryEntry(change.ref, change.after or "", commit, applied_at)
    if change.ref.kind not in WRITE_ONLY_KINDS:
        keys = {k: fp.value(v) for k, v in state.secret_values().items()}
        return InventoryEntry(
            change.ref, change.after or "", commit, applied_at,
            fields=state.fields, keys=keys if state.secret is not None else None,
        )  # fmt: skip
    live_like = fp.state(replace(state, secret=None))
    secret = recorded_fingerprint(state, fp)
    return InventoryEntry(change.ref, live_like, commit, applied_at, secret, fields=state.fields)


def adopted_entry(adoption: Adoption, commit: str | None, applied_at: str) -> InventoryEntry:
    """The inventory entry for an adoption; a connection is adopted only when Git sets no
    password (with one, the plan makes a change that records it)."""
    secret = NO_PASSWORD if adoption.ref.kind in WRITE_ONLY_KINDS else None
    return InventoryEntry(adoption.ref, adoption.fingerprint, commit, applied_at, secret)
