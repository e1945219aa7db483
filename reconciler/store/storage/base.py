"""The physical storage interface. Backends store opaque bytes and are untrusted.

Keys are `/`-separated paths. `list(prefix)` returns the immediate children of `prefix`
(which is "" or ends with "/"), sorted, with sub-folders ending in "/" — exactly the shape of
a Vault LIST. Every backend passes the same conformance suite (tests/store/storage/).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol


class Transaction(Protocol):
    """Reads and writes that commit together or not at all."""

    def get(self, key: str) -> bytes | None:
        """The value at `key`, or None."""
        ...

    def put(self, key: str, value: bytes) -> None:
        """Store `value` at `key`, replacing any previous value."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key`; deleting a missing key is not an error."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Immediate children of `prefix`, sorted; folders end with "/"."""
        ...


class Storage(Transaction, Protocol):
    """A durable key/value store. A `put` that returned is on disk (for durable backends)."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A transaction: committed when the `with` block exits normally, else rolled back."""
        ...

    def close(self) -> None:
        """Flush and release the backend; further calls are errors."""
        ...


def children(keys: list[str], prefix: str) -> list[str]:
    """Reduce full keys under `prefix` to sorted immediate children (folders end "/")."""
    out: set[str] = set()
    for key in keys:
        if not key.startswith(prefix) or key == prefix:
            continue
        rest = key[len(prefix) :]
        slash = rest.find("/")
        out.add(rest if slash < 0 else rest[: slash + 1])
    return sorted(out)
