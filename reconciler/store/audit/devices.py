"""Audit devices: where entries go. Each device owns its hash chain and its own lock.

A device's `write` raises `OSError` when the entry could not be recorded; the broker counts a
request as audited when at least one device wrote it (fail closed otherwise).
"""

from __future__ import annotations

import logging
import os
import select
import socket
import stat
import sys
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.store.audit.chain import (
    ChainHead,
    encode_line,
    head_of_line,
    recover_tail,
    segment_of,
)
from reconciler.store.audit.checkpoints import Reason, Tracker
from reconciler.vocabulary.durations import parse_duration

log = logging.getLogger(__name__)

DEFAULT_MODE = 0o600
DEFAULT_WRITE_TIMEOUT = 2.0


class AuditDevice(Protocol):
    """Somewhere entries are written, one JSON line each, chained."""

    def open(self) -> None:
        """Acquire the destination now (the sanity check at enable); raises OSError."""
        ...

    def write(self, entry: dict[str, Any]) -> None:
        """Record one entry or raise OSError; a failed entry never advances the chain."""
        ...

    def reopen(self) -> None:
        """Release and reacquire the destination (SIGHUP after log rotation)."""
        ...

    def close(self) -> None:
        """Release the destination; a later write reopens it."""
        ...

    def checkpoint(self, reason: Reason) -> None:
        """Record a checkpoint of the keyed chain now, if the head moved (no-op unkeyed)."""
        ...

    def checkpoint_due(self) -> bool:
        """True when a timed checkpoint is due (lines written, interval passed)."""
        ...


class DeviceOptionError(ValueError):
    """An option a device cannot work with; the message is shown to the user as written."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FileDevice:
    """JSON lines appended to `file_path`; `stdout` and `discard` are special paths.

    Invariant: the file always ends with a complete line, and `_head` is its last line, so the
    chain survives restarts (resume from the file) and rotation (continue from memory).
    """

    def __init__(
        self,
        file_path: str,
        mode: int | None = DEFAULT_MODE,
        prefix: str = "",
        tracker: Tracker | None = None,
    ) -> None:
        self.file_path = file_path
        self.mode = mode
        self.prefix = prefix
        self.tracker = tracker
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._head = ChainHead()
        self._broken = False  # a failed write may have left a partial line behind
        if tracker is not None:
            tracker.locate(self._where)

    @property
    def _special(self) -> bool:
        return self.file_path in ("stdout", "discard")

    def open(self) -> None:
        """Open (creating parent folders and the file) and resume the chain from its tail."""
        with self._lock:
            self._open_locked()

    def _open_locked(self) -> None:
        if self._special or self._fd is not None:
            return
        parent = os.path.dirname(self.file_path)
        if parent:
            os.makedirs(parent, mode=0o700, exist_ok=True)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        fd = os.open(self.file_path, flags, self.mode or DEFAULT_MODE)
        try:
            # Vault's "0000" means: leave the file's mode alone. A device node (/dev/full,
            # /dev/null) is never chmodded: that would change it for the whole machine.
            if self.mode and stat.S_ISREG(os.fstat(fd).st_mode):
                os.fchmod(fd, self.mode)
            tail = recover_tail(fd)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        self._broken = False
        self._resume(tail)

    def _resume(self, tail: bytes | None) -> None:
        """Take the chain on from the file's last line, or start a segment in an empty file."""
        if tail is not None:
            self._head = head_of_line(tail)
        if self.tracker is None:
            return
        if tail is None:
            self._warn_if_emptied()
            self.tracker.begin()
        elif not self.tracker.resume(segment_of(tail), self._head):
            log.error(
                "audit file %s ends before its last checkpoint: lines were removed while it was "
                "closed (`sealkeep audit verify` with the key reports them); a new segment starts",
                self.file_path,
            )

    def _warn_if_emptied(self) -> None:
        """A fresh process finding its file empty or gone, where the last checkpoint saw
        lines, cannot tell a rotation made while it was down from a deletion: say so."""
        last = self.tracker.last if self.tracker is not None else None
        if last is None or self._head.seq or last.offset <= 0:
            return
        if last.file.rpartition(" ")[0] == self.file_path:
            log.error(
                "audit file %s is empty or new, but its last checkpoint recorded %d bytes in "
                "it (segment %d): it was rotated or removed while the server was down",
                self.file_path,
                last.offset,
                last.seg,
            )

    def _where(self) -> tuple[int, str]:
        if self._fd is None:
            return -1, self.file_path
        info = os.fstat(self._fd)
        if not stat.S_ISREG(info.st_mode):
            return -1, self.file_path
        return os.lseek(self._fd, 0, os.SEEK_CUR), f"{self.file_path} {info.st_dev}:{info.st_ino}"

    def write(self, entry: dict[str, Any]) -> None:
        """Append one chained line; on failure the next write reopens and repairs the tail."""
        with self._lock:
            signer = self.tracker.signer() if self.tracker is not None else None
            line, head = encode_line(entry, self._head, self.prefix, signer)
            if self.file_path == "stdout":
                sys.stdout.write(line.decode())
                sys.stdout.flush()
            elif self.file_path != "discard":
                self._write_file(line)
            self._head = head
            if self.tracker is not None:
                self.tracker.wrote(head, len(line))

    def _write_file(self, line: bytes) -> None:
        if self._broken:
            self._close_locked()
        self._open_locked()
        if self._fd is None:
            raise OSError(f"audit file {self.file_path} is not open")
        try:
            _write_all(self._fd, line)
        except OSError:
            self._broken = True
            raise

    def reopen(self) -> None:
        """Close and reopen the path; a renamed-away file is replaced by a fresh one that
        continues the chain from the last line written to the old one."""
        with self._lock:
            self._checkpoint_locked("reopen")
            self._close_locked()
            self._open_locked()

    def close(self) -> None:
        """Close the file; the chain head stays in memory for a later reopen."""
        with self._lock:
            self._checkpoint_locked("close")
            self._close_locked()

    def checkpoint(self, reason: Reason) -> None:
        """Record a checkpoint of the keyed chain now, if the head moved."""
        with self._lock:
            self._checkpoint_locked(reason)

    def checkpoint_due(self) -> bool:
        """True when a timed checkpoint is due."""
        with self._lock:
            return self.tracker is not None and self.tracker.due()

    def _checkpoint_locked(self, reason: Reason) -> None:
        if self.tracker is not None and not self._broken:
            self.tracker.checkpoint(reason)

    def _close_locked(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


class SocketDevice:
    """JSON lines sent over TCP (a stream) or UDP (one datagram per line).

    Connects lazily; a failed send reconnects and retries once, as Vault's socket device does.
    The chain lives in memory and restarts at genesis with the process.
    """

    def __init__(
        self,
        address: str,
        socket_type: str = "tcp",
        write_timeout: float = DEFAULT_WRITE_TIMEOUT,
        prefix: str = "",
        tracker: Tracker | None = None,
    ) -> None:
        host, sep, port = address.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise DeviceOptionError(f'invalid address "{address}": expected host:port')
        if socket_type not in ("tcp", "udp"):
            raise DeviceOptionError(f'invalid socket_type "{socket_type}": use tcp or udp')
        self.host = host.strip("[]")
        self.port = int(port)
        self.socket_type = socket_type
        self.write_timeout = write_timeout
        self.prefix = prefix
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._head = ChainHead()
        self.tracker = tracker
        if tracker is not None:
            # Each run of the process is a segment of its own: the chain restarts at genesis.
            tracker.begin()
            tracker.locate(lambda: (-1, f"{self.socket_type}://{address}"))

    def open(self) -> None:
        """Connect now (not required: writes connect on demand)."""
        with self._lock:
            self._connect()

    def _connect(self) -> socket.socket:
        if self._sock is None:
            if self.socket_type == "tcp":
                sock = socket.create_connection((self.host, self.port), self.write_timeout)
            else:
                family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
                sock = socket.socket(family, socket.SOCK_DGRAM)
                sock.settimeout(self.write_timeout)
                try:
                    sock.connect((self.host, self.port))
                except OSError:
                    sock.close()
                    raise
            self._sock = sock
        return self._sock

    def write(self, entry: dict[str, Any]) -> None:
        """Send one chained line; reconnect and retry once on failure."""
        with self._lock:
            signer = self.tracker.signer() if self.tracker is not None else None
            line, head = encode_line(entry, self._head, self.prefix, signer)
            try:
                self._live().sendall(line)
            except OSError:
                self._disconnect()
                self._connect().sendall(line)
            self._head = head
            if self.tracker is not None:
                self.tracker.wrote(head, len(line))

    def _live(self) -> socket.socket:
        """The connection, dropped first when a TCP peer has closed or reset it.

        A send to a peer that has gone still succeeds once (the kernel buffers it and the
        peer answers with a reset), so the entry would be lost; peeking first catches that.
        """
        sock = self._connect()
        if self.socket_type != "tcp":
            return sock
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return sock  # nothing to read: the connection is up (the usual case)
        try:
            gone = sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            gone = True
        if gone:
            self._disconnect()
        return self._connect()

    def reopen(self) -> None:
        """Drop the connection; the next write reconnects."""
        with self._lock:
            self._checkpoint_locked("reopen")
            self._disconnect()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._checkpoint_locked("close")
            self._disconnect()

    def checkpoint(self, reason: Reason) -> None:
        """Record a checkpoint of the keyed chain now, if the head moved."""
        with self._lock:
            self._checkpoint_locked(reason)

    def checkpoint_due(self) -> bool:
        """True when a timed checkpoint is due."""
        with self._lock:
            return self.tracker is not None and self.tracker.due()

    def _checkpoint_locked(self, reason: Reason) -> None:
        if self.tracker is not None:
            self.tracker.checkpoint(reason)

    def _disconnect(self) -> None:
        if self._sock is not None:
            sock, self._sock = self._sock, None
            sock.close()


DEVICE_TYPES = ("file", "socket")


def build_device(
    device_type: str, options: Mapping[str, str], tracker: Tracker | None = None
) -> AuditDevice:
    """A device of `device_type` configured from Vault's string options.

    With `tracker` its lines are keyed and checkpointed. Raises DeviceOptionError with Vault's
    wording for an unknown type or a bad option.
    """
    fmt = options.get("format") or "json"
    if fmt != "json":
        raise DeviceOptionError(f'unsupported "format": "{fmt}" (only "json" is supported)')
    prefix = options.get("prefix", "")
    if device_type == "file":
        path = options.get("file_path") or options.get("path") or ""
        if not path:
            raise DeviceOptionError("file_path is required")
        return FileDevice(path, _mode(options.get("mode", "")), prefix, tracker)
    if device_type == "socket":
        address = options.get("address", "")
        if not address:
            raise DeviceOptionError("address is required")
        return SocketDevice(
            address,
            options.get("socket_type") or "tcp",
            _timeout(options.get("write_timeout", "")),
            prefix,
            tracker,
        )
    raise DeviceOptionError(f'unknown backend type: "{device_type}"')


def _mode(raw: str) -> int | None:
    if raw == "":
        return DEFAULT_MODE
    try:
        mode = int(raw, 8)
    except ValueError as exc:
        raise DeviceOptionError(f'invalid mode "{raw}": expected octal such as 0600') from exc
    if not 0 <= mode <= 0o777:
        raise DeviceOptionError(f'invalid mode "{raw}": expected octal such as 0600')
    return mode or None


def _timeout(raw: str) -> float:
    if raw == "":
        return DEFAULT_WRITE_TIMEOUT
    try:
        seconds = parse_duration(raw)
    except ValueError as exc:
        raise DeviceOptionError(f'invalid write_timeout "{raw}"') from exc
    if seconds <= 0:
        raise DeviceOptionError(f'invalid write_timeout "{raw}"')
    return float(seconds)
