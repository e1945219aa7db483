"""The barrier: encryption bound to paths, the keyring, sealing, and what it refuses."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.store.errors import BarrierError, Sealed
from reconciler.store.sealing.barrier import (
    KEYRING_PATH,
    RESERVED_PATHS,
    ROOT_KEY_PATH,
    SEAL_CONFIG_PATH,
    Barrier,
    SealConfig,
)
from reconciler.store.storage.memory import MemoryStorage
from reconciler.store.storage.sqlite import SqliteStorage

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def _unsealed(storage: MemoryStorage | SqliteStorage | None = None) -> Barrier:
    barrier = Barrier(storage or MemoryStorage())
    barrier.initialize(KEY)
    barrier.unseal(KEY)
    return barrier


@pytest.fixture
def storage() -> MemoryStorage:
    return MemoryStorage()


@pytest.fixture
def barrier(storage: MemoryStorage) -> Barrier:
    return _unsealed(storage)


paths = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), min_size=1),
    min_size=1,
    max_size=4,
).map("/".join)
values = st.binary(max_size=512)


@given(st.dictionaries(paths, values, min_size=1, max_size=8))
@settings(max_examples=40, deadline=None)
def test_round_trip_survives_rotate_and_reseal(entries: dict[str, bytes]) -> None:
    storage = MemoryStorage()
    barrier = _unsealed(storage)
    entries = {path: value for path, value in entries.items() if path not in RESERVED_PATHS}
    for path, value in entries.items():
        barrier.put(path, value)
    barrier.rotate()
    for path, value in entries.items():
        assert barrier.get(path) == value
    barrier.seal()
    barrier.unseal(KEY)
    for path, value in entries.items():
        assert barrier.get(path) == value


@given(paths, values, st.data())
@settings(max_examples=40, deadline=None)
def test_any_tampered_byte_fails(path: str, value: bytes, data: st.DataObject) -> None:
    storage = MemoryStorage()
    if path in RESERVED_PATHS:
        return
    barrier = _unsealed(storage)
    barrier.put(path, value)
    stored = bytearray(storage.get(path) or b"")
    index = data.draw(st.integers(min_value=0, max_value=len(stored) - 1))
    stored[index] ^= data.draw(st.integers(min_value=1, max_value=255))
    storage.put(path, bytes(stored))
    with pytest.raises(BarrierError) as caught:
        barrier.get(path)
    assert repr(path) in str(caught.value)


@given(paths, paths, values)
@settings(max_examples=40, deadline=None)
def test_entry_copied_to_another_path_fails(source: str, target: str, value: bytes) -> None:
    if source == target or {source, target} & RESERVED_PATHS:
        return
    storage = MemoryStorage()
    barrier = _unsealed(storage)
    barrier.put(source, value)
    storage.put(target, storage.get(source) or b"")
    with pytest.raises(BarrierError, match="failed to decrypt"):
        barrier.get(target)


def test_error_names_path_never_data(barrier: Barrier, storage: MemoryStorage) -> None:
    secret_value = b"hunter2-very-secret"
    barrier.put("app/db", secret_value)
    storage.put("app/moved", storage.get("app/db") or b"")
    with pytest.raises(BarrierError) as caught:
        barrier.get("app/moved")
    assert "app/moved" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_values_are_not_stored_in_clear(barrier: Barrier, storage: MemoryStorage) -> None:
    barrier.put("app/db", b"plain-text-marker")
    stored = storage.get("app/db") or b""
    assert b"plain-text-marker" not in stored
    assert stored[0] == 1  # format version
    assert int.from_bytes(stored[1:5], "big") == 1  # term


def test_rotate_keeps_old_terms_and_uses_new(barrier: Barrier, storage: MemoryStorage) -> None:
    barrier.put("old", b"one")
    assert barrier.key_status().term == 1
    assert barrier.rotate() == 2
    barrier.put("new", b"two")
    assert int.from_bytes((storage.get("old") or b"")[1:5], "big") == 1
    assert int.from_bytes((storage.get("new") or b"")[1:5], "big") == 2
    assert barrier.get("old") == b"one"
    assert barrier.get("new") == b"two"
    barrier.seal()
    barrier.unseal(KEY)
    assert barrier.key_status().term == 2
    assert barrier.get("old") == b"one"


def test_key_status_counts_encryptions(barrier: Barrier) -> None:
    status = barrier.key_status()
    assert status.term == 1
    assert status.encryptions == 0
    assert status.install_time > 0
    for i in range(3):
        barrier.put(f"k{i}", b"v")
    assert barrier.key_status().encryptions == 3
    barrier.rotate()
    assert barrier.key_status().encryptions == 0
    assert barrier.key_status().install_time >= status.install_time


def test_keyring_persists_counters_and_install_times(barrier: Barrier) -> None:
    barrier.put("a", b"1")
    barrier.put("b", b"2")
    barrier.rotate()
    first = barrier.key_status()
    barrier.seal()
    barrier.unseal(KEY)
    assert barrier.key_status() == first


def test_wrong_unseal_key_fails(barrier: Barrier) -> None:
    barrier.seal()
    with pytest.raises(BarrierError, match="core/root-key"):
        barrier.unseal(OTHER_KEY)
    assert barrier.sealed
    with pytest.raises(BarrierError, match="32 bytes"):
        barrier.unseal(b"short")
    barrier.unseal(KEY)
    assert not barrier.sealed


def test_initialize_leaves_sealed() -> None:
    barrier = Barrier(MemoryStorage())
    assert not barrier.initialized()
    barrier.initialize(KEY)
    assert barrier.initialized()
    assert barrier.sealed
    with pytest.raises(ValueError, match="already initialized"):
        barrier.initialize(KEY)


def test_initialize_validates_key_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Barrier(MemoryStorage()).initialize(b"x" * 16)


def test_unseal_uninitialized_fails() -> None:
    with pytest.raises(BarrierError, match="not initialized"):
        Barrier(MemoryStorage()).unseal(KEY)


def test_sealed_refuses_every_data_call(barrier: Barrier) -> None:
    barrier.put("a", b"1")
    barrier.seal()
    assert barrier.sealed
    for call in (
        lambda: barrier.get("a"),
        lambda: barrier.put("a", b"2"),
        lambda: barrier.delete("a"),
        lambda: barrier.list(""),
        barrier.rotate,
        barrier.key_status,
    ):
        with pytest.raises(Sealed):
            call()
    with pytest.raises(Sealed), barrier.transaction():
        pass
    barrier.seal()  # sealing twice is harmless


def test_seal_zeroes_key_material(barrier: Barrier) -> None:
    keyring = barrier._keyring
    assert keyring is not None
    root, data_key = keyring.root_key, keyring.terms[1].key
    barrier.seal()
    assert root == bytearray(32)
    assert data_key == bytearray(32)


@pytest.mark.parametrize("path", [KEYRING_PATH, ROOT_KEY_PATH, SEAL_CONFIG_PATH])
def test_reserved_paths_refused(barrier: Barrier, path: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        barrier.put(path, b"x")
    with pytest.raises(ValueError, match="reserved"):
        barrier.delete(path)
    with pytest.raises(ValueError, match="reserved"), barrier.transaction() as txn:
        txn.put(path, b"x")


def test_list_and_delete(barrier: Barrier) -> None:
    barrier.put("app/a", b"1")
    barrier.put("app/sub/b", b"2")
    assert barrier.list("app/") == ["a", "sub/"]
    barrier.delete("app/a")
    assert barrier.get("app/a") is None
    assert barrier.list("app/") == ["sub/"]


def test_transaction_commits_encrypted_and_rolls_back(
    barrier: Barrier, storage: MemoryStorage
) -> None:
    with barrier.transaction() as txn:
        txn.put("t/a", b"1")
        assert txn.get("t/a") == b"1"
        assert txn.list("t/") == ["a"]
    assert barrier.get("t/a") == b"1"
    assert storage.get("t/a") != b"1"
    with pytest.raises(KeyError), barrier.transaction() as txn:
        txn.put("t/b", b"2")
        raise KeyError("abort")
    assert barrier.get("t/b") is None


def test_seal_config_round_trip_while_sealed(storage: MemoryStorage) -> None:
    barrier = Barrier(storage)
    assert barrier.read_seal_config() is None
    barrier.write_seal_config(SealConfig(secret_shares=5, secret_threshold=3))
    assert barrier.read_seal_config() == SealConfig(5, 3)
    raw = json.loads(storage.get(SEAL_CONFIG_PATH) or b"")
    assert raw == {"version": 1, "type": "shamir", "secret_shares": 5, "secret_threshold": 3}


def test_malformed_seal_config_is_barrier_error() -> None:
    storage = MemoryStorage()
    storage.put(SEAL_CONFIG_PATH, b"{not json")
    with pytest.raises(BarrierError, match="malformed"):
        Barrier(storage).read_seal_config()


def test_truncated_and_unknown_version_entries(barrier: Barrier, storage: MemoryStorage) -> None:
    storage.put("short", b"\x01\x00")
    with pytest.raises(BarrierError, match="too short"):
        barrier.get("short")
    barrier.put("v", b"x")
    stored = storage.get("v") or b""
    storage.put("v", b"\x09" + stored[1:])
    with pytest.raises(BarrierError, match="unknown barrier version 9"):
        barrier.get("v")
    storage.put("v", stored[:1] + (77).to_bytes(4, "big") + stored[5:])
    with pytest.raises(BarrierError, match="unknown key term 77"):
        barrier.get("v")


def test_persists_across_sqlite_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    first = SqliteStorage(path)
    barrier = _unsealed(first)
    barrier.put("app/secret", b"value")
    barrier.rotate()
    barrier.put("app/after", b"rotated")
    barrier.seal()
    first.close()
    second = SqliteStorage(path)
    try:
        reopened = Barrier(second)
        assert reopened.initialized()
        assert reopened.sealed
        reopened.unseal(KEY)
        assert reopened.get("app/secret") == b"value"
        assert reopened.get("app/after") == b"rotated"
        assert reopened.key_status().term == 2
    finally:
        second.close()


def test_random_unseal_keys_work() -> None:
    key = secrets.token_bytes(32)
    barrier = Barrier(MemoryStorage())
    barrier.initialize(key)
    barrier.unseal(key)
    barrier.put("x", b"y")
    assert barrier.get("x") == b"y"
