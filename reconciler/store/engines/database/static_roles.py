"""Static roles: `static-roles/:name`, `static-creds/:name`, `rotate-role/:name`, rotations.

The store owns an existing user's password and rotates it on a period or a cron schedule.
Due times live in storage, so after a restart and unseal the first `tick` rotates whatever
fell due meanwhile. A failed rotation keeps the old password (it is still the one the
database has), records the error, and retries with exponential backoff.
"""

from __future__ import annotations

import threading

from reconciler.store.engines.database.connections import NAME, Connections, role_allowed
from reconciler.store.engines.database.models import (
    ROLE_PREFIX,
    STATIC_ROLE_PREFIX,
    StaticRole,
    load,
    save,
)
from reconciler.store.engines.database.passwords import generate_password
from reconciler.store.engines.database.plugins import PluginError
from reconciler.store.engines.database.scheduler import (
    MIN_ROTATION_PERIOD,
    CronError,
    CronSchedule,
    next_rotation,
    retry_delay,
)
from reconciler.store.errors import BadRequest, InternalError, NotFound
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.view import StorageView
from reconciler.store.timefmt import now

STATIC_FIELDS: dict[str, Field] = {
    "name": Field(FieldType.STRING),
    "db_name": Field(FieldType.STRING, ""),
    "username": Field(FieldType.STRING, ""),
    "rotation_period": Field(FieldType.DURATION, 0),
    "rotation_schedule": Field(FieldType.STRING, ""),
    "rotation_window": Field(FieldType.DURATION, 0),
    "rotation_statements": Field(FieldType.STRINGS, []),
    "credential_type": Field(FieldType.STRING, "password"),
    "credential_config": Field(FieldType.KV_MAP, {}),
}


class StaticRoles:
    """Static role paths plus the rotation scheduler state (name -> next attempt time)."""

    def __init__(self, storage: StorageView, connections: Connections) -> None:
        self.storage = storage
        self.connections = connections
        self._lock = threading.RLock()
        self._due: dict[str, float] | None = None  # loaded lazily on the first tick

    def specs(self) -> list[PathSpec]:
        """The static role path table."""
        name_field = {"name": Field(FieldType.STRING)}
        return [
            PathSpec(r"static-roles/?", {Operation.LIST: self.list_roles}),
            PathSpec(
                rf"static-roles/{NAME}",
                {
                    Operation.UPDATE: self.write_role,
                    Operation.READ: self.read_role,
                    Operation.DELETE: self.delete_role,
                },
                fields=STATIC_FIELDS,
                existence_check=self.role_exists,
            ),
            PathSpec(rf"static-creds/{NAME}", {Operation.READ: self.read_creds}, fields=name_field),
            PathSpec(
                rf"rotate-role/{NAME}", {Operation.UPDATE: self.rotate_now}, fields=name_field
            ),
        ]

    def get(self, name: str) -> StaticRole | None:
        """The stored static role, or None."""
        return load(self.storage, StaticRole, STATIC_ROLE_PREFIX + name)

    def role_exists(self, req: Request, data: FieldData) -> bool:
        """Existence check for create-vs-update."""
        return self.get(data.get("name")) is not None

    def list_roles(self, req: Request, data: FieldData) -> Response:
        """LIST static-roles/."""
        keys = self.storage.list(STATIC_ROLE_PREFIX)
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})

    def read_role(self, req: Request, data: FieldData) -> Response:
        """GET static-roles/:name (no password)."""
        role = self.get(data.get("name"))
        if role is None:
            raise NotFound()
        return Response(data=role.read_data())

    def delete_role(self, req: Request, data: FieldData) -> None:
        """DELETE static-roles/:name; the database user is left as it is."""
        name = data.get("name")
        with self._lock:
            self.storage.delete(STATIC_ROLE_PREFIX + name)
            if self._due is not None:
                self._due.pop(name, None)

    def read_creds(self, req: Request, data: FieldData) -> Response:
        """GET static-creds/:name: the current password and the time to the next rotation."""
        name = data.get("name")
        role = self.get(name)
        if role is None:
            raise BadRequest(f"unknown role: {name}")
        out: dict[str, object] = {
            "username": role.username,
            "password": role.password,
            "last_vault_rotation": role.last_rotation_text(),
            "ttl": max(int(role.next_rotation - now()), 0),
        }
        if role.rotation_schedule:
            out["rotation_schedule"] = role.rotation_schedule
            out["rotation_window"] = role.rotation_window
        else:
            out["rotation_period"] = role.rotation_period
        return Response(data=out)

    def write_role(self, req: Request, data: FieldData) -> None:
        """POST static-roles/:name: create (and rotate at once) or update the schedule."""
        name = data.get("name")
        if self.storage.get(ROLE_PREFIX + name) is not None:
            raise BadRequest("Role and Static Role names must be unique")
        with self._lock:
            existing = self.get(name)
            role = _apply_fields(existing, name, data)
            config = self.connections.require(role.db_name)
            if not role_allowed(config.allowed_roles, name):
                raise InternalError(f'"{name}" is not an allowed role')
            if existing is None:
                self._set_password(role, now())  # raises: nothing is saved
            else:
                role.next_rotation = _next_due(role, role.last_vault_rotation or now())
            save(self.storage, STATIC_ROLE_PREFIX + name, role)
            self._schedule(role)

    def rotate_now(self, req: Request, data: FieldData) -> None:
        """POST rotate-role/:name: rotate immediately."""
        name = data.get("name")
        with self._lock:
            role = self.get(name)
            if role is None:
                raise BadRequest(f"unknown role: {name}")
            self._rotate(role, now())
            if role.last_error:
                raise InternalError(f"failed to rotate credentials: {role.last_error}")

    # -- scheduling ------------------------------------------------------------------------

    def tick(self) -> None:
        """Rotate every static role whose time (or retry time) has come."""
        current = now()
        with self._lock:
            if self._due is None:
                self._due = {}
                for key in self.storage.list(STATIC_ROLE_PREFIX):
                    role = self.get(key)
                    if role is not None:
                        self._schedule(role)
            due = [name for name, when in self._due.items() if when <= current]
        for name in due:
            with self._lock:
                role = self.get(name)
                if role is None:
                    if self._due is not None:
                        self._due.pop(name, None)
                    continue
                self._rotate(role, current)

    def _schedule(self, role: StaticRole) -> None:
        # After a failure the retry time rules, even when the failed attempt was a manual
        # rotation ahead of schedule: the store should not keep a password it meant to drop.
        if self._due is not None:
            self._due[role.name] = role.retry_at if role.failures else role.next_rotation

    def _rotate(self, role: StaticRole, current: float) -> None:
        """One rotation attempt; the outcome (success or error) is saved either way."""
        try:
            self._set_password(role, current)
        except InternalError as exc:
            role.failures += 1
            role.last_error = str(exc)
            role.retry_at = current + retry_delay(role.failures)
        save(self.storage, STATIC_ROLE_PREFIX + role.name, role)
        self._schedule(role)

    def _set_password(self, role: StaticRole, current: float) -> None:
        config = self.connections.require(role.db_name)
        password = generate_password()
        try:
            self.connections.plugin(config).set_static_password(
                role.rotation_statements, role.username, password
            )
        except PluginError as exc:
            raise InternalError(f"error setting credentials: {exc}") from None
        role.password = password
        role.last_vault_rotation = current
        role.next_rotation = _next_due(role, current)
        role.failures, role.last_error, role.retry_at = 0, "", 0.0


def _next_due(role: StaticRole, last: float) -> float:
    return next_rotation(last, role.rotation_period, role.rotation_schedule)


def _apply_fields(existing: StaticRole | None, name: str, data: FieldData) -> StaticRole:
    if existing is None:
        if not data.get("db_name"):
            raise BadRequest("database name is required")
        if not data.get("username"):
            raise BadRequest("username is a required field to create a static account")
        role = StaticRole(name=name, db_name=data.get("db_name"), username=data.get("username"))
    else:
        role = existing
        if data.present("username") and data.get("username") != role.username:
            raise BadRequest("cannot update static account username")
        if data.present("db_name"):
            role.db_name = data.get("db_name")
    for field in ("rotation_statements", "credential_type", "rotation_window"):
        if existing is None or data.present(field):
            setattr(role, field, data.get(field))
    _apply_schedule(role, data)
    if role.credential_type != "password":
        raise BadRequest(f"unsupported credential_type: {role.credential_type!r}")
    return role


def _apply_schedule(role: StaticRole, data: FieldData) -> None:
    has_period, has_schedule = data.present("rotation_period"), data.present("rotation_schedule")
    if has_period and has_schedule:
        raise BadRequest("mutually exclusive fields rotation_period and rotation_schedule")
    if has_period:
        role.rotation_period, role.rotation_schedule = data.get("rotation_period"), ""
    elif has_schedule:
        role.rotation_schedule, role.rotation_period = data.get("rotation_schedule"), 0
    if not role.rotation_period and not role.rotation_schedule:
        raise BadRequest(
            "one of rotation_schedule or rotation_period must be provided to create a "
            "static account"
        )
    if role.rotation_schedule:
        try:
            CronSchedule.parse(role.rotation_schedule)
        except CronError as exc:
            raise BadRequest(f"could not parse rotation_schedule: {exc}") from None
    elif role.rotation_period < MIN_ROTATION_PERIOD:
        raise BadRequest(f"rotation_period must be {MIN_ROTATION_PERIOD} seconds or more")
