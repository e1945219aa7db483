"""The storage conformance suite: every backend must pass every test here unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.store.storage.base import Storage
from reconciler.store.storage.cache import ReadCache
from reconciler.store.storage.factory import open_storage

Opener = Callable[[], Storage]


@pytest.fixture(params=["memory", "sqlite", "cached-sqlite", "postgresql"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """A function opening the backend under test (the same data for sqlite on each call)."""
    kind: str = request.param
    if kind == "postgresql":
        options = request.getfixturevalue("postgres_storage_options")
        return lambda: open_storage("postgresql", options)
    options = {"path": str(tmp_path / "store.db")} if kind.endswith("sqlite") else {}
    if kind == "cached-sqlite":
        # The runtime's read cache must behave exactly like the storage it fronts.
        return lambda: ReadCache(open_storage("sqlite", options))
    return lambda: open_storage(kind, options)


@pytest.fixture
def storage(opener: Opener) -> Iterator[Storage]:
    backend = opener()
    yield backend
    backend.close()


def test_put_get(storage: Storage) -> None:
    storage.put("a", b"1")
    assert storage.get("a") == b"1"


def test_missing_is_none(storage: Storage) -> None:
    assert storage.get("nope") is None


def test_overwrite(storage: Storage) -> None:
    storage.put("a", b"1")
    storage.put("a", b"2")
    assert storage.get("a") == b"2"
    assert storage.list("") == ["a"]


def test_delete(storage: Storage) -> None:
    storage.put("a", b"1")
    storage.delete("a")
    assert storage.get("a") is None
    assert storage.list("") == []


def test_delete_missing_is_not_an_error(storage: Storage) -> None:
    storage.delete("never-there")
    assert storage.get("never-there") is None


def test_binary_values(storage: Storage) -> None:
    value = bytes(range(256)) * 4 + b"\x00"
    storage.put("bin", value)
    storage.put("empty", b"")
    assert storage.get("bin") == value
    assert storage.get("empty") == b""


def test_unicode_keys(storage: Storage) -> None:
    storage.put("ünï/cödé/ключ", b"x")
    storage.put("ünï/😀", b"y")
    assert storage.get("ünï/cödé/ключ") == b"x"
    assert storage.list("ünï/") == ["cödé/", "😀"]


def _fill(storage: Storage, keys: list[str]) -> None:
    for key in keys:
        storage.put(key, key.encode())


def test_list_immediate_children_sorted(storage: Storage) -> None:
    _fill(storage, ["app/b", "app/a", "app/sub/x", "app/sub/deep/y", "app/c/", "other/z", "top"])
    assert storage.list("") == ["app/", "other/", "top"]
    assert storage.list("app/") == ["a", "b", "c/", "sub/"]
    assert storage.list("app/sub/") == ["deep/", "x"]
    assert storage.list("app/sub/deep/") == ["y"]


def test_list_key_and_folder_of_same_name(storage: Storage) -> None:
    _fill(storage, ["a/x", "a/x/y", "a/x0", "a/x-"])
    assert storage.list("a/") == ["x", "x-", "x/", "x0"]


def test_list_missing_prefix_is_empty(storage: Storage) -> None:
    _fill(storage, ["a/b"])
    assert storage.list("nope/") == []
    assert storage.list("a/b/") == []


def test_list_empty_store(storage: Storage) -> None:
    assert storage.list("") == []


def test_list_does_not_leak_siblings(storage: Storage) -> None:
    _fill(storage, ["ab/1", "a/1", "a0", "a/", "a.b"])
    assert storage.list("a/") == ["1"]


def test_list_many_nested_descendants(storage: Storage) -> None:
    with storage.transaction() as txn:
        for folder in range(5):
            for i in range(400):
                txn.put(f"big/f{folder}/n{i % 7}/k{i}", b"v")
        txn.put("big/leaf", b"v")
    assert storage.list("big/") == ["f0/", "f1/", "f2/", "f3/", "f4/", "leaf"]
    assert storage.list("big/f3/") == [f"n{i}/" for i in range(7)]


def test_transaction_commits_together(storage: Storage) -> None:
    storage.put("gone", b"old")
    with storage.transaction() as txn:
        txn.put("t/a", b"1")
        txn.put("t/b", b"2")
        txn.delete("gone")
    assert storage.get("t/a") == b"1"
    assert storage.get("t/b") == b"2"
    assert storage.get("gone") is None


def test_transaction_rolls_back_on_exception(storage: Storage) -> None:
    storage.put("keep", b"old")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), storage.transaction() as txn:
        txn.put("t/a", b"1")
        txn.put("keep", b"new")
        txn.delete("keep")
        raise Boom
    assert storage.get("t/a") is None
    assert storage.get("keep") == b"old"
    assert storage.list("") == ["keep"]


def test_transaction_reads_its_own_writes(storage: Storage) -> None:
    storage.put("t/old", b"0")
    with storage.transaction() as txn:
        txn.put("t/new", b"1")
        txn.delete("t/old")
        assert txn.get("t/new") == b"1"
        assert txn.get("t/old") is None
        assert txn.list("t/") == ["new"]


def test_storage_usable_after_rollback(storage: Storage) -> None:
    with pytest.raises(RuntimeError), storage.transaction() as txn:
        txn.put("x", b"1")
        raise RuntimeError("abort")
    storage.put("y", b"2")
    with storage.transaction() as txn:
        txn.put("z", b"3")
    assert storage.list("") == ["y", "z"]


def test_sqlite_reopen_keeps_data(tmp_path: Path) -> None:
    options = {"path": str(tmp_path / "store.db")}
    first = open_storage("sqlite", options)
    first.put("a/b", b"\x00\xff")
    with first.transaction() as txn:
        txn.put("a/c", b"c")
    first.close()
    second = open_storage("sqlite", options)
    try:
        assert second.get("a/b") == b"\x00\xff"
        assert second.list("a/") == ["b", "c"]
    finally:
        second.close()


def test_factory_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="'etcd'"):
        open_storage("etcd", {})


def test_factory_rejects_unknown_option(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'pth'"):
        open_storage("sqlite", {"pth": str(tmp_path / "x.db")})


def test_factory_sqlite_needs_path() -> None:
    with pytest.raises(ValueError, match="'path'"):
        open_storage("sqlite", {})


def test_snapshot_items_are_one_point_in_time(storage: Storage) -> None:
    from reconciler.store.operations.snapshot import consistent_items

    storage.put("a/1", b"one")
    storage.put("b", b"two")
    items = consistent_items(storage)
    first = next(items)
    storage.put("c", b"written after the snapshot began")
    rest = list(items)
    assert [first, *rest] == [("a/1", b"one"), ("b", b"two")]


def test_restore_replaces_everything(storage: Storage) -> None:
    from reconciler.store.operations.snapshot import restore_items

    storage.put("old/gone", b"x")
    storage.put("kept", b"old value")
    restore_items(storage, [("kept", b"new value"), ("new/entry", b"\x00")])
    assert storage.list("") == ["kept", "new/"]
    assert storage.get("kept") == b"new value"
    assert storage.get("old/gone") is None
    assert storage.get("new/entry") == b"\x00"
