"""A prefix view over (encrypted) storage: each mount sees only its own keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reconciler.store import jsoncodec
from reconciler.store.storage.base import Storage, Transaction


class StorageView:
    """Storage restricted to `prefix`; keys passed in are relative to it.

    A key that tries to escape the prefix (`..` segments) is refused, so a backend cannot
    read another mount's data even with a crafted path.
    """

    def __init__(self, parent: Storage | Transaction, prefix: str) -> None:
        self.parent = parent
        self.prefix = prefix

    def _key(self, key: str) -> str:
        if ".." in key.split("/"):
            raise ValueError(f"invalid storage key {key!r}")
        return self.prefix + key

    def get(self, key: str) -> bytes | None:
        """The raw bytes at `key`, or None."""
        return self.parent.get(self._key(key))

    def put(self, key: str, value: bytes) -> None:
        """Store raw bytes at `key`."""
        self.parent.put(self._key(key), value)

    def delete(self, key: str) -> None:
        """Remove `key` (no error when missing)."""
        self.parent.delete(self._key(key))

    def list(self, prefix: str = "") -> list[str]:
        """Immediate children of `prefix` within the view."""
        return self.parent.list(self._key(prefix))

    def get_json(self, key: str) -> Any:
        """The JSON document at `key`, or None."""
        raw = self.get(key)
        return None if raw is None else jsoncodec.loads(raw)

    def put_json(self, key: str, value: Any) -> None:
        """Store `value` as compact JSON at `key`."""
        self.put(key, jsoncodec.dumps(value))

    def sub(self, prefix: str) -> StorageView:
        """A narrower view below this one."""
        return StorageView(self.parent, self._key(prefix))

    def walk(self, prefix: str = "") -> Iterator[str]:
        """Every key below `prefix` (depth first), relative to the view."""
        for child in self.list(prefix):
            if child.endswith("/"):
                yield from self.walk(prefix + child)
            else:
                yield prefix + child

    def delete_all(self, prefix: str = "") -> None:
        """Remove every key below `prefix`."""
        for key in list(self.walk(prefix)):
            self.delete(key)

    @contextmanager
    def transaction(self) -> Iterator[StorageView]:
        """A view over a transaction of the parent: all writes commit together."""
        begin = getattr(self.parent, "transaction", None)
        if begin is None:  # already inside a transaction
            yield self
            return
        with begin() as txn:
            yield StorageView(txn, self.prefix)
