"""The K/V secrets engines: KV v1 (unversioned) and KV v2 (versioned), both type `kv`."""

from __future__ import annotations

from reconciler.store.engines.kv.v1 import KVv1Backend
from reconciler.store.engines.kv.v2 import KVv2Backend
from reconciler.store.framework import Backend, MountContext

__all__ = ["KVv1Backend", "KVv2Backend", "create_kv_backend"]


def create_kv_backend(ctx: MountContext) -> Backend:
    """The engine for a `kv` mount: v2 when the mount's `version` option is "2", else v1."""
    if str(ctx.mount.options.get("version", "")).strip() == "2":
        return KVv2Backend(ctx)
    return KVv1Backend(ctx)
