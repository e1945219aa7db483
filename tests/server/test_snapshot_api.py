"""Snapshots through hvac and the `bao` CLI: save while serving, restore to that point,
restore into a fresh server on another backend and unseal it with the original shares;
damaged files, other clusters and callers without sudo change nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import hvac
import hvac.exceptions
import pytest

from tests.support.openbao import bao_binary
from tests.support.servers import ServerProcess, init_and_unseal, start_with_config


def _server(tmp_path: Path, storage_hcl: str, name: str) -> ServerProcess:
    return start_with_config(tmp_path, storage_hcl, name)


def _sqlite(path: Path) -> str:
    return f'storage "sqlite" {{\n  path = "{path}"\n}}\n'


def _read(client: hvac.Client, path: str) -> dict[str, str] | None:
    try:
        secret = client.secrets.kv.v2.read_secret_version(
            path, mount_point="kv", raise_on_deleted_version=True
        )
    except hvac.exceptions.InvalidPath:
        return None
    return dict(secret["data"]["data"])


@pytest.fixture
def store(tmp_path: Path) -> tuple[ServerProcess, list[str]]:
    server = _server(tmp_path, _sqlite(tmp_path / "a.db"), "a")
    keys = init_and_unseal(server)
    client = server.client()
    client.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    for name in ("one", "two"):
        client.secrets.kv.v2.create_or_update_secret(name, {"v": name}, mount_point="kv")
    yield server, keys
    server.stop()


def test_restore_brings_back_the_saved_point(store: tuple[ServerProcess, list[str]]) -> None:
    server, keys = store
    client = server.client()
    snapshot = client.sys.take_raft_snapshot().content
    client.secrets.kv.v2.create_or_update_secret("three", {"v": "later"}, mount_point="kv")
    client.secrets.kv.v2.delete_metadata_and_all_versions("one", mount_point="kv")

    answer = client.sys.restore_raft_snapshot(snapshot)
    assert answer.status_code == 204
    assert client.sys.read_seal_status()["sealed"] is True  # restored state waits for its keys
    client.sys.submit_unseal_keys(keys[:2])
    assert _read(client, "one") == {"v": "one"}
    assert _read(client, "three") is None


def test_restore_into_a_fresh_server_on_postgresql(
    tmp_path: Path, store: tuple[ServerProcess, list[str]], postgres_storage_options: dict[str, str]
) -> None:
    source, keys = store
    snapshot = source.client().sys.take_raft_snapshot().content
    fresh = _server(
        tmp_path,
        f'storage "postgresql" {{\n  connection_url = "{postgres_storage_options["connection_url"]}"\n'
        f'  table = "{postgres_storage_options["table"]}"\n}}\n',
        "fresh",
    )
    init_and_unseal(fresh)
    client = fresh.client()
    with pytest.raises(hvac.exceptions.InvalidRequest, match="taken by another store"):
        client.sys.restore_raft_snapshot(snapshot).raise_for_status()
    assert client.sys.read_seal_status()["sealed"] is False  # refused: nothing changed

    assert client.sys.force_restore_raft_snapshot(snapshot).status_code == 204
    client.sys.submit_unseal_keys(keys[:2])  # the original store's shares open it
    restored = hvac.Client(url=fresh.url, token=source.root_token)
    assert _read(restored, "two") == {"v": "two"}
    fresh.stop()


def test_damaged_snapshot_and_missing_sudo_change_nothing(
    store: tuple[ServerProcess, list[str]],
) -> None:
    server, _ = store
    client = server.client()
    snapshot = bytearray(client.sys.take_raft_snapshot().content)
    snapshot[len(snapshot) // 2] ^= 0xFF
    response = client.adapter.post(
        "/v1/sys/storage/raft/snapshot", data=bytes(snapshot), raise_exception=False
    )
    assert response.status_code == 400
    assert client.sys.read_seal_status()["sealed"] is False
    assert _read(client, "one") == {"v": "one"}

    client.sys.create_or_update_policy(
        "no-sudo", 'path "sys/storage/*" { capabilities = ["read", "update"] }'
    )
    token = client.auth.token.create(policies=["no-sudo"])["auth"]["client_token"]
    weak = server.client(token)
    with pytest.raises(hvac.exceptions.Forbidden):
        weak.sys.take_raft_snapshot().raise_for_status()


def test_bao_cli_saves_and_restores(tmp_path: Path, store: tuple[ServerProcess, list[str]]) -> None:
    server, keys = store
    env = {"BAO_ADDR": server.url, "BAO_TOKEN": server.root_token, "PATH": "/usr/bin:/bin"}
    file = tmp_path / "backup.snap"
    saved = subprocess.run(
        [bao_binary(), "operator", "raft", "snapshot", "save", str(file)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert saved.returncode == 0, saved.stderr
    assert file.stat().st_size > 0
    server.client().secrets.kv.v2.create_or_update_secret("one", {"v": "changed"}, mount_point="kv")
    restored = subprocess.run(
        [bao_binary(), "operator", "raft", "snapshot", "restore", str(file)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert restored.returncode == 0, restored.stderr
    server.client().sys.submit_unseal_keys(keys[:2])
    assert _read(server.client(), "one") == {"v": "one"}


def test_sealkeep_cli_saves_and_restores(
    tmp_path: Path, store: tuple[ServerProcess, list[str]]
) -> None:
    import os
    import sys

    from tests.support.servers import REPO_ROOT

    server, keys = store
    env = {**os.environ, "VAULT_ADDR": server.url, "VAULT_TOKEN": server.root_token}
    file = tmp_path / "backup.snap"

    def sealkeep(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "reconciler.cli.main", "operator", "snapshot", *args]
        return subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True)

    saved = sealkeep("save", str(file))
    assert saved.returncode == 0, saved.stderr
    assert file.stat().st_mode & 0o777 == 0o600
    server.client().secrets.kv.v2.create_or_update_secret("two", {"v": "changed"}, mount_point="kv")
    restored = sealkeep("restore", str(file))
    assert restored.returncode == 0, restored.stderr
    assert "sealed" in restored.stdout
    server.client().sys.submit_unseal_keys(keys[:2])
    assert _read(server.client(), "two") == {"v": "two"}
