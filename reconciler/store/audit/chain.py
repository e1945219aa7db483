"""The hash chain that makes an audit file tamper-evident.

Every line a device writes starts (after the optional device `prefix`) with

    {"chain":{"seq":N,"prev":"<64 hex>"},"time":...

where `seq` counts lines (1 at a chain's genesis) and `prev` is the SHA-256 of the previous
line's bytes, newline included; the genesis line has `prev` of 64 zeros. The field comes first
and is fixed-width after the seq digits, so `verify` checks a line by slicing bytes and hashing
them, never by parsing JSON.

A device with a chain key (every device the broker runs: the key is kept in the barrier, never
in the file) writes a keyed line instead:

    {"chain":{"seq":N,"prev":"<64 hex>","mac":"<64 hex>","seg":K},"time":...

A keyed line's digest (what the next line's `prev` holds) is the SHA-256 of the line without
its `","mac":"<64 hex>` bytes, and `mac` is HMAC-SHA256(key, that digest in hex): one pass over
the bytes serves both, so the key costs a verify one small HMAC per line. `seg` numbers the
segment (one file, or one run of a socket device) that the server's checkpoints describe. The
plain `prev` linkage can be checked by anyone; only the key proves the lines were written by
the server, so a rewrite with recomputed SHA-256 hashes fails every `mac`.

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
MAC_MARK = b'","mac":"'
SEG_MARK = b'","seg":'
# The bytes a keyed line has that its MAC input does not: `","mac":"` and the 64 hex digits.
MAC_SPAN = len(MAC_MARK) + 64
MAC_DOMAIN = b"sealkeep-audit-line/v1\n"
_SEQ_START = len(CHAIN_PREFIX)
_TAIL_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ChainHead:
    """The last line of a chain: its `seq` and the SHA-256 hex of its bytes (0 = nothing yet)."""

    seq: int = 0
    digest: str = GENESIS


class ChainKey:
    """A device's chain key (32 random bytes from the barrier). Invariant: never printed.

    `mac` is HMAC-SHA256 (RFC 2104) of MAC_DOMAIN + the message, computed from the keyed
    inner and outer SHA-256 states prepared once: each call copies two C hash objects,
    which keeps the key's cost to a verify near one microsecond a line.
    """

    __slots__ = ("_inner", "_outer", "raw")

    def __init__(self, raw: bytes) -> None:
        if not 16 <= len(raw) <= 64:
            raise ValueError("an audit chain key has 16 to 64 bytes")
        self.raw = raw
        padded = raw.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._inner.update(MAC_DOMAIN)
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def __repr__(self) -> str:
        return "ChainKey((sensitive))"

    def matches(self, digest: bytes, mac: bytes) -> bool:
        """True when `mac` is the mac of a keyed line whose digest is `digest` (the verify
        hot path: one message part, no loop)."""
        inner = self._inner.copy()
        inner.update(digest)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest().encode() == mac

    def mac(self, *parts: bytes | memoryview) -> bytes:
        """HMAC-SHA256 hex (as bytes) of MAC_DOMAIN and the concatenated `parts`."""
        inner = self._inner.copy()
        for part in parts:
            inner.update(part)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest().encode()


def keyed_digest(line: bytes, prev_end: int) -> bytes:
    """The digest (hex bytes) of a keyed line: SHA-256 of it without its mac field."""
    view = memoryview(line)
    state = hashlib.sha256(view[:prev_end])
    state.update(view[prev_end + MAC_SPAN :])
    return state.hexdigest().encode()


def line_digest(line: bytes) -> str:
    """The chain digest of any complete line (keyed or plain): what the next `prev` holds."""
    if parse_chain(line) is not None:
        at = prev_end_of(line)
        if line.startswith(MAC_MARK, at):
            return keyed_digest(line, at).decode()
    return hashlib.sha256(line).hexdigest()


def encode_line(
    entry: dict[str, Any],
    head: ChainHead,
    prefix: str = "",
    signer: tuple[ChainKey, int] | None = None,
) -> tuple[bytes, ChainHead]:
    """Serialise `entry` as the next line after `head`; returns the line and the new head.

    With `signer` (key, segment) the line is keyed (see the module docstring).
    """
    if not entry:
        raise ValueError("an audit entry cannot be empty")
    # JSON escapes control characters, so a line never contains a raw newline.
    return chain_body(jsoncodec.dumps(entry).decode(), head, prefix, signer)


def chain_body(
    body: str, head: ChainHead, prefix: str = "", signer: tuple[ChainKey, int] | None = None
) -> tuple[bytes, ChainHead]:
    """Chain an already serialised, non-empty JSON object (`{...}` on one line)."""
    seq = head.seq + 1
    start = f'{prefix}{{"chain":{{"seq":{seq},"prev":"{head.digest}'.encode()
    if signer is None:
        line = start + f'"}},{body[1:]}\n'.encode()
        return line, ChainHead(seq, hashlib.sha256(line).hexdigest())
    key, seg = signer
    rest = f'","seg":{seg}}},{body[1:]}\n'.encode()
    state = hashlib.sha256(start)
    state.update(rest)
    digest = state.hexdigest()
    line = b"".join((start, MAC_MARK, key.mac(digest.encode()), rest))
    return line, ChainHead(seq, digest)


@dataclass(frozen=True)
class Keyed:
    """The keyed part of a line: its segment, its mac and where its prev ends."""

    seg: int
    mac: bytes
    prev_end: int


def parse_keyed(line: bytes, prev_end: int) -> Keyed | None:
    """The keyed part of a line whose prev ends at `prev_end`, or None for a plain line."""
    if line[prev_end : prev_end + len(MAC_MARK)] != MAC_MARK:
        return None
    seg_at = prev_end + MAC_SPAN
    if line[seg_at : seg_at + len(SEG_MARK)] != SEG_MARK:
        return None
    digits = seg_at + len(SEG_MARK)
    end = line.find(b"},", digits, digits + 21)
    if end <= digits or not line[digits:end].isdigit():
        return None
    return Keyed(int(line[digits:end]), line[prev_end + len(MAC_MARK) : seg_at], prev_end)


def prev_end_of(line: bytes) -> int:
    """Offset just after the prev hex of a line that `parse_chain` accepted."""
    start = 0 if line.startswith(CHAIN_PREFIX) else line.find(CHAIN_PREFIX)
    return line.find(PREV_MARK, start) + len(PREV_MARK) + 64


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
    if line[comma:prev_at] != PREV_MARK:
        return None
    after = line[prev_at + 64 : prev_at + 64 + len(MAC_MARK)]
    if after[:3] != CHAIN_END and after != MAC_MARK:
        return None
    prev = line[prev_at : prev_at + 64]
    if len(prev) != 64:
        return None
    return int(line[digits:comma]), prev


def head_of_line(line: bytes) -> ChainHead:
    """The chain head after `line` (a complete line, newline included)."""
    parsed = parse_chain(line)
    seq = parsed[0] if parsed is not None else 0
    return ChainHead(seq, line_digest(line))


def recover_tail(fd: int) -> bytes | None:
    """Cut a partial last line off the file at `fd` and return its last complete line.

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
    return os.pread(fd, end - start, start)


def segment_of(line: bytes) -> int:
    """The `seg` of a keyed line (0 for a plain or foreign line)."""
    if parse_chain(line) is None:
        return 0
    keyed = parse_keyed(line, prev_end_of(line))
    return keyed.seg if keyed is not None else 0


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
