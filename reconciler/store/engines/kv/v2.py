"""The versioned K/V secrets engine (KV v2), as Vault's `kv` with `version=2`."""

from __future__ import annotations

from reconciler.store.engines.kv.v2_common import Clock, invalid_path, root_warning
from reconciler.store.engines.kv.v2_data import DataPaths
from reconciler.store.engines.kv.v2_lifecycle import LifecyclePaths
from reconciler.store.engines.kv.v2_metadata import MetadataPaths
from reconciler.store.framework import Backend, FieldData, MountContext, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.timefmt import now

_ALL_OPERATIONS = tuple(Operation)


def _root(req: Request, data: FieldData) -> Response:
    if req.operation is Operation.LIST:
        return invalid_path(req)
    return root_warning()


def _invalid(req: Request, data: FieldData) -> Response:
    return invalid_path(req)


class KVv2Backend(Backend):
    """KV v2: versioned secrets with metadata, check-and-set and soft delete.

    Paths, relative to the mount: `config`, `data/<key>`, `metadata/<key>`,
    `delete/<key>`, `undelete/<key>`, `destroy/<key>`, `subkeys/<key>`. Anything else
    answers 404 with Vault's "Invalid path for a versioned K/V secrets engine" warning.
    `clock` returns unix seconds; tests pass their own to move time forward.
    """

    type_name = "kv"

    def __init__(self, ctx: MountContext, clock: Clock = now) -> None:
        self.clock = clock
        super().__init__(ctx)

    def paths(self) -> list[PathSpec]:
        """Data, life cycle and metadata paths, then the catch-all invalid paths."""
        parts = (DataPaths, LifecyclePaths, MetadataPaths)
        specs = [spec for part in parts for spec in part(self.storage, self._now).specs()]
        specs.append(
            PathSpec(
                pattern=r"(?:data|delete|undelete|destroy|subkeys)?/?",
                operations=dict.fromkeys(_ALL_OPERATIONS, _root),
                any_fields=True,
                description="The mount root and bare API prefixes.",
            )
        )
        specs.append(
            PathSpec(
                pattern=r".*",
                operations=dict.fromkeys(_ALL_OPERATIONS, _invalid),
                any_fields=True,
                description="Anything else: not a versioned K/V endpoint.",
            )
        )
        return specs

    def _now(self) -> float:
        # Looked up on each call so a clock swapped after construction still applies.
        return self.clock()
