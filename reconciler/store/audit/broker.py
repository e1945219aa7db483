"""The audit broker: the table of enabled devices and the fail-closed logging rule.

The device table and each device's salt live in the broker's storage view (inside the
barrier), so hashes stay stable across restarts and nobody reading the disk learns a salt.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from reconciler.store.audit.devices import (
    AuditDevice,
    DeviceOptionError,
    FileDevice,
    build_device,
)
from reconciler.store.audit.entry import build_request_entry, build_response_entry
from reconciler.store.audit.hashing import FieldHasher, HashConfig, Hasher
from reconciler.store.errors import AuditFailed, BadRequest, InternalError
from reconciler.store.logical import Request, Response
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


def _normalize(path: str) -> str:
    cleaned = path.strip("/")
    if not cleaned:
        raise BadRequest("audit device path cannot be empty")
    return cleaned + "/"


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


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
                mounted = self._mount(entry, self._salt(entry.uuid))
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
            try:
                device = build_device(type, options)
                config = HashConfig.from_options(options)
            except DeviceOptionError as exc:
                raise BadRequest(str(exc)) from None
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
            self._sanity_check(device)
            entry = DeviceEntry(key, type, description, options, local, str(uuid.uuid4()))
            salt = str(uuid.uuid4())
            try:
                self._persist([*self._entries(), entry], salt_for=(entry.uuid, salt))
            except Exception:
                device.close()
                raise
            self._devices[key] = _Mounted(entry, device, FieldHasher(Hasher(salt), config))

    @staticmethod
    def _sanity_check(device: AuditDevice) -> None:
        if not isinstance(device, FileDevice):
            return  # sockets connect on first write, as Vault's do
        try:
            device.open()
        except OSError as exc:
            raise BadRequest(
                f'sanity check failed; unable to open "{device.file_path}" for writing: '
                f"{_os_reason(exc)}"
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
            mounted.device.close()

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
        )

    def _fan_out(self, kind: str, build: Callable[[FieldHasher], dict[str, Any]]) -> None:
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
            raise AuditFailed()

    def _snapshot(self) -> list[_Mounted]:
        with self._lock:
            return list(self._devices.values())

    def _entries(self) -> list[DeviceEntry]:
        return [m.entry for m in self._devices.values()]

    def _mount(self, entry: DeviceEntry, salt: str) -> _Mounted:
        try:
            device = build_device(entry.type, entry.options)
            config = HashConfig.from_options(entry.options)
        except ValueError as exc:
            raise InternalError(f"audit device {entry.path} is misconfigured: {exc}") from None
        return _Mounted(entry, device, FieldHasher(Hasher(salt), config))

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
    ) -> None:
        table = {"v": TABLE_VERSION, "devices": [e.to_json() for e in entries]}
        with self._storage.transaction() as txn:
            if salt_for is not None:
                txn.put(SALT_PREFIX + salt_for[0], salt_for[1].encode())
            if drop_salt:
                txn.delete(SALT_PREFIX + drop_salt)
            txn.put_json(TABLE_KEY, table)

    def _close_all(self) -> None:
        for mounted in self._devices.values():
            try:
                mounted.device.close()
            except OSError as exc:
                log.error("audit device %s did not close cleanly: %s", mounted.entry.path, exc)
        self._devices.clear()
