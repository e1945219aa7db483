"""The audit broker: the table of enabled devices and the fail-closed logging rule.

The device table and each device's salt live in the broker's storage view (inside the
barrier), so hashes stay stable across restarts and nobody reading the disk learns a salt;
so do each device's chain key and checkpoints (ledger.py).

No lock-out: a new device must take a test entry before it is accepted, and a request that
changes the device table or seals the store is let through (and recorded in the server's own
log) when no device can log it, so a broken device can always be removed by a sudo caller.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from reconciler.store.audit import ledger
from reconciler.store.audit.chain import ChainKey
from reconciler.store.audit.checkpoints import Checkpoint, CheckpointPolicy, Tracker
from reconciler.store.audit.devices import (
    AuditDevice,
    FileDevice,
    SocketDevice,
    build_device,
)
from reconciler.store.audit.entry import build_request_entry, build_response_entry
from reconciler.store.audit.hashing import FieldHasher, HashConfig, Hasher
from reconciler.store.errors import AuditFailed, BadRequest, InternalError
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.view import StorageView
from reconciler.store.timefmt import now

log = logging.getLogger(__name__)

TABLE_KEY = "table"
SALT_PREFIX = "salt/"
TABLE_VERSION = 1


@dataclass(frozen=True)
class DeviceEntry:
    """One row of the device table. `path` always ends with "/"; `uuid` names the salt."""

    path: str
    type: str
    description: str = ""
    options: dict[str, str] = field(default_factory=dict)
    local: bool = False
    uuid: str = ""

    def to_json(self) -> dict[str, Any]:
        """The stored form of the row."""
        return {
            "path": self.path,
            "type": self.type,
            "description": self.description,
            "options": dict(self.options),
            "local": self.local,
            "uuid": self.uuid,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> DeviceEntry:
        """Decode a stored row."""
        return cls(
            path=doc["path"],
            type=doc["type"],
            description=doc.get("description", ""),
            options={str(k): str(v) for k, v in doc.get("options", {}).items()},
            local=bool(doc.get("local", False)),
            uuid=doc["uuid"],
        )


@dataclass
class _Mounted:
    entry: DeviceEntry
    device: AuditDevice
    fields: FieldHasher
    key: ChainKey | None = None


def is_escape_hatch(req: Request) -> bool:
    """True for the requests that must work when no audit device can log: listing and
    changing the audit device table (sys/audit, sys/audit/<path>) and sealing. They cannot
    reveal a secret, and refusing them would leave the operator no way out of a broken device."""
    path = req.path.rstrip("/")
    if path == "sys/audit":
        return req.operation is Operation.READ
    if path.startswith("sys/audit/"):
        return req.operation in (Operation.DELETE, Operation.UPDATE, Operation.CREATE)
    return path == "sys/seal" and req.operation in (Operation.UPDATE, Operation.CREATE)


def test_request() -> Request:
    """The probe a new device must log before it is accepted (Vault's `sys/audit/test`)."""
    return Request(operation=Operation.UPDATE, path="sys/audit/test")


def _normalize(path: str) -> str:
    cleaned = path.strip("/")
    if not cleaned:
        raise BadRequest("audit device path cannot be empty")
    return cleaned + "/"


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _destination(device: AuditDevice) -> str:
    if isinstance(device, FileDevice):
        return device.file_path
    if isinstance(device, SocketDevice):
        return f"{device.host}:{device.port}"
    return type(device).__name__


class AuditBroker:
    """Enabled audit devices; logs every request and response to each of them.

    Thread-safe: the table is guarded by one lock, and each device serialises its own writes,
    so a slow device never reorders another device's chain.
    """

    def __init__(self, storage: StorageView) -> None:
        self._storage = storage
        self._lock = threading.RLock()
        self._devices: dict[str, _Mounted] = {}

    @property
    def has_devices(self) -> bool:
        """True when at least one device is enabled (auditing is then mandatory)."""
        with self._lock:
            return bool(self._devices)

    def load(self) -> None:
        """Reopen every device in the stored table (after unseal).

        A device whose destination cannot be opened stays enabled: its writes keep failing
        (and fail requests closed if it is the only one) until the destination is back.
        """
        with self._lock:
            self._close_all()
            for entry in self._read_table():
                mounted = self._mount(entry, self._salt(entry.uuid), self._storage)
                try:
                    mounted.device.open()
                except OSError as exc:
                    log.error("audit device %s cannot be opened: %s", entry.path, exc)
                self._devices[entry.path] = mounted

    def close(self) -> None:
        """Close every device (on seal or shutdown); `load` opens them again."""
        with self._lock:
            self._close_all()

    def reopen(self) -> None:
        """Close and reopen every device (SIGHUP), so log rotation loses nothing."""
        for mounted in self._snapshot():
            try:
                mounted.device.reopen()
            except OSError as exc:
                log.error("audit device %s cannot be reopened: %s", mounted.entry.path, exc)

    def enable(
        self, path: str, type: str, description: str, options: dict[str, str], local: bool
    ) -> None:
        """Validate, sanity-check, persist and open a new device at `path`."""
        key = _normalize(path)
        options = {str(k): str(v) for k, v in options.items()}
        with self._lock:
            for existing in self._devices:
                if existing.startswith(key) or key.startswith(existing):
                    raise BadRequest("path already in use")
            entry = DeviceEntry(key, type, description, options, local, str(uuid.uuid4()))
            salt = str(uuid.uuid4())
            pending: list[Checkpoint] = []
            try:
                mounted = self._build(entry, salt, ledger.new_key(), pending.append)
            except ValueError as exc:  # DeviceOptionError included: shown as written
                raise BadRequest(str(exc)) from None
            self._sanity_check(mounted)
            try:
                self._persist(
                    [*self._entries(), entry], salt_for=(entry.uuid, salt), new=(mounted, pending)
                )
            except Exception:
                mounted.device.close()
                raise
            self._attach_sink(mounted, self._storage)
            self._devices[key] = mounted

    @staticmethod
    def _sanity_check(mounted: _Mounted) -> None:
        """Open the destination and write a test entry, as Vault does; refuse on failure."""
        device = mounted.device
        if isinstance(device, FileDevice):
            try:
                device.open()
            except OSError as exc:
                raise BadRequest(
                    f'sanity check failed; unable to open "{device.file_path}" for writing: '
                    f"{_os_reason(exc)}"
                ) from None
        try:
            device.write(build_request_entry(test_request(), None, mounted.fields, now()))
        except OSError as exc:
            device.close()
            raise BadRequest(
                f'sanity check failed; unable to write a test entry to "{_destination(device)}":'
                f" {_os_reason(exc)}"
            ) from None

    def disable(self, path: str) -> None:
        """Remove the device at `path` and its salt; unknown paths are a no-op, as in Vault."""
        key = _normalize(path)
        with self._lock:
            mounted = self._devices.get(key)
            if mounted is None:
                return
            rest = [m.entry for p, m in self._devices.items() if p != key]
            self._persist(rest, drop_salt=mounted.entry.uuid)
            del self._devices[key]
            try:
                mounted.device.close()
            except OSError as exc:  # the device is gone either way: the table says so
                log.error("audit device %s did not close cleanly: %s", key, _os_reason(exc))

    def chain_material(self, path: str) -> ledger.ChainMaterial:
        """The chain key and checkpoints of the device at `path` (for `audit verify`)."""
        key = _normalize(path)
        with self._lock:
            mounted = self._devices.get(key)
        if mounted is None or mounted.key is None:
            raise BadRequest(f'unknown audit backend "{key}"')
        # Checkpoint now, so a verify right after sees every line written so far.
        mounted.device.checkpoint("interval")
        cps = ledger.checkpoints(self._storage, mounted.entry.uuid)
        return ledger.ChainMaterial(key, mounted.entry.uuid, mounted.key, tuple(cps))

    def tick(self) -> None:
        """Record the timed checkpoints that are due (called by the background ticker)."""
        for mounted in self._snapshot():
            try:
                if mounted.device.checkpoint_due():
                    mounted.device.checkpoint("interval")
            except Exception:  # one device's failure must not stop the others' checkpoints
                log.exception("audit device %s could not checkpoint", mounted.entry.path)

    def list(self) -> dict[str, dict[str, Any]]:
        """Vault's sys/audit map: "<path>/" -> {type, description, options, local, path}."""
        with self._lock:
            return {
                p: {
                    "type": m.entry.type,
                    "description": m.entry.description,
                    "options": dict(m.entry.options),
                    "local": m.entry.local,
                    "path": p,
                }
                for p, m in sorted(self._devices.items())
            }

    def hash(self, path: str, value: str) -> str:
        """The HMAC the device at `path` would log for `value` (sys/audit-hash)."""
        key = _normalize(path)
        with self._lock:
            mounted = self._devices.get(key)
        if mounted is None:
            raise BadRequest(f'unknown audit backend "{key}"')
        return mounted.fields.hasher.hash(value)

    def log_request(
        self,
        req: Request,
        error: str | None,
        *,
        non_hmac_request_keys: Collection[str] = (),
    ) -> None:
        """Write the request entry to every device; raise AuditFailed if none could."""
        stamp = now()
        self._fan_out(
            "request",
            lambda fields: build_request_entry(req, error, fields, stamp, non_hmac_request_keys),
            req if error is None else None,
        )

    def log_response(
        self,
        req: Request,
        resp: Response | None,
        error: str | None,
        *,
        non_hmac_request_keys: Collection[str] = (),
        non_hmac_response_keys: Collection[str] = (),
    ) -> None:
        """Write the response entry to every device; raise AuditFailed if none could."""
        stamp = now()
        keys = (non_hmac_request_keys, non_hmac_response_keys)
        self._fan_out(
            "response",
            lambda fields: build_response_entry(req, resp, error, fields, stamp, keys),
            req,
        )

    def _fan_out(
        self,
        kind: str,
        build: Callable[[FieldHasher], dict[str, Any]],
        authorized: Request | None,
    ) -> None:
        devices = self._snapshot()
        if not devices:
            return
        written = 0
        for mounted in devices:
            try:
                mounted.device.write(build(mounted.fields))
            except Exception as exc:  # any failure of one device must not stop the others
                # Only OSError text is logged: other exceptions might quote a value.
                reason = _os_reason(exc) if isinstance(exc, OSError) else type(exc).__name__
                log.error(
                    "audit device %s failed to log the %s: %s", mounted.entry.path, kind, reason
                )
            else:
                written += 1
        if written == 0:
            if authorized is not None and is_escape_hatch(authorized):
                log.error(
                    "no audit device could log the %s of %s %s by %r from %s; let through "
                    "because it changes the audit devices or seals",
                    kind,
                    authorized.operation,
                    authorized.path,
                    authorized.display_name,
                    authorized.remote_addr,
                )
                return
            raise AuditFailed()

    def _snapshot(self) -> list[_Mounted]:
        with self._lock:
            return list(self._devices.values())

    def _entries(self) -> list[DeviceEntry]:
        return [m.entry for m in self._devices.values()]

    def _mount(self, entry: DeviceEntry, salt: str, storage: StorageView) -> _Mounted:
        """Rebuild a stored device with its key and newest checkpoint (at load)."""
        key = ledger.load_key(storage, entry.uuid)
        cps = ledger.checkpoints(storage, entry.uuid)
        try:
            mounted = self._build(entry, salt, key, None, cps[-1] if cps else None)
        except ValueError as exc:
            raise InternalError(f"audit device {entry.path} is misconfigured: {exc}") from None
        self._attach_sink(mounted, storage)
        return mounted

    @staticmethod
    def _build(
        entry: DeviceEntry,
        salt: str,
        key: ChainKey,
        sink: Callable[[Checkpoint], None] | None,
        last: Checkpoint | None = None,
    ) -> _Mounted:
        """A device and its hasher from a table row; raises ValueError on a bad option."""
        policy = CheckpointPolicy.from_options(entry.options)
        config = HashConfig.from_options(entry.options)
        tracker = Tracker(key, policy, last, sink)
        device = build_device(entry.type, entry.options, tracker)
        return _Mounted(entry, device, FieldHasher(Hasher(salt), config), key)

    @staticmethod
    def _attach_sink(mounted: _Mounted, storage: StorageView) -> None:
        """Send the device's checkpoints to storage; a failed put is logged, not raised,
        because the entry it follows was written (it only widens the unprovable window)."""
        uuid_ = mounted.entry.uuid

        def sink(cp: Checkpoint) -> None:
            try:
                ledger.put_checkpoint(storage, uuid_, cp)
            except Exception as exc:  # storage faults must not fail an audited request
                log.error(
                    "audit checkpoint of %s not stored: %s", mounted.entry.path, type(exc).__name__
                )

        tracker = getattr(mounted.device, "tracker", None)
        if isinstance(tracker, Tracker):
            tracker.sink = sink

    def _read_table(self) -> list[DeviceEntry]:
        doc = self._storage.get_json(TABLE_KEY)
        if doc is None:
            return []
        if doc.get("v") != TABLE_VERSION:
            raise InternalError(f"audit table has unsupported format version {doc.get('v')!r}")
        return [DeviceEntry.from_json(row) for row in doc.get("devices", [])]

    def _salt(self, device_uuid: str) -> str:
        raw = self._storage.get(SALT_PREFIX + device_uuid)
        if raw is None:
            raise InternalError(f"audit salt {device_uuid} is missing from storage")
        return raw.decode()

    def _persist(
        self,
        entries: list[DeviceEntry],
        salt_for: tuple[str, str] | None = None,
        drop_salt: str = "",
        new: tuple[_Mounted, list[Checkpoint]] | None = None,
    ) -> None:
        """Write the table with a new device's salt, key and first checkpoint, or without a
        removed device's, in one transaction: an enable or disable is all or nothing."""
        table = {"v": TABLE_VERSION, "devices": [e.to_json() for e in entries]}
        with self._storage.transaction() as txn:
            if salt_for is not None:
                txn.put(SALT_PREFIX + salt_for[0], salt_for[1].encode())
            if new is not None and new[0].key is not None:
                mounted, pending = new
                ledger.put_key(txn, mounted.entry.uuid, mounted.key)
                for cp in pending:
                    ledger.put_checkpoint(txn, mounted.entry.uuid, cp)
            if drop_salt:
                txn.delete(SALT_PREFIX + drop_salt)
                ledger.drop(txn, drop_salt)
            txn.put_json(TABLE_KEY, table)

    def _close_all(self) -> None:
        for mounted in self._devices.values():
            try:
                mounted.device.close()
            except OSError as exc:
                log.error("audit device %s did not close cleanly: %s", mounted.entry.path, exc)
        self._devices.clear()
