"""PostgreSQL storage beyond the conformance suite: Vault's table layout, a dropped connection
is reopened for single statements, and a transaction cut in the middle writes nothing."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from reconciler.store.errors import Unavailable
from reconciler.store.storage.factory import open_storage
from reconciler.store.storage.postgresql import PostgresStorage, split_key


def _kill_backend(admin: psycopg.Connection, storage: PostgresStorage) -> None:
    pid = storage._conn.info.backend_pid
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_keys_are_split_as_vaults_backend_splits_them() -> None:
    assert split_key("core/mounts") == ("/", "/core/", "mounts")
    assert split_key("logical/abc/secret/x") == ("/logical/abc/", "/logical/abc/secret/", "x")
    assert split_key("top") == ("", "/", "top")


def test_the_table_has_vaults_columns(
    pg_admin: psycopg.Connection, postgres_storage_options: dict[str, str]
) -> None:
    storage = open_storage("postgresql", postgres_storage_options)
    storage.put("sys/token/id/abc", b"\x00\x01")
    query = sql.SQL("SELECT parent_path, path, key, value FROM {0}").format(
        sql.Identifier(postgres_storage_options["table"])
    )
    assert pg_admin.execute(query).fetchall() == [
        ("/sys/token/", "/sys/token/id/", "abc", b"\x00\x01")
    ]
    storage.close()


def test_a_dropped_connection_is_reopened(
    pg_admin: psycopg.Connection, postgres_storage_options: dict[str, str]
) -> None:
    storage = open_storage("postgresql", postgres_storage_options)
    assert isinstance(storage, PostgresStorage)
    storage.put("a", b"1")
    _kill_backend(pg_admin, storage)
    assert storage.get("a") == b"1"  # retried on a fresh connection
    storage.put("b", b"2")
    assert storage.list("") == ["a", "b"]
    storage.close()


def test_a_transaction_cut_by_a_lost_connection_writes_nothing(
    pg_admin: psycopg.Connection, postgres_storage_options: dict[str, str]
) -> None:
    storage = open_storage("postgresql", postgres_storage_options)
    assert isinstance(storage, PostgresStorage)
    with pytest.raises(Unavailable), storage.transaction() as txn:
        txn.put("half/one", b"1")
        _kill_backend(pg_admin, storage)
        txn.put("half/two", b"2")
    assert storage.list("half/") == []
    storage.put("after", b"ok")  # and the storage works again
    assert storage.get("after") == b"ok"
    storage.close()


def test_an_unreachable_server_is_unavailable_not_a_crash() -> None:
    url = "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=1"
    with pytest.raises(Unavailable, match="cannot reach PostgreSQL"):
        open_storage("postgresql", {"connection_url": url})


def test_connection_url_is_required() -> None:
    with pytest.raises(ValueError, match="connection_url"):
        open_storage("postgresql", {})
