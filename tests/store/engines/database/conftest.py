"""Fixtures for the database engine tests: the real PostgreSQL and MariaDB on loopback.

With SEALKEEP_REQUIRE_SERVICES=1 an unreachable database fails the tests; otherwise they
skip with the reason. Every user a test creates starts with `PREFIX` (or `v-<PREFIX>` for
generated names), and a session finalizer checks that none is left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reconciler.store.storage.memory import MemoryStorage
from tests.store.engines.database.support import (
    Mount,
)
from tests.support.databases import my_admin, pg_admin, proxy_factory


@pytest.fixture
def mount_factory() -> Iterator[Callable[..., Mount]]:
    """Build mounts; every one is cleaned up (pools closed) at teardown."""
    mounts: list[Mount] = []

    def make(storage: MemoryStorage | None = None) -> Mount:
        mount = Mount(storage)
        mounts.append(mount)
        return mount

    yield make
    for mount in mounts:
        mount.backend.cleanup()


@pytest.fixture
def mount(mount_factory: Callable[..., Mount]) -> Mount:
    """One fresh mount."""
    return mount_factory()


__all__ = ["mount", "mount_factory", "my_admin", "pg_admin", "proxy_factory"]
