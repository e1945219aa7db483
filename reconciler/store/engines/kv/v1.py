"""The unversioned K/V secrets engine (KV v1, Vault's `kv` / `generic` passthrough).

Storage layout: each key's value lives at `<key>` in the mount's view as
`{"v": 1, "data": {...}}`; listing the view is listing the keys.
"""

from __future__ import annotations

from typing import Any

from reconciler.store.engines.kv.keys import validate_key, validate_prefix
from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Backend, FieldData, PathSpec
from reconciler.store.logical import Operation, Request, Response, Secret
from reconciler.vocabulary.durations import parse_duration

FORMAT_VERSION = 1


class KVv1Backend(Backend):
    """KV v1: one free-form JSON object per key; a write replaces it whole.

    Reads report a lease duration (the mount's default TTL, or a `ttl`/`lease` key in the
    data) but the secret is not renewable and carries no lease: the core must not register
    a lease for `kv` mounts, as Vault's core does not.
    """

    type_name = "kv"

    def paths(self) -> list[PathSpec]:
        """One catch-all path: the whole mount is the key space."""
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
                description="Read, write, delete and list unversioned secrets.",
            )
        ]

    def _load(self, key: str) -> dict[str, Any] | None:
        doc = self.storage.get_json(key)
        return None if doc is None else dict(doc["data"])

    def key_exists(self, req: Request, data: FieldData) -> bool:
        """True when the key holds a value (so a write is `update`, not `create`)."""
        key = data.params.get("path", "")
        return bool(key) and self._load(validate_key(key)) is not None

    def read(self, req: Request, data: FieldData) -> Response:
        """GET <key>: the stored object, with the lease duration Vault reports."""
        key = data.params.get("path", "")
        value = self._load(validate_key(key)) if key else None
        if value is None:
            raise NotFound()
        ttl = self._ttl(value)
        return Response(
            data=value, secret=Secret(ttl=ttl, max_ttl=ttl, renewable=False, informational=True)
        )

    def _ttl(self, value: dict[str, Any]) -> int:
        """`ttl` (or legacy `lease`) from the data when it parses, else the mount default."""
        raw = value.get("ttl", value.get("lease"))
        if raw is not None:
            try:
                return parse_duration(raw)
            except ValueError:
                pass  # an unparsable ttl is just data, as in Vault
        return self.ctx.system.default_lease_ttl()

    def write(self, req: Request, data: FieldData) -> None:
        """POST/PUT <key>: replace the whole value with the request body."""
        key = validate_key(data.params.get("path", "") or "")
        if not req.data:
            raise BadRequest("missing data fields")
        self.storage.put_json(key, {"v": FORMAT_VERSION, "data": dict(req.data)})

    def delete(self, req: Request, data: FieldData) -> None:
        """DELETE <key>: remove it (no error when missing)."""
        key = data.params.get("path", "")
        if key:
            self.storage.delete(validate_key(key))

    def list(self, req: Request, data: FieldData) -> Response:
        """LIST <prefix>: immediate children, folders ending with "/"."""
        prefix = validate_prefix(data.params.get("path", ""))
        keys = self.storage.list(prefix)
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})
