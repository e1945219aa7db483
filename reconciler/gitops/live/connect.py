"""Log in to a target as `sealkeep.yaml` says: a token, an AppRole or a JWT."""

from __future__ import annotations

from collections.abc import Mapping

import hvac

from reconciler.client.connection import connect, note_token_source
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
    from_env = environ.get("VAULT_ADDR") == target.address
    client = connect(
        target.address,
        token,
        address_source="VAULT_ADDR" if from_env else f"sealkeep.yaml target {target.name!r}",
        token_source="VAULT_TOKEN",
    )
    auth = target.auth
    if token or auth.method == "token":
        return client
    if auth.method == "approle":
        role_id = _env(environ, auth.role_id_env, f"target {target.name}: AppRole role_id")
        secret_id = _env(environ, auth.secret_id_env, f"target {target.name}: AppRole secret_id")
        client.auth.approle.login(role_id, secret_id, mount_point=auth.mount or "approle")
        note_token_source(client, f"the AppRole login of target {target.name!r}")
        return client
    jwt = _env(environ, auth.jwt_env, f"target {target.name}: JWT")
    client.auth.jwt.jwt_login(auth.role or "", jwt, path=auth.mount or "jwt")
    note_token_source(client, f"the JWT login of target {target.name!r}")
    return client
