"""A server on the machine's PostgreSQL (Vault's `storage "postgresql"` config): initialise,
write through hvac, kill -9, start again, unseal with the same shares, read everything back."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.support.servers import ServerProcess, free_port, init_and_unseal, start_server


def _start(tmp_path: Path, options: dict[str, str], port: int) -> ServerProcess:
    config = tmp_path / "server.hcl"
    config.write_text(
        'storage "postgresql" {\n'
        f'  connection_url = "{options["connection_url"]}"\n'
        f'  table          = "{options["table"]}"\n'
        "}\n"
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
    )
    return start_server(["--config", str(config)], tmp_path / f"pg-{port}.log", port)


def test_acknowledged_writes_survive_kill_9(
    tmp_path: Path, postgres_storage_options: dict[str, str]
) -> None:
    port = free_port()
    server = _start(tmp_path, postgres_storage_options, port)
    keys = init_and_unseal(server)
    root = server.root_token
    client = server.client()
    client.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    for n in range(20):
        client.secrets.kv.v2.create_or_update_secret(
            f"app/{n}", {"n": str(n)}, mount_point="secret"
        )
    server.stop(signal.SIGKILL)

    again = _start(tmp_path, postgres_storage_options, port)
    assert again.client().sys.read_seal_status()["sealed"] is True
    again.client().sys.submit_unseal_keys(keys[:2])
    again.root_token = root
    reader = again.client()
    listed = reader.secrets.kv.v2.list_secrets("app", mount_point="secret")["data"]["keys"]
    assert len(listed) == 20
    value = reader.secrets.kv.v2.read_secret_version(
        "app/7", mount_point="secret", raise_on_deleted_version=True
    )
    assert value["data"]["data"] == {"n": "7"}
    again.stop()
