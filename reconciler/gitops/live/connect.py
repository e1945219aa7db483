"""Log in to a target as `sealkeep.yaml` says: a token, an AppRole or a JWT."""

from __future__ import annotations

from collections.abc import Mapping

import hvac

from reconciler.client.connection import connect
from reconciler.gitops.manifests import Target
from reconciler.vocabulary.errors import SealkeepError


class TargetAuthError(SealkeepError):
    """The target's login settings cannot be satisfied (a variable is missing)."""


def _env(environ: Mapping[str, str], name: str | None, what: str) -> str:
    value = environ.get(name or "")
    if not value:
        raise TargetAuthError(f"{what}: set the environment variable {name or '(not configured)'}")
    return value


def connect_target(target: Target, environ: Mapping[str, str]) -> hvac.Client:
    """A logged-in client for `target`; VAULT_TOKEN, when set, is used as is."""
    token = environ.get("VAULT_TOKEN")
    client = connect(target.address, token)
    auth = target.auth
    if token or auth.method == "token":
        return client
    if auth.method == "approle":
        role_id = _env(environ, auth.role_id_env, f"target {target.name}: AppRole role_id")
        secret_id = _env(environ, auth.secret_id_env, f"target {target.name}: AppRole secret_id")
        client.auth.approle.login(role_id, secret_id, mount_point=auth.mount or "approle")
        return client
    jwt = _env(environ, auth.jwt_env, f"target {target.name}: JWT")
    client.auth.jwt.jwt_login(auth.role or "", jwt, path=auth.mount or "jwt")
    return client
