"""A small blocking connection pool shared by the plugins (at most `max_open` connections)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from reconciler.store.engines.database.plugins.base import PluginError

C = TypeVar("C")
T = TypeVar("T")

ACQUIRE_TIMEOUT_SECONDS = 30.0


class Pool(Generic[C]):
    """Reuses idle connections and opens new ones up to `max_open`.

    A failed operation closes its connection. When the failure looks like a lost connection
    every idle connection is dropped too (they most likely died with it), and an operation
    that failed on a reused connection is retried once on a fresh one, so a database that
    comes back is usable on the very next call.
    """

    def __init__(
        self,
        connect: Callable[[], C],
        close: Callable[[C], None],
        is_disconnect: Callable[[BaseException], bool],
        max_open: int,
    ) -> None:
        self._connect = connect
        self._close = close
        self._is_disconnect = is_disconnect
        self._slots = threading.BoundedSemaphore(max(max_open, 1))
        self._idle: list[C] = []
        self._lock = threading.Lock()
        self._closed = False

    def run(self, operation: Callable[[C], T]) -> T:
        """Run `operation` with a pooled connection and return its result."""
        if not self._slots.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS):
            raise PluginError("timed out waiting for a free database connection")
        try:
            conn, reused = self._take()
            try:
                return self._attempt(conn, operation)
            except Exception as exc:
                if not (reused and self._is_disconnect(exc)):
                    raise
            # The idle connection had died while unused: one retry on a fresh one.
            return self._attempt(self._connect(), operation)
        finally:
            self._slots.release()

    def _take(self) -> tuple[C, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._connect(), False

    def _attempt(self, conn: C, operation: Callable[[C], T]) -> T:
        try:
            result = operation(conn)
        except BaseException as exc:
            self._discard(conn)
            if self._is_disconnect(exc):
                self.drain()
            raise
        with self._lock:
            if not self._closed:
                self._idle.append(conn)
                return result
        self._discard(conn)
        return result

    def _discard(self, conn: C) -> None:
        # A broken connection may fail to close; either way it is gone.
        with contextlib.suppress(Exception):
            self._close(conn)

    def drain(self) -> None:
        """Close every idle connection (busy ones close when they come back)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            self._discard(conn)

    def close(self) -> None:
        """Close the pool; connections still in use are closed when released."""
        with self._lock:
            self._closed = True
        self.drain()
