"""The managed-object inventory: what the reconciler owns, with its fingerprint and commit.

Only objects in the inventory are ever updated in place or pruned. It is kept in a few
shards under `inventory/` of the state mount so that reading it costs a handful of requests
however many objects are managed, and an apply rewrites only the shards it touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from reconciler.gitops.live.model import Fields, ObjectRef
from reconciler.gitops.live.normalise import frozen, plain
from reconciler.gitops.live.statestore import StateStore

SHARDS = 16
PREFIX = "inventory/"


@dataclass(frozen=True)
class InventoryEntry:
    """One managed object: where it is, its fingerprint after the last apply, and the commit
    (None outside Git) that last wrote it.

    `secret` is for kinds with a write-only secret (a DatabaseConnection's password): the
    fingerprint of Git's value at the last apply that wrote the object, "none" when Git had
    none, None when unknown (imported). `fingerprint` never covers it, so drift compares
    like with like.

    `fields` (the non-sensitive fields as applied) and `keys` (each secret key's value
    fingerprint, never a value) let drift say what changed; None when not recorded (an
    adoption, or an entry written before they existed).
    """

    ref: ObjectRef
    fingerprint: str
    commit: str | None = None
    applied_at: str = ""
    secret: str | None = None
    fields: Fields | None = None
    keys: Mapping[str, str] | None = None

    def encode(self) -> dict[str, Any]:
        """JSON form for the shard (`secret` only when recorded)."""
        out: dict[str, Any] = {
            "kind": self.ref.kind,
            "name": self.ref.name,
            "address": self.ref.address,
            "fingerprint": self.fingerprint,
            "commit": self.commit,
            "applied_at": self.applied_at,
        }
        if self.secret is not None:
            out["secret"] = self.secret
        if self.fields is not None:
            out["fields"] = plain(self.fields)
        if self.keys is not None:
            out["keys"] = dict(self.keys)
        return out

    @classmethod
    def decode(cls, raw: Mapping[str, Any]) -> InventoryEntry:
        """Back from the shard's JSON."""
        ref = ObjectRef(str(raw["kind"]), str(raw["name"]), str(raw["address"]))
        secret = raw.get("secret")
        fields, keys = raw.get("fields"), raw.get("keys")
        return cls(
            ref,
            str(raw["fingerprint"]),
            raw.get("commit"),
            str(raw.get("applied_at", "")),
            None if secret is None else str(secret),
            None if fields is None else cast(Fields, frozen(fields)),
            None if keys is None else {str(k): str(v) for k, v in keys.items()},
        )


def shard_of(key: str) -> str:
    """The shard name an object key ("Kind/name") lives in."""
    return f"{int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) % SHARDS:02x}"


@dataclass
class Inventory:
    """Managed objects keyed by "Kind/name"; `dirty` names shards changed since loading."""

    entries: dict[str, InventoryEntry] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)

    def get(self, key: str) -> InventoryEntry | None:
        """The entry for "Kind/name", or None when unmanaged."""
        return self.entries.get(key)

    def put(self, entry: InventoryEntry) -> None:
        """Record (or refresh) a managed object."""
        key = str(entry.ref)
        self.entries[key] = entry
        self.dirty.add(shard_of(key))

    def remove(self, key: str) -> None:
        """Stop managing an object."""
        if self.entries.pop(key, None) is not None:
            self.dirty.add(shard_of(key))

    def addresses(self) -> set[str]:
        """Every managed address."""
        return {e.ref.address for e in self.entries.values()}

    def __iter__(self) -> Iterator[InventoryEntry]:
        return iter(sorted(self.entries.values(), key=lambda e: (e.ref.tier, str(e.ref))))

    def __len__(self) -> int:
        return len(self.entries)


def load_inventory(state: StateStore) -> Inventory:
    """Read every shard (an absent state mount is an empty inventory)."""
    inventory = Inventory()
    if not state.exists():
        return inventory
    for shard in state.list(PREFIX):
        found = state.read(PREFIX + shard)
        for key, raw in ((found[0] if found else {}).get("entries") or {}).items():
            inventory.entries[str(key)] = InventoryEntry.decode(raw)
    return inventory


def save_inventory(state: StateStore, inventory: Inventory) -> None:
    """Rewrite the shards that changed."""
    if not inventory.dirty:
        return
    state.ensure()
    for shard in sorted(inventory.dirty):
        entries = {
            key: entry.encode()
            for key, entry in inventory.entries.items()
            if shard_of(key) == shard
        }
        state.write(PREFIX + shard, {"entries": entries})
    inventory.dirty.clear()


APPLIED_PATH = "inventory-commit"


@dataclass(frozen=True)
class AppliedCommit:
    """The last commit applied in full and from a clean tree: every object its files declare
    matched the store when that apply finished. `plan --changed-only` diffs from here."""

    commit: str
    apply_id: str
    applied_at: str


def remember_applied_commit(state: StateStore, applied: AppliedCommit) -> None:
    """Record `applied` as the store's last applied commit."""
    state.ensure()
    body = {"commit": applied.commit, "apply_id": applied.apply_id, "at": applied.applied_at}
    state.write(APPLIED_PATH, body)


def last_applied_commit(state: StateStore) -> AppliedCommit | None:
    """The last applied commit, or None when no clean Git apply was recorded yet."""
    if not state.exists():
        return None
    found = state.read(APPLIED_PATH)
    if found is None or not found[0].get("commit"):
        return None
    raw = found[0]
    return AppliedCommit(str(raw["commit"]), str(raw.get("apply_id", "")), str(raw.get("at", "")))
