"""Open a storage backend by name, as the server's `storage "<kind>" { ... }` config names it.

Each backend registers one opener taking its string options; adding a backend (postgresql) is
one function and one table row, with no change to the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from reconciler.store.storage.base import Storage
from reconciler.store.storage.memory import MemoryStorage
from reconciler.store.storage.sqlite import SqliteStorage

Opener = Callable[[Mapping[str, str]], Storage]


def _check_options(kind: str, options: Mapping[str, str], allowed: set[str]) -> None:
    """Refuse options the backend does not know, so a typo is not silently ignored."""
    unknown = sorted(set(options) - allowed)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise ValueError(f"storage {kind!r} does not accept option(s) {names}")


def _open_memory(options: Mapping[str, str]) -> Storage:
    _check_options("memory", options, set())
    return MemoryStorage()


def _open_sqlite(options: Mapping[str, str]) -> Storage:
    _check_options("sqlite", options, {"path"})
    path = options.get("path", "")
    if not path:
        raise ValueError("storage 'sqlite' needs option 'path' (the database file)")
    return SqliteStorage(path)


# Vault's postgresql options; ha_* are read by the HA coordinator, not by the storage.
_POSTGRESQL_OPTIONS = {
    "connection_url",
    "table",
    "ha_enabled",
    "ha_table",
    "max_parallel",
    "max_idle_connections",
}


def _open_postgresql(options: Mapping[str, str]) -> Storage:
    _check_options("postgresql", options, _POSTGRESQL_OPTIONS)
    from reconciler.store.storage.postgresql import open_postgresql  # psycopg only when used

    return open_postgresql(options)


OPENERS: dict[str, Opener] = {
    "memory": _open_memory,
    "sqlite": _open_sqlite,
    "postgresql": _open_postgresql,
}


def open_storage(kind: str, options: Mapping[str, str]) -> Storage:
    """Open the backend `kind` with its `options`; ValueError for an unknown kind or option."""
    opener = OPENERS.get(kind)
    if opener is None:
        known = ", ".join(sorted(OPENERS))
        raise ValueError(f"unknown storage type {kind!r} (supported: {known})")
    return opener(options)
