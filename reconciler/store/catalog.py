"""Which backend class serves each engine or auth-method type.

Adding an engine means adding one line here; the core and the other backends never change.
Each factory is imported when first mounted, so a store without databases never loads a
database driver.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from reconciler.store.framework import Backend, MountContext

Factory = Callable[[MountContext], Backend]

SECRET_ENGINES = {
    "kv": "reconciler.store.engines.kv:create_kv_backend",
    "database": "reconciler.store.engines.database:DatabaseBackend",
    "transit": "reconciler.store.engines.transit:TransitBackend",
}
AUTH_METHODS = {
    "approle": "reconciler.store.auth.approle:AppRoleBackend",
    "aws": "reconciler.store.auth.aws:AwsBackend",
    "jwt": "reconciler.store.auth.jwt:JWTBackend",
    "oidc": "reconciler.store.auth.jwt:JWTBackend",
    "kubernetes": "reconciler.store.auth.kubernetes:KubernetesBackend",
    "userpass": "reconciler.store.auth.userpass:UserpassBackend",
}


def factory_for(kind: str, mount_class: str) -> Factory | None:
    """The factory for an engine or auth-method type, or None if there is none."""
    table = AUTH_METHODS if mount_class == "auth" else SECRET_ENGINES
    target = table.get(kind)
    if target is None:
        return None
    module_name, attribute = target.split(":")
    factory: Factory = getattr(importlib.import_module(module_name), attribute)
    return factory
