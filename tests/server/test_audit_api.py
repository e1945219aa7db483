"""Audit devices end to end: hvac -> HTTP -> server -> JSON lines on disk, checked field by field.

Each test runs its own dev server: an audit device logs every request of its server, and the
fail-closed test leaves its server unable to answer anything.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hvac
import pytest
import requests
from click.testing import CliRunner

from reconciler.cli.audit import audit
from tests.server.db_support import wait_until
from tests.store.audit.support import lines, rechain
from tests.support.openbao import start_openbao
from tests.support.servers import (
    ServerProcess,
    free_port,
    init_and_unseal,
    start_dev_server,
    start_server,
    start_sqlite_server,
)

SECRET_VALUE = "audit-test-secret-value-9931"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A dev server of the test's own."""
    process = start_dev_server(tmp_path)
    yield process
    process.stop()


@pytest.fixture
def audited(server: ServerProcess, tmp_path: Path) -> Path:
    """A file audit device at `file/` on the test's server; returns the log path."""
    log = tmp_path / "audit" / "audit.log"
    resp = server.client().sys.enable_audit_device("file", options={"file_path": str(log)})
    assert resp.status_code == 204
    return log


def _entries(*logs: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for log in logs for line in log.read_text().splitlines()]


def _pair(log: Path, request_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    found = [e for e in _entries(log) if e["request"]["id"] == request_id]
    assert [e["type"] for e in found] == ["request", "response"]
    return found[0], found[1]


def _hash(client: hvac.Client, value: str) -> str:
    return str(client.sys.calculate_hash("file", value)["data"]["hash"])


def test_enable_list_hash_and_disable(server: ServerProcess, tmp_path: Path) -> None:
    vault = server.client()
    assert vault.sys.list_enabled_audit_devices()["data"] == {}
    log = tmp_path / "a.log"
    vault.sys.enable_audit_device("file", description="main", options={"file_path": str(log)})
    listed = vault.sys.list_enabled_audit_devices()
    expected = {
        "type": "file",
        "description": "main",
        "options": {"file_path": str(log)},
        "local": False,
        "path": "file/",
    }
    assert listed["data"] == {"file/": expected} and listed["file/"] == expected
    with pytest.raises(hvac.exceptions.InvalidRequest, match="path already in use"):
        vault.sys.enable_audit_device("file", options={"file_path": str(log)})

    hashed = vault.sys.calculate_hash("file", server.root_token)
    assert hashed["data"]["hash"].startswith("hmac-sha256:") and len(hashed["data"]["hash"]) == 76
    assert hashed["hash"] == hashed["data"]["hash"]
    assert any(e["auth"].get("client_token") == hashed["hash"] for e in _entries(log))
    with pytest.raises(hvac.exceptions.InvalidRequest, match='the "input" parameter is empty'):
        vault.sys.calculate_hash("file", "")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="unknown audit backend"):
        vault.sys.calculate_hash("nope", "x")

    assert vault.sys.disable_audit_device("file").status_code == 204
    assert vault.sys.list_enabled_audit_devices()["data"] == {}
    lines = len(log.read_text().splitlines())
    vault.sys.read_health_status(method="GET")
    vault.sys.list_mounted_secrets_engines()
    assert len(log.read_text().splitlines()) == lines


def _check_time(entry: dict[str, Any]) -> None:
    stamp = entry["time"]
    assert stamp.endswith("Z")
    parsed = datetime.strptime(stamp[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    assert abs(parsed.timestamp() - time.time()) < 30


def test_every_field_of_a_read_and_a_write(
    server: ServerProcess, audited: Path, unique: str
) -> None:
    vault = server.client()
    policy = f'path "secret/data/{unique}/*" {{ capabilities = ["create", "update", "read"] }}'
    vault.sys.create_or_update_policy(unique, policy)
    auth = vault.auth.token.create(policies=[unique], display_name="auditor", ttl="10m")["auth"]
    app = server.client(auth["client_token"])
    app.adapter.session.headers["X-Sealkeep-Correlation-Id"] = f"run-{unique}"

    written = app.secrets.kv.v2.create_or_update_secret(
        f"{unique}/db", secret={"password": SECRET_VALUE, "port": 5432}
    )
    read = app.secrets.kv.v2.read_secret_version(f"{unique}/db", raise_on_deleted_version=True)

    token_hmac, accessor_hmac = _hash(vault, auth["client_token"]), _hash(vault, auth["accessor"])
    value_hmac = _hash(vault, SECRET_VALUE)
    for body, operation in ((written, "create"), (read, "read")):
        request, response = _pair(audited, body["request_id"])
        for entry in (request, response):
            _check_time(entry)
            who = entry["auth"]
            assert who["client_token"] == token_hmac and who["accessor"] == accessor_hmac
            assert who["display_name"] == "token-auditor"
            assert who["policies"] == ["default", unique]
            assert who["token_type"] == "service"
            assert who["policy_results"] == {
                "allowed": True,
                "granting_policies": [{"name": unique, "namespace_id": "root", "type": "acl"}],
            }
            req = entry["request"]
            assert req["id"] == body["request_id"] and req["operation"] == operation
            assert req["mount_type"] == "kv" and req["mount_point"] == "secret/"
            assert req["path"] == f"secret/data/{unique}/db"
            assert req["remote_address"] == "127.0.0.1" and req["remote_port"] > 0
            assert req["client_token"] == token_hmac
            assert req["client_token_accessor"] == accessor_hmac
            assert req["headers"] == {"x-sealkeep-correlation-id": [f"run-{unique}"]}
            assert "error" not in entry
        assert request["type"] == "request" and response["type"] == "response"
        assert "response" not in request
    write_request, write_response = _pair(audited, written["request_id"])
    # Strings in request data are hashed; numbers pass through unchanged.
    assert write_request["request"]["data"]["data"] == {"password": value_hmac, "port": 5432}
    assert write_response["response"]["data"]["version"] == 1
    _, read_response = _pair(audited, read["request_id"])
    assert read_response["response"]["mount_type"] == "kv"
    assert read_response["response"]["data"]["data"] == {"password": value_hmac, "port": 5432}
    assert SECRET_VALUE not in audited.read_text()
    assert auth["client_token"] not in audited.read_text()


def test_tuned_non_hmac_keys_are_logged_in_clear(
    server: ServerProcess, audited: Path, unique: str
) -> None:
    vault = server.client()
    vault.sys.enable_secrets_engine("kv", path=unique, options={"version": "1"})
    vault.sys.tune_mount_configuration(
        unique, audit_non_hmac_request_keys=["team"], audit_non_hmac_response_keys=["team"]
    )
    secret = {"team": "payments", "password": SECRET_VALUE}
    vault.secrets.kv.v1.create_or_update_secret("app", secret=secret, mount_point=unique)
    read = vault.secrets.kv.v1.read_secret("app", mount_point=unique)
    logged = {"team": "payments", "password": _hash(vault, SECRET_VALUE)}
    _, response = _pair(audited, read["request_id"])
    assert response["response"]["data"] == logged
    writes = [e for e in _entries(audited) if e["request"].get("data") and
              e["request"]["path"] == f"{unique}/app"]  # fmt: skip
    assert [e["request"]["data"] for e in writes] == [logged, logged]
    assert SECRET_VALUE not in audited.read_text()


def test_denied_requests_and_failed_logins_are_logged_with_error(
    server: ServerProcess, audited: Path, unique: str
) -> None:
    vault = server.client()
    # Created without a display name (hvac's token.create would send "token"): Vault names it
    # plain "token".
    token = vault.write("auth/token/create", policies=["default"], ttl="5m")["auth"]["client_token"]
    with pytest.raises(hvac.exceptions.Forbidden):
        server.client(token).secrets.kv.v2.read_secret_version(
            f"{unique}/x", raise_on_deleted_version=True
        )
    with pytest.raises(hvac.exceptions.Forbidden):
        server.client("hvs.not-a-token").secrets.kv.v2.read_secret_version(
            f"{unique}/x", raise_on_deleted_version=True
        )
    vault.sys.enable_auth_method("approle", path=unique)
    vault.auth.approle.create_or_update_approle(unique, token_policies=["default"],
                                                mount_point=unique)  # fmt: skip
    role_id = vault.auth.approle.read_role_id(unique, mount_point=unique)["data"]["role_id"]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        server.client("").auth.approle.login(role_id, "wrong-secret-id", mount_point=unique)

    entries = _entries(audited)
    logged = [e for e in entries if e["request"]["path"] == f"secret/data/{unique}/x"]
    # As in Vault, a refused request is logged twice: asked, then answered with the error.
    assert [e["type"] for e in logged] == ["request", "response"] * 2
    assert all("permission denied" in e["error"] for e in logged)
    denied = [e for e in logged if e["type"] == "request"]
    assert all("permission denied" in e["error"] for e in denied)
    assert denied[0]["auth"]["policy_results"] == {"allowed": False}
    assert denied[0]["auth"]["display_name"] == "token"
    assert "invalid token" in denied[1]["error"] and "display_name" not in denied[1]["auth"]
    login = [e for e in entries if e["request"]["path"] == f"auth/{unique}/login"]
    assert [e["type"] for e in login] == ["request", "response"]
    assert "error" not in login[0] and login[1]["error"]
    assert login[1]["request"]["data"]["role_id"] == _hash(vault, role_id)
    assert "wrong-secret-id" not in audited.read_text()


def test_a_device_that_cannot_write_is_refused(server: ServerProcess, tmp_path: Path) -> None:
    vault = server.client()
    mode = os.stat("/dev/full").st_mode
    # /dev/full opens fine but every write fails (ENOSPC), even for root, like a full disk.
    with pytest.raises(hvac.exceptions.InvalidRequest) as full:
        vault.sys.enable_audit_device("file", options={"file_path": "/dev/full"})
    assert str(full.value).startswith(
        'sanity check failed; unable to write a test entry to "/dev/full": no space left'
    )
    assert os.stat("/dev/full").st_mode == mode  # the device node was not chmodded
    with pytest.raises(hvac.exceptions.InvalidRequest, match="connection refused"):
        vault.sys.enable_audit_device("socket", options={"address": f"127.0.0.1:{free_port()}"})
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="unable to open"):
        vault.sys.enable_audit_device("file", options={"file_path": str(blocker / "a.log")})
    assert vault.sys.list_enabled_audit_devices()["data"] == {}
    vault.secrets.kv.v2.create_or_update_secret("refused", secret={"v": SECRET_VALUE})


class Collector:
    """A TCP log collector for a socket audit device; `die()` makes it go away."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed by die()
            self.conns.append(conn)
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    @staticmethod
    def _drain(conn: socket.socket) -> None:
        with conn:
            try:
                while conn.recv(65536):
                    pass
            except OSError:
                return

    def die(self) -> None:
        """Stop listening and end every connection (the collector crashed)."""
        wait_until(lambda: bool(self.conns), timeout=5, step=0.01)  # the device connected
        # shutdown() first: close() alone does not wake the thread blocked in accept(),
        # which would keep the socket listening.
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in self.conns:
            conn.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=5)


def _read_fails_closed(vault: hvac.Client) -> None:
    with pytest.raises(hvac.exceptions.InternalServerError) as caught:
        vault.secrets.kv.v2.read_secret_version("lockout", raise_on_deleted_version=True)
    assert SECRET_VALUE not in str(caught.value)


def test_a_device_that_breaks_later_can_always_be_disabled(
    server: ServerProcess, audited: Path
) -> None:
    """Issue 12's lock-out: the good device disabled while the other cannot log."""
    vault = server.client()
    vault.secrets.kv.v2.create_or_update_secret("lockout", secret={"v": SECRET_VALUE})
    collector = Collector()
    vault.sys.enable_audit_device(
        "socket", path="collector", options={"address": f"127.0.0.1:{collector.port}"}
    )
    collector.die()
    vault.secrets.kv.v2.read_secret_version("lockout", raise_on_deleted_version=True)
    # Disabling the one device that still logs answers 204 and is applied...
    assert vault.sys.disable_audit_device("file").status_code == 204
    assert list(vault.sys.list_enabled_audit_devices()["data"]) == ["collector/"]
    # ...then nothing can be audited, so requests fail closed...
    _read_fails_closed(vault)
    # ...but a sudo caller can still remove the broken device, and all is well again.
    assert vault.sys.disable_audit_device("collector").status_code == 204
    assert vault.sys.list_enabled_audit_devices()["data"] == {}
    read = vault.secrets.kv.v2.read_secret_version("lockout", raise_on_deleted_version=True)
    assert read["data"]["data"] == {"v": SECRET_VALUE}
    assert "let through because it changes the audit devices" in server.log()


def test_a_broken_device_after_restart_can_be_sealed_and_disabled(tmp_path: Path) -> None:
    server = start_sqlite_server(tmp_path)
    try:
        keys = init_and_unseal(server, shares=1, threshold=1)
        vault = server.client()
        vault.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
        vault.secrets.kv.v2.create_or_update_secret("lockout", secret={"v": SECRET_VALUE})
        log = tmp_path / "logs" / "audit.log"
        vault.sys.enable_audit_device("file", options={"file_path": str(log)})
        server.stop()
        log.unlink()
        log.mkdir()  # the log path is now a folder: the device cannot open it, even as root
        server = start_server(server.args, tmp_path / "restarted.log", _port(server.url))
        server.root_token = vault.token
        server.client("").sys.submit_unseal_keys(keys)
        vault = server.client()
        _read_fails_closed(vault)
        assert vault.sys.seal().status_code == 204  # sealing is never locked out
        assert vault.sys.is_sealed()
        server.client("").sys.submit_unseal_keys(keys)
        _read_fails_closed(vault)
        assert vault.sys.disable_audit_device("file").status_code == 204
        read = vault.secrets.kv.v2.read_secret_version("lockout", raise_on_deleted_version=True)
        assert read["data"]["data"] == {"v": SECRET_VALUE}
    finally:
        server.stop()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_sighup_reopens_the_file_and_the_chain_verifies(
    server: ServerProcess, audited: Path, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = server.client()
    vault.secrets.kv.v2.create_or_update_secret(f"{unique}/s", secret={"v": SECRET_VALUE})
    rotated = audited.with_name("audit.log.1")
    audited.rename(rotated)
    server.process.send_signal(signal.SIGHUP)
    wait_until(audited.exists, timeout=5, step=0.05)
    reader = vault.auth.token.create(policies=["root"], display_name="reader", ttl="5m")["auth"]
    read = server.client(reader["client_token"]).secrets.kv.v2.read_secret_version(
        f"{unique}/s", raise_on_deleted_version=True
    )
    assert any(e["request"]["id"] == read["request_id"] for e in _entries(audited))
    assert not any(e["request"]["id"] == read["request_id"] for e in _entries(rotated))

    runner = CliRunner()
    result = runner.invoke(audit, ["verify", str(rotated), str(audited)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": OK") == 2

    monkeypatch.setenv("VAULT_ADDR", server.url)
    monkeypatch.setenv("VAULT_TOKEN", server.root_token)
    path = f"secret/data/{unique}/*"
    found = runner.invoke(
        audit,
        ["query", str(rotated), str(audited), "--path", path, "--operation", "read",
         "--type", "response", "--format", "json"],
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    rows = [json.loads(line) for line in found.output.splitlines()]
    assert [r["auth"]["display_name"] for r in rows] == ["token-reader"]
    by_token = runner.invoke(
        audit,
        ["query", str(rotated), str(audited), "--token", reader["client_token"],
         "--operation", "read", "--format", "json"],
    )  # fmt: skip
    assert by_token.exit_code == 0, by_token.output
    assert {json.loads(line)["request"]["id"] for line in by_token.output.splitlines()} == {
        read["request_id"]
    }
    assert reader["client_token"] not in by_token.output


def test_sighup_storm_under_load_never_hangs_the_server(
    server: ServerProcess, audited: Path
) -> None:
    vault = server.client()
    vault.secrets.kv.v2.create_or_update_secret("hup", secret={"v": "x"})
    url = f"{server.url}/v1/secret/data/hup"
    headers = {"X-Vault-Token": server.root_token}
    stop = threading.Event()
    failures: list[str] = []

    def read_until_stopped() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    session.get(url, headers=headers, timeout=5).raise_for_status()
                except requests.RequestException as exc:
                    failures.append(type(exc).__name__)
                    return

    readers = [threading.Thread(target=read_until_stopped) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for _ in range(150):
            server.process.send_signal(signal.SIGHUP)
            time.sleep(0.005)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=10)
    assert not failures
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    result = CliRunner().invoke(audit, ["verify", str(audited)])
    assert result.exit_code == 0, result.output


def test_verify_with_the_servers_key_catches_what_plain_hashes_cannot(
    server: ServerProcess, audited: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = server.client()
    for index in range(5):
        vault.secrets.kv.v2.create_or_update_secret(f"proof/{index}", secret={"v": SECRET_VALUE})
    monkeypatch.setenv("VAULT_ADDR", server.url)
    monkeypatch.setenv("VAULT_TOKEN", server.root_token)
    runner = CliRunner()

    proved = runner.invoke(audit, ["verify", "--device", "file", str(audited)])
    assert proved.exit_code == 0, proved.output
    assert "proved complete up to seq" in proved.output and "NOT proved" not in proved.output
    plain = runner.invoke(audit, ["verify", str(audited)])
    assert plain.exit_code == 0 and "authenticity NOT proved" in plain.output

    key_file = tmp_path / "chain-key.json"
    exported = runner.invoke(audit, ["export-key", "file", "-o", str(key_file)])
    assert exported.exit_code == 0, exported.output
    assert key_file.stat().st_mode & 0o777 == 0o600
    original = audited.read_bytes()

    audited.write_bytes(b"".join(lines(audited)[:-2]))  # the tail cut
    cut = runner.invoke(audit, ["verify", "--key-file", str(key_file), str(audited)])
    assert cut.exit_code == 1 and "tail-cut" in cut.output, cut.output

    forged = [line.replace(b"proof/", b"other/") for line in original.splitlines(keepends=True)]
    audited.write_bytes(b"".join(rechain(forged, strip_mac=True)))
    assert runner.invoke(audit, ["verify", str(audited)]).exit_code == 0  # plainly fine
    caught = runner.invoke(audit, ["verify", "--key-file", str(key_file), str(audited)])
    assert caught.exit_code == 1 and "forged" in caught.output, caught.output
    assert SECRET_VALUE not in proved.output + cut.output + caught.output


def test_the_chain_key_needs_sudo(server: ServerProcess, audited: Path) -> None:
    vault = server.client()
    vault.sys.create_or_update_policy(
        "auditor", 'path "sys/audit-chain/*" { capabilities = ["read"] }'
    )
    plain = vault.auth.token.create(policies=["auditor"], ttl="5m")["auth"]["client_token"]
    with pytest.raises(hvac.exceptions.Forbidden):
        server.client(plain).read("sys/audit-chain/file")
    vault.sys.create_or_update_policy(
        "auditor", 'path "sys/audit-chain/*" { capabilities = ["read", "sudo"] }'
    )
    data = server.client(plain).read("sys/audit-chain/file")["data"]
    assert data["format"] == "sealkeep-audit-chain" and len(data["chain_key"]) == 64
    assert data["checkpoints"][0]["seg"] == 1


def test_an_openbao_audit_log_is_not_a_sealkeep_log(tmp_path: Path) -> None:
    log = tmp_path / "openbao-audit.log"
    config = f'audit "file" "file" {{\n  options {{\n    file_path = "{log}"\n  }}\n}}\n'
    bao = start_openbao(tmp_path / "bao", config_text=config)
    try:
        requests.get(f"{bao.url}/v1/sys/mounts", headers={"X-Vault-Token": bao.root_token})
    finally:
        bao.stop()
    assert log.read_text().startswith('{"time":')  # OpenBao's own format, written by `bao`
    result = CliRunner().invoke(audit, ["verify", str(log)])
    assert result.exit_code == 1
    assert "not a Sealkeep audit log" in result.output
    assert "chain field is missing" not in result.output
