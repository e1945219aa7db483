"""Group commit: writers that finished around the same time share one fsync.

A request's writes are committed at once (other requests see them) but made durable only
when the request is about to be answered, outside the request lock: the first writer to ask
runs the fsync for every write committed so far, the others wait for it and return. So with
many clients one fsync covers many acknowledged writes, and no answer is sent before its
writes are on disk: "acknowledged = durable" holds, power cuts included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class GroupCommit:
    """Sequence numbers for committed writes and the one fsync that covers them.

    Invariant: `_synced` <= `_written`; every write numbered <= `_synced` is on disk.
    """

    def __init__(self, fsync: Callable[[], None]) -> None:
        self._fsync = fsync
        self._cond = threading.Condition()
        self._written = 0
        self._synced = 0
        self._syncing = False
        self.fsyncs = 0  # how many fsyncs ran (benchmarks report writes per fsync)

    def note_write(self) -> int:
        """Number a write that was just committed."""
        with self._cond:
            self._written += 1
            return self._written

    def wait_durable(self, seq: int) -> None:
        """Return once write `seq` is on disk, running the fsync if none is under way.

        An fsync that fails raises here, in every writer that waited for it: none of them may
        tell its client the write is safe.
        """
        with self._cond:
            while self._synced < seq:
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing = True
                target = self._written
                self._cond.release()
                try:
                    self._fsync()
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    self._cond.notify_all()
                self._synced = max(self._synced, target)
                self.fsyncs += 1
