"""KV v2 version life cycle: delete/, undelete/ and destroy/ (all `update`, all 204)."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.store.engines.kv import v2_store as store
from reconciler.store.engines.kv.v2_common import PATH_FIELD, V2Part, invalid_path, key_param
from reconciler.store.engines.kv.v2_model import KeyMetadata
from reconciler.store.errors import BadRequest
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.view import StorageView

_VERSIONS_FIELD = Field(FieldType.COMMA_INTS, [], "The version numbers to act on.")

Mutation = Callable[[StorageView, str, KeyMetadata, list[int], float], None]


def _soft_delete(
    txn: StorageView, key: str, meta: KeyMetadata, numbers: list[int], now: float
) -> None:
    for number in numbers:
        vm = meta.versions.get(number)
        if vm is not None and vm.is_live(now):
            vm.deletion = now
    store.save_meta(txn, key, meta)


def _undelete(
    txn: StorageView, key: str, meta: KeyMetadata, numbers: list[int], now: float
) -> None:
    for number in numbers:
        vm = meta.versions.get(number)
        if vm is not None and not vm.destroyed:
            vm.deletion = None
    store.save_meta(txn, key, meta)


def _destroy(txn: StorageView, key: str, meta: KeyMetadata, numbers: list[int], now: float) -> None:
    store.destroy_versions(txn, key, meta, numbers)


class LifecyclePaths(V2Part):
    """Handlers for `delete/<key>`, `undelete/<key>` and `destroy/<key>`."""

    def specs(self) -> list[PathSpec]:
        """The path table entries for these endpoints."""
        table: list[tuple[str, Mutation, str, str]] = [
            ("delete", _soft_delete, "No version number provided", "Soft-delete versions."),
            ("undelete", _undelete, "No version number provided", "Restore deleted versions."),
            ("destroy", _destroy, "no version number provided", "Remove versions' data."),
        ]
        return [
            PathSpec(
                pattern=rf"{name}/(?P<path>.*)",
                operations={Operation.UPDATE: self._handler(mutation, missing)},
                fields={"path": PATH_FIELD, "versions": _VERSIONS_FIELD},
                description=description,
            )
            for name, mutation, missing, description in table
        ]

    def _handler(
        self, mutation: Mutation, missing_message: str
    ) -> Callable[[Request, FieldData], Response | None]:
        def handle(req: Request, data: FieldData) -> Response | None:
            key = key_param(data)
            if not key:
                return invalid_path(req)
            numbers: list[int] = data.get("versions")
            if not numbers:
                raise BadRequest(missing_message)
            now = self.clock()
            with self.storage.transaction() as txn:
                meta = store.load_meta(txn, key)
                if meta is not None:
                    mutation(txn, key, meta, numbers, now)
            return None

        return handle
