"""SK004: a KV secret holding a database password where a dynamic database role could serve.

A Secret is flagged when a DatabaseConnection is declared and the secret either has a key that
names a database password (`db_password`, `pg_password`...) or has a password-like key and its
name or path mentions a declared connection or the database it connects to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from reconciler.gitops.lint.context import LintContext
from reconciler.gitops.lint.model import Finding
from reconciler.gitops.manifests import DatabaseConnection, DatabaseRole, Secret

_DB_PASSWORD_KEY = re.compile(
    r"^(db|database|pg|postgres|postgresql|psql|mysql|mariadb|sql)[_-]?(pass|password|passwd|pwd)$",
    re.IGNORECASE,
)
_PASSWORD_KEY = re.compile(r"(^|[_-])(pass|password|passwd|pwd)$", re.IGNORECASE)
_WORDS = re.compile(r"[a-z0-9]+")


def _database_names(connection: DatabaseConnection) -> set[str]:
    """The connection's name and the database named in its URL (`.../payments` -> payments)."""
    names = {connection.name.lower()}
    url = connection.connection_url.replace("{{username}}", "u").replace("{{password}}", "p")
    try:
        database = urlsplit(url).path.strip("/").split("?")[0]
    except ValueError:
        database = ""
    if database:
        names.add(database.lower())
    return names


def _mentions(secret: Secret, names: set[str]) -> bool:
    text = f"{secret.name} {secret.path}".lower()
    words = set(_WORDS.findall(text))
    # One-word names match whole words only, so `db` does not match `feedback`.
    return any(name in words if name.isalnum() else name in text for name in names)


def _roles_for(ctx: LintContext, connections: list[DatabaseConnection]) -> list[str]:
    wanted = {c.name for c in connections}
    return [r.name for r in ctx.of_kind(DatabaseRole) if r.db_name in wanted]


def check_kv_database_passwords(ctx: LintContext) -> Iterator[Finding]:
    """Flag each password key of a Secret that a declared database connection could replace."""
    connections = ctx.of_kind(DatabaseConnection)
    if not connections:
        return
    names = set().union(*(_database_names(c) for c in connections))
    roles = _roles_for(ctx, connections)
    hint = f" (e.g. database/creds/{roles[0]})" if roles else ""
    for secret in ctx.of_kind(Secret):
        mentioned = _mentions(secret, names)
        for key in secret.data:
            if _DB_PASSWORD_KEY.match(key) or (mentioned and _PASSWORD_KEY.search(key)):
                span = ctx.locator.at(secret, ("spec", "data", key), at_key=True)
                message = (
                    f"spec.data.{key} looks like a static database password; a DatabaseRole "
                    f"issues short-lived logins instead{hint}"
                )
                yield Finding.at(span, "SK004", message, f"Secret/{secret.name}")
