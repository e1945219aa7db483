"""The auth methods the core can mount, by type name (`sys/auth/:path` `type`)."""

from __future__ import annotations

from reconciler.store.auth.approle import AppRoleBackend
from reconciler.store.auth.jwt import JWTBackend, OIDCBackend
from reconciler.store.auth.kubernetes import KubernetesBackend
from reconciler.store.auth.userpass import UserpassBackend
from reconciler.store.framework import Backend

AUTH_BACKENDS: dict[str, type[Backend]] = {
    backend.type_name: backend
    for backend in (AppRoleBackend, JWTBackend, OIDCBackend, KubernetesBackend, UserpassBackend)
}

__all__ = ["AUTH_BACKENDS"]
