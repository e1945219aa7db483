"""`audit verify`: check a file's hash chain in one streaming pass (see chain.py).

The fast path slices the chain field and hashes each line's bytes (and, given the device's
chain key, HMACs them); JSON is parsed only to explain the first problem found. Only a partial
last line (a crash mid-write) is tolerated. With the key and checkpoints (ledger.ChainMaterial)
`verify_files` also proves the lines were written by the server and that no segment lost its
head or its tail up to its last checkpoint (see checkpoints.py); without them it checks the
plain SHA-256 linkage only, which anyone able to write the file can recompute.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Literal

from reconciler.store.audit.chain import (
    CHAIN_END,
    CHAIN_PREFIX,
    GENESIS,
    MAC_MARK,
    MAC_SPAN,
    PREV_MARK,
    ChainHead,
    ChainKey,
    line_digest,
    parse_chain,
    parse_keyed,
    prev_end_of,
)

ProblemKind = Literal[
    "edited",
    "deleted",
    "inserted",
    "reordered",
    "truncated",
    "unlinked",
    "forged",
    "head-cut",
    "tail-cut",
    "foreign",
]

_GENESIS_BYTES = GENESIS.encode()
_MAC_AT = len(MAC_MARK)
_BUFFER = 1 << 20
# How far past a gap to look for the missing seq before calling it a deletion.
LOOKAHEAD_LINES = 100_000


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a file: a 1-based line number, a kind and an explanation."""

    line: int
    kind: ProblemKind
    message: str


@dataclass
class SegmentSpan:
    """Where one segment of a keyed chain shows in the files: its first and last lines, and
    the digest of the line at its checkpointed head (when the files reach it)."""

    first: ChainHead
    first_line: int
    last: ChainHead
    head_digest: str = ""


@dataclass
class VerifyResult:
    """The outcome of verifying one file. `ok` holds when `problem` is None.

    `lines` counts complete lines checked; `truncated_tail` says a partial last line was
    ignored; `continues_from` is the first line's `prev` (64 zeros at genesis).
    """

    path: str
    lines: int = 0
    first_seq: int = 0
    last_seq: int = 0
    continues_from: str = ""
    restarts_at_genesis: bool = False
    truncated_tail: bool = False
    head: ChainHead = field(default_factory=ChainHead)
    problem: Problem | None = None
    keyed: bool = False
    authenticated: bool = False
    segments: dict[int, SegmentSpan] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain is intact."""
        return self.problem is None

    @property
    def starts_at_genesis(self) -> bool:
        """True when the file's first line is a chain's first line."""
        return self.first_seq == 1 and self.continues_from == GENESIS


def _digest(line: bytes) -> bytes:
    return line_digest(line).encode()


def _is_json(line: bytes) -> bool:
    start = line.find(b"{")
    try:
        json.loads(line[start:] if start > 0 else line)
    except ValueError:
        return False
    return True


class _Scan:
    """State of one pass; `feed` returns a Problem at the first line that breaks the chain."""

    def __init__(
        self,
        result: VerifyResult,
        after: ChainHead | None,
        key: ChainKey | None = None,
        targets: dict[int, int] | None = None,
    ) -> None:
        self.result = result
        self.expected = after.seq + 1 if after is not None else 0
        self.digest = after.digest.encode() if after is not None else b""
        self.linked = after is not None
        self.prev1: bytes | None = None
        self.prev2: bytes | None = None
        self.n = 0
        self.key = key
        self.targets = targets or {}
        self.seg = -1  # no keyed line seen yet
        self.seg_mark = b"\0"  # matches no line, so the first keyed line opens a segment
        self.target = -1
        self.fresh = False  # the current segment has no line tracked yet

    def first(self, line: bytes, rest: Iterator[bytes]) -> Problem | None:
        """Check line 1, which may continue a chain from an earlier file."""
        parsed = parse_chain(line)
        if parsed is None:
            if _is_json(line) and parse_chain(next(rest, b"")) is None:
                return Problem(
                    1,
                    "foreign",
                    "not a Sealkeep audit log: its lines carry no chain field (another "
                    "server's audit log, such as Vault's or OpenBao's, cannot be verified)",
                )
            return _diagnose(self, line, None, rest)
        seq, prev = parsed
        self.result.keyed = line.startswith(MAC_MARK, prev_end_of(line))
        self.result.first_seq = seq
        self.result.continues_from = prev.decode()
        genesis = seq == 1 and prev == _GENESIS_BYTES
        if (prev == _GENESIS_BYTES) != (seq == 1):
            return Problem(1, "edited", f"line 1 has seq {seq} with an inconsistent prev hash")
        if self.linked and (seq, prev) != (self.expected, self.digest):
            if not genesis:
                return Problem(
                    1,
                    "unlinked",
                    f"line 1 (seq {seq}) does not continue the previous file, which ends at "
                    f"seq {self.expected - 1}: lines are missing between the files",
                )
            self.result.restarts_at_genesis = True
        self.expected = seq
        self.digest = prev
        return None

    def keyed_line(self, line: bytes, at: int) -> Problem | None:
        """Check the keyed part of line `self.n` (prev ends at `at`); on success the scan's
        digest becomes this line's."""
        n = self.n
        if not line.startswith(self.seg_mark, at + MAC_SPAN) or not line.startswith(MAC_MARK, at):
            keyed = parse_keyed(line, at)
            if keyed is None:
                return Problem(n, "edited", f"line {n} has no mac while the file's lines do")
            if keyed.seg <= self.seg:
                return Problem(n, "edited", f"line {n}: segment {keyed.seg} after {self.seg}")
            self._new_segment(keyed.seg)
        view = memoryview(line)
        state = sha256(view[:at])
        state.update(view[at + MAC_SPAN :])
        digest = state.hexdigest().encode()
        key = self.key
        if key is not None and not key.matches(digest, line[at + _MAC_AT : at + MAC_SPAN]):
            return Problem(
                n,
                "forged",
                f"line {n}: its mac does not match: the line was not written this way by "
                "the server (edited, or rewritten with recomputed hashes; or this is another "
                "device's key)",
            )
        self.digest = digest
        return None

    def _new_segment(self, seg: int) -> None:
        self.close_segment()
        self.seg = seg
        self.seg_mark = b'","seg":%d},' % seg
        self.target = self.targets.get(seg, -1)
        self.result.segments[seg] = SegmentSpan(ChainHead(), self.n, ChainHead())
        self.fresh = True

    def close_segment(self) -> None:
        """Set the last line of the current segment: the line before the one being read."""
        span = self.result.segments.get(self.seg)
        if span is not None and not self.fresh:
            span.last = ChainHead(self.expected - 1, self.digest.decode())

    def track(self) -> None:
        """Record a segment's first line and its checkpointed head's digest (keyed lines)."""
        if self.fresh:
            self.fresh = False
            self.result.segments[self.seg].first = ChainHead(self.expected, self.digest.decode())
        if self.expected == self.target:
            self.result.segments[self.seg].head_digest = self.digest.decode()


def _lookahead(rest: Iterator[bytes], seq: int) -> int:
    """Offset (1-based) of the next line with `seq` in `rest`, or 0."""
    for offset, line in enumerate(itertools.islice(rest, LOOKAHEAD_LINES), start=1):
        parsed = parse_chain(line)
        if parsed is not None and parsed[0] == seq:
            return offset
    return 0


def _gap(scan: _Scan, seq: int, prev: bytes, rest: Iterator[bytes]) -> Problem:
    """Line `scan.n` skips ahead to `seq`: an edited seq, a reorder, or deleted lines."""
    n, e = scan.n, scan.expected
    if prev == scan.digest:
        return Problem(n, "edited", f"line {n}: its seq was modified ({seq}, expected {e})")
    found = _lookahead(rest, e)
    if found:
        return Problem(
            n,
            "reordered",
            f"line {n} has seq {seq} but seq {e} was expected; seq {e} is at line "
            f"{n + found}: lines were reordered",
        )
    return Problem(
        n, "deleted", f"{seq - e} line(s) deleted before line {n} (seq {e} to {seq - 1})"
    )


def _diagnose(
    scan: _Scan, line: bytes, parsed: tuple[int, bytes] | None, rest: Iterator[bytes]
) -> Problem:
    """Explain why line `scan.n` breaks the chain (slow path, runs once)."""
    n, e = scan.n, scan.expected
    if scan.prev1 is not None and not _is_json(scan.prev1):
        return Problem(n - 1, "truncated", f"line {n - 1} is cut short or corrupted")
    if parsed is None:
        following = parse_chain(next(rest, b""))
        if following is not None and following == (e, scan.digest):
            return Problem(n, "inserted", f"line {n} has no chain field and was inserted")
        if not _is_json(line):
            return Problem(n, "truncated", f"line {n} is cut short or corrupted")
        return Problem(n, "edited", f"line {n}: its chain field is missing or damaged")
    seq, prev = parsed
    if seq == e:
        following = parse_chain(next(rest, b""))
        if following is not None and following[1] != _digest(line):
            return Problem(n, "edited", f"line {n}: its chain field was modified")
        return Problem(
            n - 1,
            "edited",
            f"line {n - 1} was modified: its hash no longer matches the prev in line {n}",
        )
    if seq > e:
        return _gap(scan, seq, prev, rest)
    if seq < scan.result.first_seq:
        return Problem(
            n,
            "reordered",
            f"line {n} has seq {seq}, which belongs before line 1 (seq "
            f"{scan.result.first_seq}): lines were reordered",
        )
    if scan.prev2 is not None and prev == _digest(scan.prev2):
        return Problem(
            n - 1, "inserted", f"line {n - 1} was inserted: line {n} follows line {n - 2}"
        )
    return Problem(n, "inserted", f"line {n} repeats seq {seq} (expected {e}): it was inserted")


def _scan_lines(lines: Iterator[bytes], scan: _Scan) -> Problem | None:
    """The hot loop: one slice-and-hash per line."""
    result = scan.result
    for line in lines:
        if line[-1:] != b"\n":
            result.truncated_tail = True  # only the last line can lack its newline
            break
        scan.n += 1
        if scan.n == 1:
            problem = scan.first(line, lines)
            if problem is not None:
                return problem
        # Fast path: the exact chain field this line must start with, compared as bytes.
        want = b"%s%d%s%s" % (CHAIN_PREFIX, scan.expected, PREV_MARK, scan.digest)
        if line.startswith(want):
            at = len(want)
        else:
            parsed = parse_chain(line)  # slow path: a device `prefix`, or a problem
            if parsed is None or parsed != (scan.expected, scan.digest):
                return _diagnose(scan, line, parsed, lines)
            at = prev_end_of(line)
        if result.keyed:
            problem = scan.keyed_line(line, at)
            if problem is not None:
                return problem
            if scan.fresh or scan.expected == scan.target:
                scan.track()
        elif line[at : at + 3] == CHAIN_END:
            scan.digest = hashlib.sha256(line).hexdigest().encode()
        else:
            n = scan.n
            return Problem(n, "edited", f"line {n}: its chain field does not match line 1's form")
        scan.expected += 1
        scan.prev2, scan.prev1 = scan.prev1, line
    if scan.prev1 is not None and not _is_json(scan.prev1):
        return Problem(scan.n, "truncated", f"line {scan.n} is cut short or corrupted")
    return None


def verify(
    path: str,
    after: ChainHead | None = None,
    key: ChainKey | None = None,
    targets: dict[int, int] | None = None,
) -> VerifyResult:
    """Verify one file; with `after`, its first line must continue that chain head
    (or restart at genesis, which a process restart with a fresh file does). With `key`,
    every line's mac is checked; `targets` maps a segment to its checkpointed head seq."""
    result = VerifyResult(path=path, authenticated=key is not None)
    scan = _Scan(result, after, key, targets)
    with open(path, "rb", buffering=_BUFFER) as handle:
        problem = _scan_lines(iter(handle), scan)
    if problem is None:
        scan.close_segment()
    result.problem = problem
    result.lines = scan.n if problem is None else problem.line - 1
    if problem is None and scan.n:
        result.last_seq = scan.expected - 1
        result.head = ChainHead(result.last_seq, scan.digest.decode())
    return result


def verify_files(
    paths: list[str], key: ChainKey | None = None, targets: dict[int, int] | None = None
) -> list[VerifyResult]:
    """Verify files in rotation order (oldest first), checking the link between each pair.

    Stops after the first file with a problem, since later links cannot be trusted. `key`
    and `targets` are passed to `verify` (proof.verify_proved checks the checkpoints too).
    """
    results: list[VerifyResult] = []
    head: ChainHead | None = None
    for path in paths:
        result = verify(path, head, key, targets)
        results.append(result)
        if not result.ok:
            break
        if result.lines:
            head = result.head
    return results
