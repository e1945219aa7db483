"""User lock-out for userpass and AppRole logins, as Vault 1.13+ has it.

After `lockout_threshold` failed logins for one alias (a userpass user name, an AppRole
role_id) with no `lockout_counter_reset` pause between them, logins for that alias are refused
with 403 `permission denied` for `lockout_duration`, even with the right credentials. Only
failures for an alias that exists count (a backend says so by raising `InvalidCredentials`), so
a flood of made-up names locks nobody out. Each auth mount tunes it with `user_lockout_config`.

Failure counters are memory only; a lock is stored in the barrier (`sys/lockout/`) so a restart
does not lift it. `sys/locked-users` lists locks and `.../unlock/<alias>` lifts one.

Differences from OpenBao 2.7, on purpose: a negative duration in `user_lockout_config` is a
400 (OpenBao stores it); `lockout_counter_reset` takes effect (OpenBao's tune ignores it); the
config is also accepted when an auth method is enabled (OpenBao only takes it in tune).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from reconciler.store.errors import BadRequest, InvalidCredentials, StoreError
from reconciler.store.framework import MountEntry, parse_bool
from reconciler.store.logical import Request, Response
from reconciler.store.mounts import Mount
from reconciler.store.storage.view import StorageView
from reconciler.vocabulary.durations import parse_duration

LOCKOUT_TYPES = frozenset({"userpass", "approle"})
DEFAULT_THRESHOLD = 5
DEFAULT_DURATION = 15 * 60
DEFAULT_COUNTER_RESET = 15 * 60
# Bounds the failure counters a flood of wrong passwords for real users can create.
MAX_COUNTERS = 100_000


class LockedOut(StoreError):
    """403 for a login whose alias is locked out (Vault answers a plain `permission denied`)."""

    status = 403

    def __init__(self) -> None:
        super().__init__("permission denied")


@dataclass(frozen=True)
class LockoutConfig:
    """A mount's effective lock-out settings (seconds)."""

    threshold: int = DEFAULT_THRESHOLD
    duration: int = DEFAULT_DURATION
    counter_reset: int = DEFAULT_COUNTER_RESET
    disabled: bool = False

    @classmethod
    def of(cls, entry: MountEntry) -> LockoutConfig:
        """The settings tuned on `entry`; a 0 means the default, as in Vault."""
        stored = entry.config.get("user_lockout_config") or {}
        return cls(
            threshold=int(stored.get("user_lockout_threshold") or DEFAULT_THRESHOLD),
            duration=int(stored.get("user_lockout_duration") or DEFAULT_DURATION),
            counter_reset=int(
                stored.get("user_lockout_counter_reset_duration") or DEFAULT_COUNTER_RESET
            ),
            disabled=bool(stored.get("user_lockout_disable")),
        )


def _login_alias(mount: Mount, req: Request, rel: str) -> str | None:
    """The alias a login names (Vault's alias lookahead), or None for any other request."""
    kind = mount.entry.type
    if kind == "userpass" and rel.startswith("login/"):
        return rel[len("login/") :].strip().lower() or None
    if kind == "approle" and rel == "login":
        role_id = req.data.get("role_id")
        return role_id.strip() or None if isinstance(role_id, str) else None
    return None


@dataclass
class _Failures:
    count: int
    last: float


class UserLockout:
    """Counts failed logins per (mount accessor, alias) and refuses locked-out aliases."""

    def __init__(self, storage: StorageView) -> None:
        self.storage = storage
        self._failures: dict[tuple[str, str], _Failures] = {}
        self._locked: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the stored locks (at unseal)."""
        for accessor in self.storage.list():
            accessor = accessor.rstrip("/")
            for key in self.storage.list(f"{accessor}/"):
                doc = self.storage.get_json(f"{accessor}/{key}")
                if doc is not None:
                    self._locked[(accessor, unquote(key))] = float(doc["locked_at"])

    def dispatch(self, mount: Mount, req: Request, rel: str) -> Response | None:
        """Run the backend's handler, refusing and counting logins as lock-out says."""
        alias = _login_alias(mount, req, rel) if mount.entry.type in LOCKOUT_TYPES else None
        if alias is None:
            return mount.backend.handle(req, rel)
        config = LockoutConfig.of(mount.entry)
        if config.disabled:
            return mount.backend.handle(req, rel)
        key = (mount.entry.accessor, alias)
        if self._is_locked(key, config, time.time()):
            raise LockedOut()
        try:
            response = mount.backend.handle(req, rel)
        except InvalidCredentials:
            self._failed(key, config, time.time())
            raise
        with self._lock:
            self._failures.pop(key, None)
        return response

    def _is_locked(self, key: tuple[str, str], config: LockoutConfig, now: float) -> bool:
        locked_at = self._locked.get(key)
        if locked_at is None:
            return False
        if now - locked_at < config.duration:
            return True
        self.unlock(*key)  # the lock ran out
        return False

    def _failed(self, key: tuple[str, str], config: LockoutConfig, now: float) -> None:
        with self._lock:
            seen = self._failures.get(key)
            if seen is None or now - seen.last >= config.counter_reset:
                if len(self._failures) >= MAX_COUNTERS:
                    self._failures.pop(next(iter(self._failures)))
                seen = self._failures[key] = _Failures(0, now)
            seen.count += 1
            seen.last = now
            if seen.count < config.threshold:
                return
            del self._failures[key]
            self._locked[key] = now
        accessor, alias = key
        self.storage.put_json(f"{accessor}/{quote(alias, safe='')}", {"locked_at": now})

    def unlock(self, accessor: str, alias: str) -> None:
        """Lift a lock (and forget the failures); unknown ones are not an error."""
        with self._lock:
            self._locked.pop((accessor, alias), None)
            self._failures.pop((accessor, alias), None)
        self.storage.delete(f"{accessor}/{quote(alias, safe='')}")

    def forget_mount(self, accessor: str) -> None:
        """Drop the locks and counters of an auth mount that is being disabled."""
        with self._lock:
            keys = [key for key in self._locked if key[0] == accessor]
            self._failures = {k: v for k, v in self._failures.items() if k[0] != accessor}
        for key in keys:
            self.unlock(*key)

    def locked(self, mounts: list[Mount]) -> dict[str, list[str]]:
        """Aliases locked right now, by mount accessor (mounts that still exist only)."""
        now = time.time()
        by_accessor = {m.entry.accessor: m for m in mounts}
        found: dict[str, list[str]] = {}
        with self._lock:  # a login may lock or unlock an alias while this lists
            keys = sorted(self._locked)
        for accessor, alias in keys:
            mount = by_accessor.get(accessor)
            if mount is not None and self._is_locked(
                (accessor, alias), LockoutConfig.of(mount.entry), now
            ):
                found.setdefault(accessor, []).append(alias)
        return found


def parse_user_lockout_config(raw: Any) -> dict[str, Any]:
    """The stored form of a `user_lockout_config` given to tune; BadRequest when invalid."""
    if not isinstance(raw, dict):
        raise BadRequest(
            'Field validation failed: error converting input for field "user_lockout_config": '
            f"expected a map, got {type(raw).__name__}"
        )
    out: dict[str, Any] = {}
    try:
        out["user_lockout_threshold"] = _count(raw.get("lockout_threshold"))
        for field, name in (
            ("lockout_duration", "user_lockout_duration"),
            ("lockout_counter_reset", "user_lockout_counter_reset_duration"),
        ):
            out[name] = _seconds(field, raw.get(field))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    disable = raw.get("lockout_disable", raw.get("disable_lockout"))
    try:
        out["user_lockout_disable"] = False if disable is None else parse_bool(disable)
    except ValueError:
        raise BadRequest(f"unable to parse user lockout disable: {disable!r}") from None
    return out


def api_form(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored `user_lockout_config` as tune takes it (to merge a partial tune into it)."""
    return {
        "lockout_threshold": stored.get("user_lockout_threshold", 0),
        "lockout_duration": stored.get("user_lockout_duration", 0),
        "lockout_counter_reset": stored.get("user_lockout_counter_reset_duration", 0),
        "lockout_disable": stored.get("user_lockout_disable", False),
    }


def _count(value: Any) -> int:
    if value is None or value == "":
        return 0
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"unable to parse user lockout threshold: {text!r} is not a count")
    return int(text)


def _seconds(field: str, value: Any) -> int:
    if value is None or value == "":
        return 0
    try:
        seconds = parse_duration(value)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"unable to parse user lockout {field}: {exc}") from None
    if seconds < 0 or seconds > 10 * 365 * 86400:
        raise ValueError(f"unable to parse user lockout {field}: out of range")
    return seconds
