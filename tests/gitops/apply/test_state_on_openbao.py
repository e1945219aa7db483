"""The reconciler's state on a real OpenBao, which refuses request bodies of more than 1,000
JSON strings: large inventory shards and history records still round-trip."""

from __future__ import annotations

from reconciler.gitops.live.inventory import (
    Inventory,
    InventoryEntry,
    load_inventory,
    save_inventory,
)
from reconciler.gitops.live.model import ObjectRef
from reconciler.gitops.live.statestore import StateStore
from tests.support.openbao import OpenBao


def test_a_large_inventory_round_trips_on_openbao(openbao: OpenBao, unique: str) -> None:
    state = StateStore(openbao.client(), f"{unique}-state")
    inventory = Inventory()
    for i in range(3000):  # a few hundred entries per shard, each with fields and keys
        ref = ObjectRef("Secret", f"s{i}", f"kv/data/app/s{i}")
        keys = {"username": f"hmac:{i:016x}", "password": f"hmac:{i + 1:016x}"}
        inventory.put(InventoryEntry(ref, f"fp{i}", "c0ffee", "2026-12-06T00:00:00Z", keys=keys))
    save_inventory(state, inventory)
    loaded = load_inventory(state)
    assert len(loaded) == 3000
    entry = loaded.get("Secret/s2999")
    assert entry is not None and entry.keys == {
        "username": f"hmac:{2999:016x}",
        "password": f"hmac:{3000:016x}",
    }
