"""Slow work off the request lock: a bounded worker pool and the lock it steps out of.

The core serves requests one at a time under `RequestLock`. Some handlers spend most of
their time waiting or hashing (argon2id, database plugins, JWKS fetches, TokenReview); run
under that lock they would stall every other request. Such a handler runs through `offload`:
the calling thread lets go of the request lock, a pool worker runs the work, and the caller
takes the lock back before it touches the core's shared state again.

Deadlock rule: offloaded work may take its own locks, but never the request lock, and nothing
may call `offload` while holding any lock other than the request lock.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from reconciler.store.errors import Unavailable

T = TypeVar("T")

DEFAULT_WORKERS = 4
DEFAULT_WAIT_LIMIT = 30.0
# Workers run at a lower CPU priority: on a busy machine a read that needs a millisecond of
# CPU must not queue behind password hashes (threads libargon2 starts inherit it).
WORKER_NICENESS = 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not on every platform
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


class RequestLock:
    """A re-entrant lock that its owner can let go of entirely for a while.

    Invariant: `_depth > 0` exactly when `_owner` holds `_lock`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, timeout: float = -1) -> bool:
        """Take the lock (again, if this thread holds it); False when `timeout` passed."""
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return True
        if not self._lock.acquire(timeout=timeout):
            return False
        self._owner, self._depth = me, 1
        return True

    def release(self) -> None:
        """Undo one `acquire`."""
        if self._owner != threading.get_ident():
            raise RuntimeError("release of a request lock this thread does not hold")
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()

    def __enter__(self) -> RequestLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Let go of every level this thread holds, and take them all back afterwards."""
        if self._owner != threading.get_ident():
            yield
            return
        depth, self._depth, self._owner = self._depth, 0, None
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._owner, self._depth = threading.get_ident(), depth


class WorkPool:
    """A bounded pool for slow work; waiting longer than `wait_limit` for a worker is a 503."""

    def __init__(self, lock: RequestLock, workers: int, wait_limit: float) -> None:
        self.lock = lock
        self.wait_limit = wait_limit
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="slow-work", initializer=_lower_priority
        )

    def run(self, fn: Callable[[], T]) -> T:
        """Run `fn` on a worker with the request lock released; raise `Unavailable` if no
        worker took it within the wait limit (it then never runs)."""
        started = threading.Event()

        def job() -> T:
            started.set()
            return fn()

        with self.lock.released():
            future: Future[T] = self._executor.submit(job)
            if not started.wait(self.wait_limit) and future.cancel():
                raise Unavailable("request timed out waiting for a worker; try again later")
            # Once started the work runs to the end: its side effects (a database user made)
            # must be answered for, and its own calls carry their own timeouts.
            return future.result()

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make this pool the one `offload` uses in the current thread (one request)."""
        token = _CURRENT.set(self)
        try:
            yield
        finally:
            _CURRENT.reset(token)

    def close(self) -> None:
        """Stop taking work; running jobs finish."""
        self._executor.shutdown(wait=False, cancel_futures=True)


_CURRENT: ContextVar[WorkPool | None] = ContextVar("sealkeep_work_pool", default=None)


def offload(fn: Callable[[], T]) -> T:
    """Run slow `fn` on the current request's pool; inline when there is none (background
    ticks, direct calls in tests), since then no request lock is held."""
    pool = _CURRENT.get()
    return fn() if pool is None else pool.run(fn)
