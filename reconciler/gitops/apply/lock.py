"""The apply lock: one KV v2 entry written with check-and-set, so two applies never interleave.

The entry records who holds it (owner, host, pid, apply id, commit) and until when. A
second apply waits up to its timeout, then fails naming the holder. An expired lock (its
holder died) may be taken over; a live holder refreshes its expiry as it goes.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, TypedDict, cast

import hvac.exceptions

from reconciler.gitops.live.statestore import StateStore
from reconciler.vocabulary.errors import SealkeepError

LOCK_PATH = "lock"
DEFAULT_TTL = 900
POLL_SECONDS = 0.25


class LockHeld(SealkeepError):
    """Another apply holds the lock; the message names the holder."""


@dataclass(frozen=True)
class LockHolder:
    """Who takes the lock."""

    owner: str
    apply_id: str
    commit: str | None = None
    host: str = socket.gethostname()
    pid: int = os.getpid()


class LockRecord(TypedDict, total=False):
    """The lock entry as stored in KV (times in epoch seconds): while `held`, who holds it
    and until when; once `free`, who released it and when.

    Not total: the two states have different fields, and an entry written by an older
    version, or the stand-in for a holder that could not be read back, may lack any, so
    every reader checks.
    """

    state: Literal["held", "free"]
    owner: str
    host: str
    pid: int
    apply_id: str
    commit: str | None
    acquired_at: float
    expires_at: float
    released_by: str
    at: float


def describe(record: LockRecord) -> str:
    """`alice@host (pid 12, apply 1a2b, commit abc, expires in 842s)`."""
    left = int(float(record.get("expires_at") or 0) - time.time())
    commit = f", commit {str(record['commit'])[:12]}" if record.get("commit") else ""
    return (
        f"{record.get('owner')}@{record.get('host')} (pid {record.get('pid')}, "
        f"apply {record.get('apply_id')}{commit}, expires in {max(left, 0)}s)"
    )


class ApplyLock:
    """A context manager holding the lock for the duration of an apply."""

    def __init__(
        self, state: StateStore, holder: LockHolder, timeout: float, ttl: int = DEFAULT_TTL
    ) -> None:
        self.state = state
        self.holder = holder
        self.timeout = timeout
        self.ttl = ttl
        self.version: int | None = None
        self.refreshed = 0.0

    def _record(self) -> LockRecord:
        now = time.time()
        return {
            "state": "held",
            "owner": self.holder.owner,
            "host": self.holder.host,
            "pid": self.holder.pid,
            "apply_id": self.holder.apply_id,
            "commit": self.holder.commit,
            "acquired_at": now,
            "expires_at": now + self.ttl,
        }

    def _try_once(self) -> LockRecord | None:
        """Take the lock if free; otherwise return the holder's record."""
        found = self.state.read(LOCK_PATH)
        if found is not None:
            record = cast(LockRecord, found[0])
            live = record.get("state") == "held"
            if live and float(record.get("expires_at") or 0) > time.time():
                return record
        cas = 0 if found is None else found[1]
        try:
            self.version = self.state.write(LOCK_PATH, self._record(), cas=cas)
        except hvac.exceptions.InvalidRequest:
            again = self.state.read(LOCK_PATH)
            return cast(LockRecord, again[0]) if again else {"owner": "unknown"}
        self.refreshed = time.monotonic()
        return None

    def acquire(self) -> None:
        """Take the lock, waiting up to `timeout` seconds; LockHeld names the holder."""
        self.state.ensure()
        deadline = time.monotonic() + self.timeout
        while True:
            holder = self._try_once()
            if holder is None:
                return
            if time.monotonic() >= deadline:
                raise LockHeld(
                    f"the apply lock on {self.state.mount}/ is held by {describe(holder)}; "
                    f"gave up after {self.timeout:g}s"
                )
            time.sleep(POLL_SECONDS)

    def refresh(self) -> None:
        """Push the expiry forward (at most every minute) while a long apply runs."""
        if self.version is None or time.monotonic() - self.refreshed < 60:
            return
        self.version = self.state.write(LOCK_PATH, self._record(), cas=self.version)
        self.refreshed = time.monotonic()

    def release(self) -> None:
        """Free the lock (only if still ours)."""
        if self.version is None:
            return
        try:
            free: LockRecord = {
                "state": "free",
                "released_by": self.holder.owner,
                "at": time.time(),
            }
            self.state.write(LOCK_PATH, free, cas=self.version)
        except hvac.exceptions.InvalidRequest:
            pass
        self.version = None

    def __enter__(self) -> ApplyLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
