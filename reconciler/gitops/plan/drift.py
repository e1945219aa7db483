"""Drift: managed objects changed outside Git, found by comparing live fingerprints with
the fingerprints the inventory recorded at the last apply (as External Secrets does with a
content hash on the live object). Needs no SOPS key: nothing is decrypted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import hvac

from reconciler.gitops.live.inventory import InventoryEntry, load_inventory
from reconciler.gitops.live.model import Fields, Fingerprinter, ObjectRef, ObjectState
from reconciler.gitops.live.reader import read_objects, read_view
from reconciler.gitops.live.statestore import StateStore
from reconciler.gitops.live.unreturned import complete
from reconciler.gitops.manifests import load_config
from reconciler.gitops.plan.build import PlanContext, open_target
from reconciler.gitops.plan.fields import field_changes
from reconciler.gitops.plan.model import FieldChange, KeyChangeKind

DriftKind = Literal["changed", "deleted"]


@dataclass(frozen=True)
class KeyDrift:
    """One secret key added, changed or removed outside Git: its name only, never a value."""

    key: str
    change: KeyChangeKind


@dataclass(frozen=True)
class Drifted:
    """One managed object that no longer matches its last apply.

    `fields` are the non-sensitive fields that differ (old = as applied, new = live) and
    `keys` the secret keys that differ; both empty when the inventory recorded no baseline
    (`known` False: an adopted object, or one applied before baselines were kept).
    """

    ref: ObjectRef
    kind: DriftKind
    expected: str
    found: str | None
    fields: tuple[FieldChange, ...] = ()
    keys: tuple[KeyDrift, ...] = ()
    known: bool = True

    def encode(self) -> dict[str, Any]:
        """JSON form (drift --format json): fields with old/new, keys by name only."""
        return {
            "kind": self.ref.kind,
            "name": self.ref.name,
            "address": self.ref.address,
            "drift": self.kind,
            "details_known": self.known,
            "fields": [{"path": f.path, "old": f.before, "new": f.after} for f in self.fields],
            "keys": [{"key": k.key, "change": k.change} for k in self.keys],
        }


def _key_drift(recorded: Mapping[str, str], live: Fields, fp: Fingerprinter) -> list[KeyDrift]:
    found: list[KeyDrift] = []
    for key in sorted(set(recorded) | set(live)):
        if key not in recorded:
            found.append(KeyDrift(key, "added"))
        elif key not in live:
            found.append(KeyDrift(key, "removed"))
        elif fp.value(live[key]) != recorded[key]:
            found.append(KeyDrift(key, "changed"))
    return found


def _changed(entry: InventoryEntry, have: ObjectState, now: str, fp: Fingerprinter) -> Drifted:
    """What changed in `have` since the apply `entry` records, as far as it is known."""
    if entry.fields is None:
        return Drifted(entry.ref, "changed", entry.fingerprint, now, known=False)
    # A Secret's `keys` field repeats what `keys` below says key by key.
    fields = [f for f in field_changes(entry.fields, have.fields) if f.path != "keys"]
    keys = _key_drift(entry.keys or {}, have.secret_values(), fp) if entry.keys is not None else []
    return Drifted(entry.ref, "changed", entry.fingerprint, now, tuple(fields), tuple(keys))


@dataclass(frozen=True)
class DriftReport:
    """Every drifted object, and how many managed objects were checked."""

    drifted: tuple[Drifted, ...]
    checked: int

    @property
    def has_drift(self) -> bool:
        """True when any managed object drifted."""
        return bool(self.drifted)


def detect_drift(client: hvac.Client, state_mount: str, progress: bool = False) -> DriftReport:
    """Read every managed object once and compare it with the inventory."""
    state = StateStore(client, state_mount)
    inventory = load_inventory(state)
    if not len(inventory):
        return DriftReport((), 0)
    fp = state.fingerprinter(create=False)
    view = read_view(client)
    entries = list(inventory)
    live = read_objects(client, [e.ref for e in entries], view, progress=progress)
    drifted = []
    for entry in entries:
        have = complete(live.get(entry.ref.address), entry.fields)
        if have is None:
            drifted.append(Drifted(entry.ref, "deleted", entry.fingerprint, None))
            continue
        now = fp.state(have)
        if now != entry.fingerprint:
            drifted.append(_changed(entry, have, now, fp))
    return DriftReport(tuple(drifted), len(entries))


def drift_of(ctx: PlanContext, state_mount: str) -> DriftReport:
    """The drift of the target of the repo at `ctx.root` (the library behind `drift`)."""
    client, _ = open_target(ctx, load_config(ctx.root)[0])
    return detect_drift(client, state_mount, progress=ctx.progress)
