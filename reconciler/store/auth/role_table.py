"""The role table shared by auth methods whose roles are plain records (JWT, Kubernetes).

Roles are stored as JSON under `role/<lower-cased name>`; this module gives the lookup, the
LIST/READ/DELETE handlers and the two path specs, so a method writes only its role fields,
its write handler and its login.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from reconciler.store.errors import NotFound
from reconciler.store.framework import Field, FieldData, Handler, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.view import StorageView

ROLE_NAME = r"(?P<name>\w(?:[\w.-]*\w)?)"


class RoleRecord(Protocol):
    """What a stored role must offer: its read-response shape."""

    def render(self) -> dict[str, Any]:
        """The role as a read returns it."""
        ...


R = TypeVar("R", bound=RoleRecord)


class RoleTable(Generic[R]):
    """Roles of one mount: `get`, and the LIST/READ/DELETE handlers."""

    def __init__(self, storage: StorageView, decode: Callable[[dict[str, Any]], R]) -> None:
        self.storage = storage
        self.decode = decode

    def get(self, name: str) -> R | None:
        """The role called `name` (case-insensitive), or None (also for an invalid name)."""
        if not re.fullmatch(ROLE_NAME, name):
            return None
        doc = self.storage.get_json(f"role/{name.lower()}")
        return None if doc is None else self.decode(doc)

    def exists(self, _req: Request, data: FieldData) -> bool:
        """Existence check: create vs update for ACL."""
        return self.get(data.get("name")) is not None

    def list(self, _req: Request, _data: FieldData) -> Response:
        """LIST role/: the role names; 404 when there are none."""
        names = [key for key in self.storage.list("role/") if not key.endswith("/")]
        if not names:
            raise NotFound()
        return Response(data={"keys": names})

    def read(self, _req: Request, data: FieldData) -> Response:
        """GET role/:name."""
        role = self.get(data.get("name"))
        if role is None:
            raise NotFound()
        return Response(data=role.render())

    def delete(self, _req: Request, data: FieldData) -> None:
        """DELETE role/:name (no error when missing)."""
        self.storage.delete(f"role/{data.get('name').lower()}")

    def paths(self, write: Handler, fields: dict[str, Field]) -> list[PathSpec]:
        """`role/` (LIST) and `role/:name` (READ, UPDATE with `write`, DELETE)."""
        return [
            PathSpec("role/?", {Operation.LIST: self.list}),
            PathSpec(
                f"role/{ROLE_NAME}",
                {Operation.READ: self.read, Operation.UPDATE: write, Operation.DELETE: self.delete},
                fields,
                existence_check=self.exists,
            ),
        ]
