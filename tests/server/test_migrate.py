"""`sealkeep operator migrate`: SQLite -> PostgreSQL -> SQLite offline, verified, and the same
unseal keys open every copy; a destination with data, or a broken config, changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hvac

from tests.support.servers import (
    REPO_ROOT,
    ServerProcess,
    init_and_unseal,
    start_with_config,
)


def _server(tmp_path: Path, storage_hcl: str, name: str) -> ServerProcess:
    return start_with_config(tmp_path, storage_hcl, name)


def _sqlite(path: Path) -> str:
    return f'storage "sqlite" {{\n  path = "{path}"\n}}\n'


def _postgresql(options: dict[str, str]) -> str:
    return (
        f'storage "postgresql" {{\n  connection_url = "{options["connection_url"]}"\n'
        f'  table = "{options["table"]}"\n}}\n'
    )


def _migrate(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler.cli.main",
            "operator",
            "migrate",
            f"-config={config}",
            *extra,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )


def _unseal(server: ServerProcess, keys: list[str], root: str) -> hvac.Client:
    server.client("").sys.submit_unseal_keys(keys[:2])
    server.root_token = root
    return server.client()


def test_sqlite_to_postgresql_and_back(
    tmp_path: Path, postgres_storage_options: dict[str, str]
) -> None:
    first = _server(tmp_path, _sqlite(tmp_path / "a.db"), "a")
    keys = init_and_unseal(first)
    root = first.root_token
    client = first.client()
    client.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    for n in range(30):
        client.secrets.kv.v2.create_or_update_secret(
            f"team/{n}", {"v": f"value-{n}"}, mount_point="secret"
        )
    client.sys.create_or_update_policy("reader", 'path "secret/*" { capabilities = ["read"] }')
    first.stop()

    to_pg = tmp_path / "to-pg.hcl"
    to_pg.write_text(
        _sqlite(tmp_path / "a.db").replace("storage ", "storage_source ")
        + _postgresql(postgres_storage_options).replace("storage ", "storage_destination ")
    )
    result = _migrate(to_pg)
    assert result.returncode == 0, result.stderr
    assert "entries copied" in result.stdout and "verified" in result.stdout

    on_pg = _server(tmp_path, _postgresql(postgres_storage_options), "pg")
    pg_client = _unseal(on_pg, keys, root)
    read = pg_client.secrets.kv.v2.read_secret_version(
        "team/29", mount_point="secret", raise_on_deleted_version=True
    )
    assert read["data"]["data"] == {"v": "value-29"}
    assert "reader" in pg_client.sys.list_policies()["data"]["policies"]
    on_pg.stop()

    back = tmp_path / "back.hcl"
    back.write_text(
        _postgresql(postgres_storage_options).replace("storage ", "storage_source ")
        + _sqlite(tmp_path / "b.db").replace("storage ", "storage_destination ")
    )
    assert _migrate(back).returncode == 0
    on_b = _server(tmp_path, _sqlite(tmp_path / "b.db"), "b")
    b_client = _unseal(on_b, keys, root)
    listed = b_client.secrets.kv.v2.list_secrets("team", mount_point="secret")["data"]["keys"]
    assert len(listed) == 30
    on_b.stop()


def test_a_destination_with_data_is_refused_and_left_alone(tmp_path: Path) -> None:
    for name in ("src", "dst"):
        server = _server(tmp_path, _sqlite(tmp_path / f"{name}.db"), name)
        init_and_unseal(server)
        server.stop()
    before = (tmp_path / "dst.db").read_bytes()
    config = tmp_path / "m.hcl"
    config.write_text(
        _sqlite(tmp_path / "src.db").replace("storage ", "storage_source ")
        + _sqlite(tmp_path / "dst.db").replace("storage ", "storage_destination ")
    )
    result = _migrate(config)
    assert result.returncode == 1
    assert "already holds data" in result.stderr and "--force" in result.stderr
    assert (tmp_path / "dst.db").read_bytes() == before


def test_a_config_without_a_destination_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "half.hcl"
    config.write_text(_sqlite(tmp_path / "x.db").replace("storage ", "storage_source "))
    result = _migrate(config)
    assert result.returncode == 1
    assert str(config) in result.stderr and "storage_destination" in result.stderr
    assert not (tmp_path / "x.db").exists()
