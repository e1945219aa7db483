"""Signed checkpoints of a device's keyed chain, kept inside the barrier.

A checkpoint says: segment `seg` of the device's chain starts at the line (start_seq,
start_digest) and had reached (head_seq, head_digest) at `time`. It is HMAC'd with the device's
chain key and stored in storage (not in the log file), so someone who can write the file but
not the server's storage cannot move it. `verify` uses it to detect a cut at either end: a file
whose segment starts after `start_seq` lost its head; one that ends before `head_seq` lost its
tail. Lines written after the last checkpoint of a segment cannot be proved present.

One record per segment is kept, overwritten as the head moves (a segment is one file between
rotations, or one run of a socket device), so storage grows with rotations, not with entries.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from reconciler.store.audit.chain import ChainHead, ChainKey
from reconciler.vocabulary.durations import parse_duration

CHECKPOINT_VERSION = 1
CHECKPOINT_DOMAIN = b"sealkeep-audit-checkpoint/v1\n"
DEFAULT_EVERY_LINES = 1000
DEFAULT_EVERY_SECONDS = 10.0

Reason = Literal["start", "interval", "reopen", "close"]


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement about one segment of a device's chain.

    Invariants: start_seq <= head_seq; `mac` is HMAC-SHA256(chain key, the canonical JSON of
    every other field); `start_offset` is where the segment's first line begins in its file and
    `offset` the file size just after the head line (both -1 when the device is not a regular
    file); `file` names where the lines went (path and dev:inode, or address).
    """

    seg: int
    start_seq: int
    start_digest: str
    head_seq: int
    head_digest: str
    start_offset: int
    offset: int
    file: str
    time: float
    reason: str
    mac: str = ""

    @property
    def lines(self) -> int:
        """Lines in the segment up to the head (seq counts one per line within a segment)."""
        return self.head_seq - self.start_seq + 1

    def _payload(self) -> bytes:
        doc = asdict(self)
        doc.pop("mac")
        doc["v"] = CHECKPOINT_VERSION
        return CHECKPOINT_DOMAIN + json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    def signed(self, key: ChainKey) -> Checkpoint:
        """This checkpoint with its mac."""
        return replace(self, mac=key.mac(self._payload()).decode())

    def valid(self, key: ChainKey) -> bool:
        """True when `mac` was made with `key` over these very fields."""
        return hmac.compare_digest(self.mac.encode(), key.mac(self._payload()))

    def to_json(self) -> dict[str, Any]:
        """The stored and exported form."""
        return {"v": CHECKPOINT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Checkpoint:
        """Decode a stored or exported checkpoint; raises ValueError on another format."""
        if doc.get("v") != CHECKPOINT_VERSION:
            raise ValueError(f"unsupported checkpoint format version {doc.get('v')!r}")
        try:
            return cls(
                seg=int(doc["seg"]),
                start_seq=int(doc["start_seq"]),
                start_digest=str(doc["start_digest"]),
                head_seq=int(doc["head_seq"]),
                head_digest=str(doc["head_digest"]),
                start_offset=int(doc["start_offset"]),
                offset=int(doc["offset"]),
                file=str(doc["file"]),
                time=float(doc["time"]),
                reason=str(doc["reason"]),
                mac=str(doc["mac"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a checkpoint lacks or mistypes {exc}") from None


@dataclass(frozen=True)
class CheckpointPolicy:
    """When a device records a checkpoint: every `every_lines` lines or `every_seconds`,
    whichever comes first, besides segment start, reopen (SIGHUP) and close."""

    every_lines: int = DEFAULT_EVERY_LINES
    every_seconds: float = DEFAULT_EVERY_SECONDS

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> CheckpointPolicy:
        """Parse the device options `checkpoint_lines` and `checkpoint_interval`."""
        lines_raw = options.get("checkpoint_lines", "")
        interval_raw = options.get("checkpoint_interval", "")
        lines = DEFAULT_EVERY_LINES
        seconds = DEFAULT_EVERY_SECONDS
        if lines_raw:
            if not lines_raw.isdigit() or int(lines_raw) < 1:
                raise ValueError(f'invalid checkpoint_lines "{lines_raw}": expected a count >= 1')
            lines = int(lines_raw)
        if interval_raw:
            try:
                seconds = float(parse_duration(interval_raw))
            except ValueError:
                seconds = 0.0
            if seconds <= 0:
                raise ValueError(f'invalid checkpoint_interval "{interval_raw}"')
        return cls(lines, seconds)


Sink = Callable[[Checkpoint], None]


class Tracker:
    """A device's segment and checkpoint state. Not thread-safe: the device's lock guards it.

    `begin` marks that the next line starts a new segment; `resume` decides whether a file
    the device reopened continues the last recorded segment; `wrote` is told of every line
    written and records a checkpoint when one is due.
    """

    def __init__(
        self,
        key: ChainKey,
        policy: CheckpointPolicy | None = None,
        last: Checkpoint | None = None,
        sink: Sink | None = None,
    ) -> None:
        self.key = key
        self.policy = policy or CheckpointPolicy()
        self.sink = sink
        self.last = last  # the newest checkpoint recorded for this device
        self.seg = last.seg if last is not None else 0
        self._start: ChainHead | None = None if last is None else _start_of(last)
        self._start_offset = -1 if last is None else last.start_offset
        self._starting = last is None
        self._head = ChainHead() if last is None else ChainHead(last.head_seq, last.head_digest)
        self._since = time.monotonic()
        self._where: Callable[[], tuple[int, str]] = lambda: (-1, "")

    def signer(self) -> tuple[ChainKey, int]:
        """The key and segment number the next line is written with."""
        return self.key, self.seg + 1 if self._starting else self.seg

    def locate(self, where: Callable[[], tuple[int, str]]) -> None:
        """Tell the tracker how to find (file offset after the head, file identity)."""
        self._where = where

    def begin(self) -> None:
        """The next line starts a new segment (a fresh file, or a new run of a socket)."""
        self._starting = True

    def resume(self, seg: int, head: ChainHead) -> bool:
        """A device reopened a file whose last line is in segment `seg` (0: unkeyed) and ends
        at `head`: continue the last segment when the file still reaches its checkpointed
        head, else start a new one. Returns False when the file ends before the last
        checkpoint (lines were removed while it was closed)."""
        last = self.last
        if last is not None and seg == last.seg and head.seq >= last.head_seq:
            self.seg, self._starting, self._head = seg, False, head
            return True
        self._starting = True
        self._head = head
        return last is None or seg != last.seg or head.seq >= last.head_seq

    def wrote(self, head: ChainHead, size: int) -> None:
        """Record that the line ending at `head` (`size` bytes) was written; checkpoint when
        due (always at a segment's first line)."""
        self._head = head
        if self._starting:
            self._starting = False
            self.seg += 1
            self._start = head
            offset = self._where()[0]
            self._start_offset = offset - size if offset >= 0 else -1
            self._checkpoint("start")
        elif head.seq - self._checkpointed_seq() >= self.policy.every_lines:
            self._checkpoint("interval")

    def due(self) -> bool:
        """True when lines were written since the last checkpoint and the interval passed."""
        waited = time.monotonic() - self._since >= self.policy.every_seconds
        return waited and self._head.seq > self._checkpointed_seq()

    def checkpoint(self, reason: Reason) -> None:
        """Record a checkpoint now if the head moved since the last one."""
        if self._head.seq > self._checkpointed_seq():
            self._checkpoint(reason)

    def _checkpointed_seq(self) -> int:
        last = self.last
        if last is None or last.seg != self.seg:
            return 0
        return last.head_seq

    def _checkpoint(self, reason: Reason) -> None:
        if self._start is None or self.seg == 0 or self._starting:
            return
        if self.last is not None and (self.last.seg, self.last.head_seq) == (
            self.seg,
            self._head.seq,
        ):
            return
        offset, where = self._where()
        cp = Checkpoint(
            seg=self.seg,
            start_seq=self._start.seq,
            start_digest=self._start.digest,
            head_seq=self._head.seq,
            head_digest=self._head.digest,
            start_offset=self._start_offset,
            offset=offset,
            file=where,
            time=time.time(),
            reason=reason,
        ).signed(self.key)
        self.last = cp
        self._since = time.monotonic()
        if self.sink is not None:
            self.sink(cp)


def _start_of(cp: Checkpoint) -> ChainHead:
    return ChainHead(cp.start_seq, cp.start_digest)
