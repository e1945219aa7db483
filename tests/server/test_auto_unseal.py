"""Auto-unseal: a transit seal on a real OpenBao and a static key file unseal the store at
every start with no key shares; recovery shares make root tokens; a store moves from Shamir
shares to the transit seal and back with `unseal -migrate`, keeping every secret."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.openbao import OpenBao, bao_binary
from tests.support.servers import (
    ServerProcess,
    free_port,
    init_and_unseal,
    refused_config,
    start_server,
)


def _transit_seal(openbao: OpenBao, mount: str) -> str:
    """A transit key on OpenBao and a token that may only use it; the seal block for it."""
    bao = openbao.client()
    bao.sys.enable_secrets_engine("transit", path=mount)
    bao.secrets.transit.create_key("autounseal", mount_point=mount)
    policy = (
        f'path "{mount}/encrypt/autounseal" {{ capabilities = ["update"] }}\n'
        f'path "{mount}/decrypt/autounseal" {{ capabilities = ["update"] }}\n'
    )
    bao.sys.create_or_update_policy(f"{mount}-seal", policy)
    token = bao.auth.token.create(policies=[f"{mount}-seal"], period="24h")["auth"]["client_token"]
    return (
        f'seal "transit" {{\n  address = "{openbao.url}"\n  token = "{token}"\n'
        f'  key_name = "autounseal"\n  mount_path = "{mount}/"\nEXTRA}}\n'
    )


def _start(tmp_path: Path, port: int, seal: str = "") -> ServerProcess:
    config = tmp_path / f"server-{time.monotonic_ns()}.hcl"
    config.write_text(
        f'storage "sqlite" {{\n  path = "{tmp_path / "store.db"}"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n' + seal
    )
    return start_server(["--config", str(config)], tmp_path / "server.log", port)


def _wait_unsealed(server: ServerProcess) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = server.client("").sys.read_seal_status()
        if not status["sealed"]:
            return dict(status)
        time.sleep(0.1)
    pytest.fail(f"the server did not unseal itself:\n{server.log()}")


def _kv_write(server: ServerProcess, value: str) -> None:
    client = server.client()
    if "kv/" not in client.sys.list_mounted_secrets_engines()["data"]:
        client.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    client.secrets.kv.v2.create_or_update_secret("app", {"v": value}, mount_point="kv")


def _kv_read(server: ServerProcess) -> object:
    secret = server.client().secrets.kv.v2.read_secret_version(
        "app", mount_point="kv", raise_on_deleted_version=True
    )
    return secret["data"]["data"]["v"]


def test_transit_auto_unseal_survives_kill_9(tmp_path: Path, openbao: OpenBao, unique: str) -> None:
    seal = _transit_seal(openbao, unique).replace("EXTRA", "")
    port = free_port()
    server = _start(tmp_path, port, seal)
    init = server.client("").sys.initialize(recovery_shares=3, recovery_threshold=2)
    assert init["keys"] == [] and len(init["recovery_keys"]) == 3
    server.root_token = init["root_token"]
    status = _wait_unsealed(server)
    assert status["type"] == "transit" and status["recovery_seal"] is True and status["t"] == 2
    _kv_write(server, "kept")
    server.stop(signal.SIGKILL)

    again = _start(tmp_path, port, seal)
    again.root_token = init["root_token"]
    _wait_unsealed(again)  # no shares given: the transit seal unseals it
    assert _kv_read(again) == "kept"

    # Recovery shares, not unseal keys, prove a quorum for a new root token.
    client = again.client("")
    otp = "C" * 28
    started = client.sys.start_root_token_generation(otp=otp)
    client.sys.generate_root(init["recovery_keys"][0], started["nonce"])
    final = client.sys.generate_root(init["recovery_keys"][1], started["nonce"])
    assert final["complete"] is True
    again.stop()


def test_static_seal_unseals_from_a_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "seal.key"
    key_file.write_bytes(secrets.token_bytes(32))
    seal = f'seal "static" {{\n  current_key_id = "k1"\n  current_key = "file://{key_file}"\n}}\n'
    port = free_port()
    server = _start(tmp_path, port, seal)
    init = server.client("").sys.initialize(recovery_shares=1, recovery_threshold=1)
    server.root_token = init["root_token"]
    _wait_unsealed(server)
    _kv_write(server, "static")
    server.stop()
    again = _start(tmp_path, port, seal)
    again.root_token = init["root_token"]
    assert _wait_unsealed(again)["type"] == "static"
    assert _kv_read(again) == "static"
    again.stop()


def test_migrate_from_shares_to_transit_and_back(
    tmp_path: Path, openbao: OpenBao, unique: str
) -> None:
    port = free_port()
    server = _start(tmp_path, port)
    keys = init_and_unseal(server, shares=3, threshold=2)
    root = server.root_token
    _kv_write(server, "migrated")
    server.stop()
    seal = _transit_seal(openbao, unique)
    env = {**os.environ, "BAO_ADDR": f"http://127.0.0.1:{port}", "BAO_TOKEN": root}

    def bao_unseal_migrate(key: str) -> None:
        run = subprocess.run(
            [bao_binary(), "operator", "unseal", "-migrate", key],
            env=env,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr

    # Shamir -> transit: the unseal shares, given with -migrate, become the recovery shares.
    to_transit = _start(tmp_path, port, seal.replace("EXTRA", ""))
    status = to_transit.client("").sys.read_seal_status()
    assert status["sealed"] is True and status["migration"] is True
    for key in keys[:2]:
        bao_unseal_migrate(key)
    to_transit.root_token = root
    assert _wait_unsealed(to_transit)["type"] == "transit"
    assert _kv_read(to_transit) == "migrated"
    to_transit.stop()
    on_transit = _start(tmp_path, port, seal.replace("EXTRA", ""))
    on_transit.root_token = root
    _wait_unsealed(on_transit)
    on_transit.stop()

    # Transit -> Shamir: the recovery shares (the old ones) become unseal shares again.
    back = _start(tmp_path, port, seal.replace("EXTRA", '  disabled = "true"\n'))
    assert back.client("").sys.read_seal_status()["migration"] is True
    for key in keys[1:3]:
        bao_unseal_migrate(key)
    back.root_token = root
    assert _wait_unsealed(back)["type"] == "shamir"
    back.stop()
    plain = _start(tmp_path, port)
    assert plain.client("").sys.read_seal_status()["sealed"] is True
    plain.client("").sys.submit_unseal_keys([keys[0], keys[2]])
    plain.root_token = root
    assert _kv_read(plain) == "migrated"
    plain.stop()


def test_a_bad_seal_block_names_the_setting(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "bad.hcl"
    config.write_text(
        f'storage "sqlite" {{\n  path = "{tmp_path / "s.db"}"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
        'seal "transit" {\n  key_name = "x"\n}\n'
    )
    stderr = refused_config(config)
    assert str(config) in stderr and "address" in stderr
