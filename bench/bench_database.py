"""Credential issue+revoke pairs per second through the database engine, against PostgreSQL.

Compares the engine (creds/<role> then revoke_secret, default revocation) with raw
`CREATE ROLE` + `DROP ROLE` through psycopg in the same run, and prints both rates and their
ratio. Targets: ratio >= 0.5 and >= 50 pairs/s. Needs PostgreSQL on 127.0.0.1:5432 (trust).

    python bench/bench_database.py [--pairs 300]
"""

from __future__ import annotations

import argparse
import secrets
import time
import uuid

import psycopg
from psycopg import sql

from reconciler.store.engines.database import DatabaseBackend
from reconciler.store.framework import MountContext, MountEntry, SystemView
from reconciler.store.logical import Operation, Request
from reconciler.store.storage.memory import MemoryStorage
from reconciler.store.storage.view import StorageView

DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"
CREATE = [
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
]


def make_backend(root: str, password: str) -> DatabaseBackend:
    """A database engine over memory storage with a `pg` connection and `bench` role."""
    storage = StorageView(MemoryStorage(), "logical/bench/")
    entry = MountEntry(path="database/", type="database", accessor="database_00000000",
                       uuid=str(uuid.uuid4()))  # fmt: skip
    backend = DatabaseBackend(MountContext(storage, entry, SystemView(entry, 3600, 3600)))
    url = "postgresql://{{username}}:{{password}}@127.0.0.1:5432/test"
    send(backend, "config/pg", plugin_name="postgresql-database-plugin", connection_url=url,
         username=root, password=password, allowed_roles="bench")  # fmt: skip
    send(backend, "roles/bench", db_name="pg", creation_statements=CREATE, default_ttl=600)
    return backend


def send(backend: DatabaseBackend, rel: str, **data: object) -> None:
    """One update request."""
    backend.handle(Request(Operation.UPDATE, f"database/{rel}", dict(data)), rel)


def engine_rate(backend: DatabaseBackend, pairs: int) -> float:
    """Issue and revoke `pairs` credentials; return pairs per second."""
    start = time.perf_counter()
    for _ in range(pairs):
        req = Request(Operation.READ, "database/creds/bench", display_name="bench")
        response = backend.handle(req, "creds/bench")
        assert response is not None and response.secret is not None
        backend.revoke_secret(response.secret)
    return pairs / (time.perf_counter() - start)


def raw_rate(conn: psycopg.Connection, pairs: int) -> float:
    """CREATE ROLE + DROP ROLE `pairs` times through one psycopg connection."""
    start = time.perf_counter()
    for _ in range(pairs):
        role = sql.Identifier(f"v-bench-raw-{secrets.token_hex(10)}")
        password = sql.Literal(secrets.token_urlsafe(15))
        conn.execute(sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD {}").format(role, password))
        conn.execute(sql.SQL("DROP ROLE {}").format(role))
    return pairs / (time.perf_counter() - start)


def main() -> int:
    """Run both measurements and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    args = parser.parse_args()
    root, password = f"bench_root_{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    with psycopg.connect(DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} SUPERUSER LOGIN PASSWORD {}").format(
            sql.Identifier(root), sql.Literal(password)))  # fmt: skip
        backend = make_backend(root, password)
        try:
            engine_rate(backend, 20)  # warm the pool
            raw = raw_rate(admin, args.pairs)
            engine = engine_rate(backend, args.pairs)
        finally:
            backend.cleanup()
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(root)))
    ratio = engine / raw
    print(f"raw CREATE ROLE + DROP ROLE : {raw:8.1f} pairs/s")
    print(f"engine issue + revoke       : {engine:8.1f} pairs/s")
    print(f"ratio                       : {ratio:8.2f} (target >= 0.5, engine >= 50 pairs/s)")
    return 0 if ratio >= 0.5 and engine >= 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
