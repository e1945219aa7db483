"""Scheduled snapshots: the server writes one every interval into the configured folder, keeps
the newest `retain`, privately, and a saved file restores; a bad block names the setting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.servers import free_port, init_and_unseal, refused_config, start_server


def _config(tmp_path: Path, port: int, snapshot: str) -> Path:
    config = tmp_path / "server.hcl"
    config.write_text(
        f'storage "sqlite" {{\n  path = "{tmp_path / "store.db"}"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n' + snapshot
    )
    return config


def test_snapshots_are_written_and_pruned(tmp_path: Path) -> None:
    port = free_port()
    folder = tmp_path / "backups"
    block = f'snapshot {{\n  interval = "1s"\n  path = "{folder}"\n  retain = 2\n}}\n'
    server = start_server(
        ["--config", str(_config(tmp_path, port, block))], tmp_path / "s.log", port
    )
    keys = init_and_unseal(server)
    client = server.client()
    client.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    client.secrets.kv.v2.create_or_update_secret("app", {"v": "1"}, mount_point="kv")
    deadline = time.monotonic() + 60
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = sorted(folder.glob("sealkeep-snapshot-*.snap")) if folder.exists() else []
        if len(files) >= 2:
            time.sleep(2.5)  # at least one more interval: the oldest must be pruned by now
            files = sorted(folder.glob("sealkeep-snapshot-*.snap"))
            break
        time.sleep(0.2)
    assert len(files) == 2, server.log()
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert not list(folder.glob("*.partial"))

    client.secrets.kv.v2.create_or_update_secret("app", {"v": "2"}, mount_point="kv")
    latest = files[-1]
    assert client.sys.restore_raft_snapshot(latest.read_bytes()).status_code == 204
    client.sys.submit_unseal_keys(keys[:2])
    value = client.secrets.kv.v2.read_secret_version(
        "app", mount_point="kv", raise_on_deleted_version=True
    )
    assert value["data"]["data"]["v"] in {"1", "2"}  # the scheduled copy holds a whole version
    server.stop()


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ('snapshot {\n  interval = "1h"\n}\n', "interval and path are both required"),
        ('snapshot {\n  interval = "soon"\n  path = "/tmp/x"\n}\n', "snapshot"),
        ('snapshot {\n  interval = "1h"\n  path = "/tmp/x"\n  keep = 3\n}\n', "keep"),
    ],
)
def test_a_bad_snapshot_block_names_the_setting(tmp_path: Path, block: str, message: str) -> None:
    config = _config(tmp_path, free_port(), block)
    stderr = refused_config(config)
    assert str(config) in stderr and message in stderr
