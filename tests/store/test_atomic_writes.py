"""No half-applied writes: a tune, a mount or auth enable and a policy write either take
effect in memory and in storage together, or not at all.

The storage is the real in-memory backend with one fault switch: the next commit fails as a
full disk would, after every check passed. Whether memory and storage still agree is seen
through the API, and again after a restart (a new Core on the same storage).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from reconciler.store.core import Core
from reconciler.store.errors import BadRequest
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.base import Transaction
from reconciler.store.storage.memory import MemoryStorage


class FailingStorage(MemoryStorage):
    """MemoryStorage whose next commit (or single write) fails when armed."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False

    def _fail_if_armed(self) -> None:
        if self.armed:
            self.armed = False
            raise OSError(28, "No space left on device")

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with super().transaction() as txn:
            yield txn
            self._fail_if_armed()  # raised inside: the buffered writes are never applied

    def put(self, key: str, value: bytes) -> None:
        self._fail_if_armed()
        super().put(key, value)


class Store:
    """A Core on FailingStorage, with its root token and unseal key."""

    def __init__(self) -> None:
        self.storage = FailingStorage()
        self.core = Core(self.storage)
        keys, self.root = self.core.initialize(1, 1)
        self.key = keys[0].hex()
        self.unseal()

    def unseal(self) -> None:
        self.core.seal.submit(self.key, reset=False)
        self.core.after_unseal()

    def restart(self) -> None:
        """Drop everything in memory and load it again from storage."""
        self.core = Core(self.storage)
        self.unseal()

    def call(self, op: Operation, path: str, data: dict[str, Any] | None = None) -> Response | None:
        return self.core.handle(Request(op, path, dict(data or {}), token=self.root))

    def read(self, path: str) -> dict[str, Any]:
        response = self.call(Operation.READ, path)
        assert response is not None
        return response.data

    def failing(self, op: Operation, path: str, data: dict[str, Any]) -> None:
        """Send a request whose storage commit fails."""
        self.storage.armed = True
        with pytest.raises(OSError):
            self.call(op, path, data)
        assert not self.storage.armed  # the write was reached, and it failed


@pytest.fixture
def store() -> Store:
    """A fresh store with a KV v2 engine at secret/."""
    made = Store()
    made.call(Operation.UPDATE, "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
    return made


def _tune(store: Store) -> dict[str, Any]:
    return store.read("sys/mounts/secret/tune")


def test_a_tune_whose_commit_fails_changes_nothing(store: Store) -> None:
    before = _tune(store)
    store.failing(
        Operation.UPDATE,
        "sys/mounts/secret/tune",
        {"description": "changed", "default_lease_ttl": "1h", "max_lease_ttl": "2h"},
    )
    assert _tune(store) == before
    store.restart()
    assert _tune(store) == before


def test_a_tune_with_one_bad_field_is_refused_whole(store: Store) -> None:
    before = _tune(store)
    with pytest.raises(BadRequest):
        store.call(
            Operation.UPDATE,
            "sys/mounts/secret/tune",
            {"description": "changed", "default_lease_ttl": "1h", "options": ["not", "a map"]},
        )
    assert _tune(store) == before


def test_a_mount_whose_commit_fails_is_not_mounted(store: Store) -> None:
    store.failing(Operation.UPDATE, "sys/mounts/half", {"type": "kv"})
    assert "half/" not in store.read("sys/mounts")
    # Not half-there either: the path can be mounted once storage works again.
    store.call(Operation.UPDATE, "sys/mounts/half", {"type": "kv"})
    store.restart()
    assert "half/" in store.read("sys/mounts")


def test_an_auth_enable_whose_commit_fails_is_not_enabled(store: Store) -> None:
    store.failing(Operation.UPDATE, "sys/auth/userpass", {"type": "userpass"})
    assert "userpass/" not in store.read("sys/auth")
    store.restart()
    assert "userpass/" not in store.read("sys/auth")


def test_a_policy_write_whose_write_fails_keeps_the_old_policy(store: Store) -> None:
    old = 'path "secret/data/a" { capabilities = ["read"] }'
    store.call(Operation.UPDATE, "sys/policies/acl/app", {"policy": old})
    new = 'path "secret/data/b" { capabilities = ["read"] }'
    store.failing(Operation.UPDATE, "sys/policies/acl/app", {"policy": new})
    assert store.read("sys/policies/acl/app")["policy"] == old
    with pytest.raises(BadRequest):
        store.call(Operation.UPDATE, "sys/policies/acl/app", {"policy": 'path "x" {'})
    assert store.read("sys/policies/acl/app")["policy"] == old
