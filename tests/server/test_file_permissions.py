"""Files the server creates are 0600, and it refuses to start on a database others can write."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from tests.support.servers import REPO_ROOT, free_port, init_and_unseal, start_server


def _config(tmp_path: Path, port: int) -> Path:
    config = tmp_path / "server.hcl"
    config.write_text(
        f'storage "sqlite" {{\n  path = "{tmp_path / "data" / "store.db"}"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
        f'pid_file = "{tmp_path / "sealkeep.pid"}"\n'
    )
    return config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_wal_audit_log_and_pid_file_are_private(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    port = free_port()
    server = start_server(["--config", str(_config(tmp_path, port))], tmp_path / "log", port)
    try:
        init_and_unseal(server)
        client = server.client()
        audit_log = tmp_path / "audit.log"
        client.sys.enable_audit_device("file", options={"file_path": str(audit_log)})
        client.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
        client.secrets.kv.v2.create_or_update_secret("perm/app", secret={"k": "v"})
        pid_file = tmp_path / "sealkeep.pid"
        assert pid_file.read_text().strip() == str(server.process.pid)
        data = tmp_path / "data"
        created = [data / "store.db", data / "store.db-wal", data / "store.db-shm"]
        for path in [*created, audit_log, pid_file]:
            assert _mode(path) == 0o600, f"{path.name} is {_mode(path):04o}"
    finally:
        server.stop()
    assert not (tmp_path / "sealkeep.pid").exists()  # removed on a clean shutdown


def test_the_server_refuses_a_database_other_users_can_write(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "store.db"
    db.write_bytes(b"")
    db.chmod(0o666)
    config = _config(tmp_path, free_port())
    result = subprocess.run(
        [sys.executable, "-m", "reconciler.cli.main", "server", "--config", str(config)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "other users can write" in result.stderr
    assert f"chmod 600 {db}" in result.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o666
