"""Pieces the KV v2 path modules share: the key parameter, 404 shapes, the clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.store.engines.kv.keys import validate_key
from reconciler.store.framework import Field, FieldData, FieldType, coerce
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.view import StorageView

Clock = Callable[[], float]

PATH_FIELD = Field(FieldType.STRING, "", "The key, relative to the mount's API prefix.")

_SUBCOMMANDS = {
    Operation.CREATE: "put",
    Operation.UPDATE: "put",
    Operation.PATCH: "patch",
    Operation.READ: "get",
    Operation.LIST: "list",
    Operation.DELETE: "delete",
}

ROOT_WARNING = "Non-listing operations on the root of a K/V v2 mount are not supported."


class V2Part:
    """Base for a group of KV v2 paths: the mount's storage view and a clock.

    The clock is injected so that time-dependent behaviour (delete_version_after) is
    testable without sleeping.
    """

    def __init__(self, storage: StorageView, clock: Clock) -> None:
        self.storage = storage
        self.clock = clock


def key_param(data: FieldData) -> str:
    """The validated `path` parameter (may be "" for the API prefix itself)."""
    key = str(data.get("path") or "")
    return validate_key(key) if key else ""


def invalid_path(req: Request) -> Response:
    """Vault's 404-with-envelope for a path a versioned K/V mount does not serve."""
    sub = _SUBCOMMANDS.get(req.operation, "get")
    return Response(
        status=404,
        warnings=[
            "Invalid path for a versioned K/V secrets engine. See the API docs for the "
            "appropriate API endpoints to use. If using the Vault CLI, use "
            f"'vault kv {sub}' for this operation."
        ],
    )


def root_warning() -> Response:
    """Vault's 404-with-envelope for a non-list operation on a bare API prefix."""
    return Response(status=404, warnings=[ROOT_WARNING])


def not_live(payload_name: str, metadata: dict[str, Any]) -> Response:
    """The 404 for a deleted or destroyed version: a full envelope, so hvac can read it."""
    return Response(status=404, data={payload_name: None, "metadata": metadata})


def cas_value(options: dict[str, Any]) -> int | None:
    """`options.cas` as an int, or None when absent (int or numeric string accepted)."""
    raw = options.get("cas")
    return None if raw is None else int(coerce("cas", FieldType.INT, raw))
