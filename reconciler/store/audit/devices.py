"""Audit devices: where entries go. Each device owns its hash chain and its own lock.

A device's `write` raises `OSError` when the entry could not be recorded; the broker counts a
request as audited when at least one device wrote it (fail closed otherwise).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.store.audit.chain import ChainHead, encode_line, recover_tail
from reconciler.vocabulary.durations import parse_duration

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

    def __init__(self, file_path: str, mode: int | None = DEFAULT_MODE, prefix: str = "") -> None:
        self.file_path = file_path
        self.mode = mode
        self.prefix = prefix
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._head = ChainHead()
        self._broken = False  # a failed write may have left a partial line behind

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
            if self.mode:  # Vault's "0000" means: leave the file's mode alone
                os.fchmod(fd, self.mode)
            head = recover_tail(fd)
        except OSError:
            os.close(fd)
            raise
        if head is not None:
            self._head = head
        self._fd = fd
        self._broken = False

    def write(self, entry: dict[str, Any]) -> None:
        """Append one chained line; on failure the next write reopens and repairs the tail."""
        with self._lock:
            line, head = encode_line(entry, self._head, self.prefix)
            if self.file_path == "stdout":
                sys.stdout.write(line.decode())
                sys.stdout.flush()
            elif self.file_path != "discard":
                self._write_file(line)
            self._head = head

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
            self._close_locked()
            self._open_locked()

    def close(self) -> None:
        """Close the file; the chain head stays in memory for a later reopen."""
        with self._lock:
            self._close_locked()

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
            line, head = encode_line(entry, self._head, self.prefix)
            try:
                self._connect().sendall(line)
            except OSError:
                self._disconnect()
                self._connect().sendall(line)
            self._head = head

    def reopen(self) -> None:
        """Drop the connection; the next write reconnects."""
        with self._lock:
            self._disconnect()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._disconnect()

    def _disconnect(self) -> None:
        if self._sock is not None:
            sock, self._sock = self._sock, None
            sock.close()


DEVICE_TYPES = ("file", "socket")


def build_device(device_type: str, options: Mapping[str, str]) -> AuditDevice:
    """A device of `device_type` configured from Vault's string options.

    Raises DeviceOptionError with Vault's wording for an unknown type or a bad option.
    """
    fmt = options.get("format") or "json"
    if fmt != "json":
        raise DeviceOptionError(f'unsupported "format": "{fmt}" (only "json" is supported)')
    prefix = options.get("prefix", "")
    if device_type == "file":
        path = options.get("file_path") or options.get("path") or ""
        if not path:
            raise DeviceOptionError("file_path is required")
        return FileDevice(path, _mode(options.get("mode", "")), prefix)
    if device_type == "socket":
        address = options.get("address", "")
        if not address:
            raise DeviceOptionError("address is required")
        return SocketDevice(
            address,
            options.get("socket_type") or "tcp",
            _timeout(options.get("write_timeout", "")),
            prefix,
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
