"""A database repo for reconciler tests: a database mount, a PostgreSQL connection whose
password is a real SOPS value, a dynamic role and a static role; plus audit-log readers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.gitops.sops import CreationRule, encrypt_tree
from reconciler.gitops.sops.tree import SelectionRule
from tests.gitops.plan.repo import Repo, manifest
from tests.store.engines.database.support import PG_DB, PG_HOST, PG_PORT

PASSWORD_SELECTION = SelectionRule("encrypted_regex", "^(data|password)$")
CREATE_USER = (
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
)


def pg_connection_url(port: int = PG_PORT) -> str:
    """A templated URL, so rotate-root can change the root password."""
    auth = "{{username}}:{{password}}"
    return f"postgresql://{auth}@{PG_HOST}:{port}/{PG_DB}?sslmode=disable&connect_timeout=3"


def write_connection(
    repo: Repo,
    mount: str,
    name: str,
    username: str,
    password: str,
    allowed: Sequence[str],
    port: int = PG_PORT,
) -> Path:
    """The DatabaseConnection as a real SOPS file: only `spec.password` is encrypted."""
    spec: dict[str, Any] = {
        "mount": mount,
        "plugin_name": "postgresql-database-plugin",
        "connection_url": pg_connection_url(port),
        "username": username,
        "password": password,
        "allowed_roles": list(allowed),
        "max_open_connections": 2,
    }
    tree = manifest("DatabaseConnection", name, spec)
    rule = CreationRule(age=(repo.key.recipient,), selection=PASSWORD_SELECTION)
    out = repo.root / "manifests" / "database" / "connection.sops.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(encrypt_tree(tree, [repo.key.recipient], rule))
    return out


def write_roles(
    repo: Repo, mount: str, connection: str, role: str | None, static: str, static_user: str
) -> None:
    """The dynamic role (left out when `role` is None) and the static role."""
    docs: list[Mapping[str, Any]] = []
    if role is not None:
        spec = {"mount": mount, "db_name": connection, "creation_statements": [CREATE_USER],
                "default_ttl": "5m", "max_ttl": "1h"}  # fmt: skip
        docs.append(manifest("DatabaseRole", role, spec))
    static_spec = {"mount": mount, "db_name": connection, "username": static_user,
                   "rotation_period": "24h"}  # fmt: skip
    docs.append(manifest("DatabaseStaticRole", static, static_spec))
    repo.write("database/roles.yaml", *docs)


def audit_writes(log: Path, path: str) -> list[dict[str, Any]]:
    """The `request.data` of every update request logged for `path`, in order."""
    out = []
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        request = entry.get("request") or {}
        wanted = entry.get("type") == "request" and request.get("path") == path
        if wanted and request.get("operation") in ("update", "create"):
            out.append(dict(request.get("data") or {}))
    return out
