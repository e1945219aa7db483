"""Drift: managed objects changed outside Git, found by comparing live fingerprints with
the fingerprints the inventory recorded at the last apply (as External Secrets does with a
content hash on the live object). Needs no SOPS key: nothing is decrypted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import hvac

from reconciler.gitops.live.inventory import load_inventory
from reconciler.gitops.live.model import ObjectRef
from reconciler.gitops.live.reader import read_objects, read_view
from reconciler.gitops.live.statestore import StateStore

DriftKind = Literal["changed", "deleted"]


@dataclass(frozen=True)
class Drifted:
    """One managed object that no longer matches its last apply."""

    ref: ObjectRef
    kind: DriftKind
    expected: str
    found: str | None


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
        have = live.get(entry.ref.address)
        if have is None:
            drifted.append(Drifted(entry.ref, "deleted", entry.fingerprint, None))
            continue
        now = fp.state(have)
        if now != entry.fingerprint:
            drifted.append(Drifted(entry.ref, "changed", entry.fingerprint, now))
    return DriftReport(tuple(drifted), len(entries))
