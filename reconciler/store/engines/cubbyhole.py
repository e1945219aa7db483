"""The cubbyhole: a private K/V space per token, destroyed with the token (Vault's `cubbyhole/`).

Storage layout: `<token id hash>/<key>` as `{"v": 1, "data": {...}}`. The token's salted hash
is the folder, so a token only ever sees its own cubbyhole, and the core drops the folder
when the token is revoked or expires. Response wrapping keeps a wrapped response in its
wrapping token's cubbyhole (`response` and `wrapinfo`), as Vault does.
"""

from __future__ import annotations

from typing import Any

from reconciler.store.engines.kv.keys import validate_key, validate_prefix
from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Backend, FieldData, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.view import StorageView

FORMAT_VERSION = 1


class CubbyholeBackend(Backend):
    """Per-token K/V. Invariant: a request reaches only the folder of its own token."""

    type_name = "cubbyhole"

    def paths(self) -> list[PathSpec]:
        """One catch-all path, as KV v1 (no lease durations)."""
        return [
            PathSpec(
                pattern=r"(?P<path>.*)",
                operations={
                    Operation.READ: self.read,
                    Operation.UPDATE: self.write,
                    Operation.DELETE: self.delete,
                    Operation.LIST: self.list,
                },
                existence_check=self.key_exists,
                any_fields=True,
                description="Read, write, delete and list secrets private to the token.",
            )
        ]

    # -- per-token storage (also used by response wrapping) -------------------------------

    def view_for(self, id_hash: str) -> StorageView:
        """The cubbyhole folder of the token stored under `id_hash`."""
        if not id_hash:
            raise BadRequest("client token empty")
        return self.storage.sub(f"{id_hash}/")

    def put_for(self, id_hash: str, key: str, data: dict[str, Any]) -> None:
        """Store `data` at `key` in a token's cubbyhole."""
        self.view_for(id_hash).put_json(key, {"v": FORMAT_VERSION, "data": data})

    def get_for(self, id_hash: str, key: str) -> dict[str, Any] | None:
        """The object at `key` in a token's cubbyhole, or None."""
        doc = self.view_for(id_hash).get_json(key)
        return None if doc is None else dict(doc["data"])

    def destroy(self, id_hash: str) -> None:
        """Drop a token's whole cubbyhole (the token was revoked or expired)."""
        if id_hash:
            self.storage.delete_all(f"{id_hash}/")

    # -- handlers --------------------------------------------------------------------------

    @staticmethod
    def _caller(req: Request) -> str:
        entry = req.token_entry
        return "" if entry is None else str(entry.id_hash)

    def key_exists(self, req: Request, data: FieldData) -> bool:
        """True when the key holds a value (so a write is `update`, not `create`)."""
        key = data.params.get("path", "")
        return bool(key) and self.get_for(self._caller(req), validate_key(key)) is not None

    def read(self, req: Request, data: FieldData) -> Response:
        """GET <key>: the stored object (no lease, as in Vault)."""
        key = data.params.get("path", "")
        value = self.get_for(self._caller(req), validate_key(key)) if key else None
        if value is None:
            raise NotFound()
        return Response(data=value)

    def write(self, req: Request, data: FieldData) -> None:
        """POST/PUT <key>: replace the whole value with the request body."""
        key = data.params.get("path", "")
        if not key:
            raise BadRequest("missing path")
        if not req.data:
            raise BadRequest("missing data fields")
        self.put_for(self._caller(req), validate_key(key), dict(req.data))

    def delete(self, req: Request, data: FieldData) -> None:
        """DELETE <key>: remove it (no error when missing)."""
        key = data.params.get("path", "")
        if key:
            self.view_for(self._caller(req)).delete(validate_key(key))

    def list(self, req: Request, data: FieldData) -> Response:
        """LIST <prefix>: immediate children of the token's own folder."""
        prefix = validate_prefix(data.params.get("path", ""))
        keys = self.view_for(self._caller(req)).list(prefix)
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})
