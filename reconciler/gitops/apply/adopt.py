"""`import`: adopt existing live objects Git declares into the inventory, under the lock.

Adoption records the live object's current fingerprint, so the next plan shows exactly how
it differs from Git, as an ordinary update of a managed object.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import hvac

from reconciler.gitops.apply.lock import ApplyLock, LockHolder
from reconciler.gitops.live.inventory import InventoryEntry, load_inventory, save_inventory
from reconciler.gitops.live.reader import read_objects, read_view
from reconciler.gitops.live.registry import handler_for, is_managed_kind
from reconciler.gitops.live.session import set_correlation_id
from reconciler.gitops.live.statestore import StateStore
from reconciler.gitops.manifests import DesiredState, ObjectKey
from reconciler.gitops.plan.desired import desired_kv_versions
from reconciler.gitops.plan.provenance import head_commit
from reconciler.vocabulary.errors import SealkeepError


class AdoptError(SealkeepError):
    """An object named for import is not in Git, not managed by kind, or absent live."""


@dataclass(frozen=True)
class ImportRequest:
    """What to adopt and where the state lives."""

    keys: Sequence[str]
    state_mount: str
    owner: str
    lock_timeout: float = 300.0


def _parse(text: str) -> ObjectKey:
    kind, _, name = text.partition("/")
    if not kind or not name:
        raise AdoptError(f"{text!r}: expected KIND/NAME, e.g. Policy/payments-api")
    return ObjectKey(kind, name)


def import_objects(
    client: hvac.Client, desired: DesiredState, request: ImportRequest, root: Path
) -> list[InventoryEntry]:
    """Adopt each named object; all must exist in Git and in the store, or nothing changes."""
    keys = [_parse(k) for k in request.keys]
    view = read_view(client, desired_kv_versions(desired))
    refs = []
    for key in keys:
        obj = desired.objects.get(key)
        if obj is None:
            raise AdoptError(f"{key}: not declared in the repo")
        if not is_managed_kind(key.kind):
            raise AdoptError(f"{key}: kind {key.kind} is not managed by this reconciler")
        refs.append(handler_for(key.kind).ref(obj, view))
    live = read_objects(client, refs, view)
    missing = [f"{r} ({r.address})" for r in refs if live.get(r.address) is None]
    if missing:
        raise AdoptError("not found in the store: " + ", ".join(missing))
    apply_id = uuid.uuid4().hex
    set_correlation_id(client, apply_id)
    state = StateStore(client, request.state_mount)
    commit = head_commit(root)
    holder = LockHolder(owner=request.owner, apply_id=apply_id, commit=commit)
    with ApplyLock(state, holder, request.lock_timeout):
        fp = state.fingerprinter(create=True)
        inventory = load_inventory(state)
        entries = []
        for ref in refs:
            state_now = live.get(ref.address)
            assert state_now is not None
            entry = InventoryEntry(ref, fp.state(state_now), commit)
            inventory.put(entry)
            entries.append(entry)
        save_inventory(state, inventory)
    return entries
