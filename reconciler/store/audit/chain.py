"""The hash chain that makes an audit file tamper-evident.

Every line a device writes starts (after the optional device `prefix`) with

    {"chain":{"seq":N,"prev":"<64 hex>"},"time":...

where `seq` counts lines (1 at a chain's genesis) and `prev` is the SHA-256 of the previous
line's bytes, newline included; the genesis line has `prev` of 64 zeros. The field comes first
and is fixed-width after the seq digits, so `verify` checks a line by slicing bytes and hashing
them, never by parsing JSON.

Continuity rules (what `verify` may see at the top of a file):
- A new file written by a process that still remembers the previous file's last line (a
  SIGHUP after logrotate renamed the file, or `copytruncate`) continues that chain: its first
  `seq` follows on and its `prev` is the old file's last line. `verify OLD NEW` checks the link.
- A device that opens an existing file resumes from the file's last complete line. A partial
  last line (a crash mid-write, or a failed write) was never acknowledged, so it is cut off
  first; otherwise the next line would turn it into a damaged middle line.
- With nothing to resume from (a fresh process and an empty file), the chain restarts at
  genesis. Deleting a file's tail, or its head together with every line's seq, cannot be told
  from such a restart without an external anchor: ship the log off-host (socket device) too.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from reconciler.store import jsoncodec

GENESIS = "0" * 64
CHAIN_PREFIX = b'{"chain":{"seq":'
PREV_MARK = b',"prev":"'
CHAIN_END = b'"},'
_SEQ_START = len(CHAIN_PREFIX)
_TAIL_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ChainHead:
    """The last line of a chain: its `seq` and the SHA-256 hex of its bytes (0 = nothing yet)."""

    seq: int = 0
    digest: str = GENESIS


def encode_line(
    entry: dict[str, Any], head: ChainHead, prefix: str = ""
) -> tuple[bytes, ChainHead]:
    """Serialise `entry` as the next line after `head`; returns the line and the new head."""
    if not entry:
        raise ValueError("an audit entry cannot be empty")
    # JSON escapes control characters, so a line never contains a raw newline.
    return chain_body(jsoncodec.dumps(entry).decode(), head, prefix)


def chain_body(body: str, head: ChainHead, prefix: str = "") -> tuple[bytes, ChainHead]:
    """Chain an already serialised, non-empty JSON object (`{...}` on one line)."""
    seq = head.seq + 1
    text = f'{prefix}{{"chain":{{"seq":{seq},"prev":"{head.digest}"}},{body[1:]}\n'
    line = text.encode()
    return line, ChainHead(seq, hashlib.sha256(line).hexdigest())


def parse_chain(line: bytes) -> tuple[int, bytes] | None:
    """The (seq, prev hex bytes) of a line, or None when the chain field is missing/damaged."""
    start = 0 if line.startswith(CHAIN_PREFIX) else line.find(CHAIN_PREFIX)
    if start < 0:
        return None
    digits = start + _SEQ_START
    comma = line.find(b",", digits, digits + 21)
    if comma <= digits or not line[digits:comma].isdigit():
        return None
    prev_at = comma + len(PREV_MARK)
    if line[comma:prev_at] != PREV_MARK or line[prev_at + 64 : prev_at + 67] != CHAIN_END:
        return None
    prev = line[prev_at : prev_at + 64]
    if len(prev) != 64:
        return None
    return int(line[digits:comma]), prev


def head_of_line(line: bytes) -> ChainHead:
    """The chain head after `line` (a complete line, newline included)."""
    parsed = parse_chain(line)
    seq = parsed[0] if parsed is not None else 0
    return ChainHead(seq, hashlib.sha256(line).hexdigest())


def recover_tail(fd: int) -> ChainHead | None:
    """Cut a partial last line off the file at `fd` and return the head of its last line.

    Returns None for an empty file. `fd` must be open for writing (not necessarily append).
    """
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    end = size
    if os.pread(fd, 1, size - 1) != b"\n":
        end = _last_newline(fd, size) + 1
        os.ftruncate(fd, end)
        if end == 0:
            return None
    start = _last_newline(fd, end - 1) + 1
    return head_of_line(os.pread(fd, end - start, start))


def _last_newline(fd: int, before: int) -> int:
    """Offset of the last b"\\n" strictly before `before`, or -1."""
    pos = before
    while pos > 0:
        step = min(_TAIL_CHUNK, pos)
        chunk = os.pread(fd, step, pos - step)
        found = chunk.rfind(b"\n")
        if found >= 0:
            return pos - step + found
        pos -= step
    return -1
