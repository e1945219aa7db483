"""Shared pieces for driving the KV engines directly: real storage, a settable clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from reconciler.store.framework import Backend, MountContext, MountEntry, SystemView
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.memory import MemoryStorage
from reconciler.store.storage.view import StorageView

SYSTEM_TTL = 2764800
START = 1_714_564_800.5  # 2024-05-01T12:00:00.5Z (exact in binary)


class ManualClock:
    """A clock the test moves by hand, so time-based expiry needs no sleeping."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class CountingStorage(MemoryStorage):
    """Memory storage that counts reads, to check how many gets an operation costs."""

    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    def get(self, key: str) -> bytes | None:
        """Count, then read."""
        self.gets += 1
        return super().get(key)


@dataclass
class Mount:
    """A mounted engine with its storage and a helper to send requests."""

    backend: Backend
    storage: MemoryStorage
    view: StorageView
    calls: list[Request] = field(default_factory=list)

    def request(self, op: Operation, rel: str, data: dict[str, Any] | None = None) -> Request:
        """Build a request the way the core would for this mount."""
        return Request(operation=op, path="secret/" + rel, data=dict(data or {}))

    def call(self, op: Operation, rel: str, data: dict[str, Any] | None = None) -> Response | None:
        """Send one request to the backend and return its response (None = 204)."""
        req = self.request(op, rel, data)
        self.calls.append(req)
        return self.backend.handle(req, rel)

    def ok(self, op: Operation, rel: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a request that must answer 200 with data; return the data."""
        resp = self.call(op, rel, data)
        assert resp is not None and resp.status is None, resp
        assert resp.data is not None
        return resp.data

    def exists(self, rel: str) -> bool | None:
        """The existence check the core runs for create-vs-update."""
        return self.backend.exists(self.request(Operation.UPDATE, rel), rel)

    def snapshot(self) -> dict[str, bytes | None]:
        """Every stored key and value in this mount."""
        return {key: self.view.get(key) for key in self.view.walk()}


def make_context(
    options: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    storage: MemoryStorage | None = None,
) -> tuple[MountContext, MemoryStorage]:
    """A mount context over real memory storage, in its own view."""
    physical = storage if storage is not None else MemoryStorage()
    mount = MountEntry(
        path="secret/",
        type="kv",
        accessor="kv_0a1b2c3d",
        uuid=str(uuid.uuid4()),
        options=dict(options or {}),
        config=dict(config or {}),
    )
    view = StorageView(physical, f"logical/{mount.uuid}/")
    return MountContext(view, mount, SystemView(mount, SYSTEM_TTL, SYSTEM_TTL)), physical
