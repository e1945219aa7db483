"""`sealkeep status` and `sealkeep operator ...` against real servers (dev, and a sealed SQLite one)."""

from __future__ import annotations

import json
from pathlib import Path

import hvac

from tests.gitops.cli.store_cli import env_for, run, run_process, unreachable_address
from tests.support.servers import ServerProcess, start_sqlite_server


def test_status_table_and_json(dev_server: ServerProcess) -> None:
    table = run(["status"], env_for(dev_server))
    assert table.code == 0, table.stderr
    assert "Sealed" in table.stdout and "false" in table.stdout
    as_json = run(["status", "-format", "json"], env_for(dev_server))
    assert json.loads(as_json.stdout)["initialized"] is True


def test_status_needs_no_token_and_takes_address_option(dev_server: ServerProcess) -> None:
    result = run(["status", "--address", dev_server.url])
    assert result.code == 0, result.stderr
    assert "Initialized" in result.stdout


def test_unreachable_server_is_a_user_error() -> None:
    result = run(["status", "-address", unreachable_address()])
    assert result.code == 1
    assert "cannot reach the server" in result.stderr


def test_address_must_be_a_url() -> None:
    result = run(["status", "-address", "ftp://example.test"])
    assert result.code == 1
    assert "not an http:// or https:// URL" in result.stderr


def test_key_status_and_forbidden_rotate(dev_server: ServerProcess, vault: hvac.Client) -> None:
    status = run(["operator", "key-status"], env_for(dev_server))
    assert status.code == 0, status.stderr
    assert "Key Term" in status.stdout
    weak = vault.auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]
    denied = run(["operator", "rotate"], env_for(dev_server, weak))
    assert denied.code == 1
    assert "permission denied" in denied.stderr and "sys/rotate" in denied.stderr


def _init(server: ServerProcess) -> dict[str, object]:
    result = run(
        ["operator", "init", "-key-shares", "3", "-key-threshold", "2", "-format", "json"],
        {"VAULT_ADDR": server.url},
    )
    assert result.code == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_init_unseal_rotate_seal_on_sqlite(tmp_path: Path) -> None:
    server = start_sqlite_server(tmp_path)
    try:
        env = {"VAULT_ADDR": server.url}
        assert "false" in run(["status"], env).stdout.split("Initialized")[1].splitlines()[0]
        answer = _init(server)
        keys, root = list(answer["keys"]), str(answer["root_token"])  # type: ignore[call-overload]
        assert len(keys) == 3
        again = run(["operator", "init"], env)
        assert again.code == 1 and "already initialized" in again.stderr.lower()
        first = run(["operator", "unseal", keys[0]], env)
        assert first.code == 0, first.stderr
        assert "Unseal Progress" in first.stdout
        second = run(["operator", "unseal"], env, stdin=keys[1] + "\n")
        assert second.code == 0, second.stderr
        assert keys[1] not in second.stdout
        env["VAULT_TOKEN"] = root
        assert json.loads(run(["status", "-format", "json"], env).stdout)["sealed"] is False
        rotated = run(["operator", "rotate", "-format", "json"], env)
        assert json.loads(rotated.stdout)["data"]["term"] == 2
        assert run(["operator", "seal"], env).code == 0
        assert json.loads(run(["status", "-format", "json"], env).stdout)["sealed"] is True
        sealed = run(["kv", "list", "secret/"], env)
        assert sealed.code in (1, 3) and "sealed" in sealed.stderr.lower()
    finally:
        server.stop()


def test_init_text_and_bad_unseal_key(tmp_path: Path) -> None:
    server = start_sqlite_server(tmp_path)
    try:
        env = {"VAULT_ADDR": server.url}
        bad = run(["operator", "init", "-key-shares", "2", "-key-threshold", "3"], env)
        assert bad.code == 1 and "-key-threshold" in bad.stderr
        text = run(["operator", "init", "-key-shares", "1", "-key-threshold", "1"], env)
        assert text.code == 0, text.stderr
        assert "Unseal Key 1:" in text.stdout and "Initial Root Token:" in text.stdout
        wrong = run(["operator", "unseal", "bm90IGEga2V5"], env)
        assert wrong.code == 1, wrong.stdout + wrong.stderr
        assert "bm90IGEga2V5" not in wrong.stderr
        reset = run(["operator", "unseal", "-reset", "-format", "json"], env)
        assert reset.code == 0 and json.loads(reset.stdout)["progress"] == 0
    finally:
        server.stop()


def test_status_through_the_console_entry(dev_server: ServerProcess) -> None:
    result = run_process(["status", "-format", "json"], env_for(dev_server))
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["sealed"] is False
    down = run_process(["status"], {"VAULT_ADDR": unreachable_address()})
    assert down.code == 1 and "cannot reach the server" in down.stderr
