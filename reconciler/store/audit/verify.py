"""`audit verify`: check a file's hash chain in one streaming pass (see chain.py).

The fast path slices the chain field and hashes each line's bytes; JSON is parsed only to
explain the first problem found. Only a partial last line (a crash mid-write) is tolerated.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from reconciler.store.audit.chain import (
    CHAIN_END,
    CHAIN_PREFIX,
    GENESIS,
    PREV_MARK,
    ChainHead,
    parse_chain,
)

ProblemKind = Literal["edited", "deleted", "inserted", "reordered", "truncated", "unlinked"]

_GENESIS_BYTES = GENESIS.encode()
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

    @property
    def ok(self) -> bool:
        """True when the chain is intact."""
        return self.problem is None

    @property
    def starts_at_genesis(self) -> bool:
        """True when the file's first line is a chain's first line."""
        return self.first_seq == 1 and self.continues_from == GENESIS


def _digest(line: bytes) -> bytes:
    return hashlib.sha256(line).hexdigest().encode()


def _is_json(line: bytes) -> bool:
    start = line.find(b"{")
    try:
        json.loads(line[start:] if start > 0 else line)
    except ValueError:
        return False
    return True


class _Scan:
    """State of one pass; `feed` returns a Problem at the first line that breaks the chain."""

    def __init__(self, result: VerifyResult, after: ChainHead | None) -> None:
        self.result = result
        self.expected = after.seq + 1 if after is not None else 0
        self.digest = after.digest.encode() if after is not None else b""
        self.linked = after is not None
        self.prev1: bytes | None = None
        self.prev2: bytes | None = None
        self.n = 0

    def first(self, line: bytes, rest: Iterator[bytes]) -> Problem | None:
        """Check line 1, which may continue a chain from an earlier file."""
        parsed = parse_chain(line)
        if parsed is None:
            return _diagnose(self, line, None, rest)
        seq, prev = parsed
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
        want = b"%s%d%s%s%s" % (CHAIN_PREFIX, scan.expected, PREV_MARK, scan.digest, CHAIN_END)
        if not line.startswith(want):
            parsed = parse_chain(line)  # slow path: a device `prefix`, or a problem
            if parsed is None or parsed != (scan.expected, scan.digest):
                return _diagnose(scan, line, parsed, lines)
        scan.digest = _digest(line)
        scan.expected += 1
        scan.prev2, scan.prev1 = scan.prev1, line
    if scan.prev1 is not None and not _is_json(scan.prev1):
        return Problem(scan.n, "truncated", f"line {scan.n} is cut short or corrupted")
    return None


def verify(path: str, after: ChainHead | None = None) -> VerifyResult:
    """Verify one file; with `after`, its first line must continue that chain head
    (or restart at genesis, which a process restart with a fresh file does)."""
    result = VerifyResult(path=path)
    scan = _Scan(result, after)
    with open(path, "rb", buffering=_BUFFER) as handle:
        problem = _scan_lines(iter(handle), scan)
    result.problem = problem
    result.lines = scan.n if problem is None else problem.line - 1
    if problem is None and scan.n:
        result.last_seq = scan.expected - 1
        result.head = ChainHead(result.last_seq, scan.digest.decode())
    return result


def verify_files(paths: list[str]) -> list[VerifyResult]:
    """Verify files in rotation order (oldest first), checking the link between each pair.

    Stops after the first file with a problem, since later links cannot be trusted.
    """
    results: list[VerifyResult] = []
    head: ChainHead | None = None
    for path in paths:
        result = verify(path, head)
        results.append(result)
        if not result.ok:
            break
        if result.lines:
            head = result.head
    return results
