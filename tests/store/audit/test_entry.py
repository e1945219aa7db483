"""Audit entries written by a real file device, parsed and checked field by field (§10.2)."""

from __future__ import annotations

from pathlib import Path

from reconciler.store.logical import Auth, Operation, Request, Response, Secret
from tests.store.audit.support import (
    ACCESSOR,
    TOKEN,
    entries,
    file_broker,
    read_request,
)


def test_request_entry_fields(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log)
    req = read_request(
        data={"version": 2, "note": "plain"},
        headers={"X-Sealkeep-Correlation-Id": "apply-42", "X-Vault-Token": TOKEN},
    )
    broker.log_request(req, None)
    broker.close()

    [entry] = entries(log)
    assert list(entry) == ["chain", "time", "type", "auth", "request"]
    assert entry["type"] == "request"
    assert entry["time"].endswith("Z") and entry["time"][:2] == "20"
    other = file_broker(tmp_path / "other.log")  # each device has its own salt
    assert other.hash("file", TOKEN) != entry["auth"]["client_token"]
    other.close()
    assert entry["auth"] == {
        "client_token": entry["request"]["client_token"],
        "accessor": entry["request"]["client_token_accessor"],
        "display_name": "approle-payments",
        "policies": ["default", "payments-read"],
        "token_policies": ["default", "payments-read"],
        "metadata": {"role_name": "payments"},
        "entity_id": "1b2c3d4e-0000-4000-8000-000000000001",
        "token_type": "service",
        "token_ttl": 3600,
        "token_issue_time": "2024-05-01T12:00:00Z",
        "remaining_uses": 5,
        "policy_results": {"allowed": True},
    }
    request = entry["request"]
    assert request["client_token"].startswith("hmac-sha256:")
    assert request["client_token_accessor"].startswith("hmac-sha256:")
    assert request == {
        "id": req.id,
        "operation": "read",
        "mount_point": "secret/",
        "mount_type": "kv",
        "mount_accessor": "kv_e986ebab",
        "mount_class": "secret",
        "client_token": request["client_token"],
        "client_token_accessor": request["client_token_accessor"],
        "namespace": {"id": "root"},
        "path": "secret/data/payments/api",
        "data": {"version": 2, "note": request["data"]["note"]},
        "remote_address": "10.1.2.3",
        "remote_port": 51234,
        "headers": {"x-sealkeep-correlation-id": ["apply-42"]},
    }
    assert request["data"]["note"].startswith("hmac-sha256:")


def test_hashes_match_audit_hash(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log)
    broker.log_request(read_request(), None)
    [entry] = entries(log)
    assert entry["auth"]["client_token"] == broker.hash("file", TOKEN)
    assert entry["auth"]["accessor"] == broker.hash("file/", ACCESSOR)
    assert TOKEN not in log.read_text()
    assert ACCESSOR not in log.read_text()
    broker.close()


def test_unauthenticated_login_has_minimal_auth(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log)
    req = Request(
        operation=Operation.UPDATE,
        path="auth/approle/login",
        data={"role_id": "r-1", "secret_id": "s-1"},
        remote_addr="127.0.0.1",
    )
    broker.log_request(req, None)
    broker.close()
    [entry] = entries(log)
    assert entry["auth"] == {"token_type": "default"}
    assert "client_token" not in entry["request"]
    assert set(entry["request"]["data"]) == {"role_id", "secret_id"}
    assert all(v.startswith("hmac-sha256:") for v in entry["request"]["data"].values())


def test_denied_request_logged_with_error(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log)
    error = "1 error occurred:\n\t* permission denied\n\n"
    broker.log_request(read_request(), error)
    broker.close()
    [entry] = entries(log)
    assert entry["error"] == error
    assert entry["auth"]["policy_results"] == {"allowed": False}


def test_response_entry_with_auth_secret_and_warnings(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log)
    req = read_request(path="database/creds/readonly", mount_point="database/")
    issued = Auth(
        client_token="hvs.newtoken000000000000000",
        accessor="NewAccessor0000000000000",
        display_name="approle-payments",
        token_policies=["default", "db"],
        metadata={"role_name": "payments"},
        lease_duration=1800,
        entity_id="e-1",
    )
    resp = Response(
        data={"username": "v-payments-x", "password": "pw-123", "ttl": 3600, "ok": True},
        auth=issued,
        secret=Secret(lease_id="database/creds/readonly/Fw1S4y7aNJdJxKeLzQ8cYFvx"),
        warnings=["TTL capped"],
    )
    broker.log_response(req, resp, None)
    [entry] = entries(log)
    assert list(entry) == ["chain", "time", "type", "auth", "request", "response"]
    response = entry["response"]
    assert response["mount_point"] == "database/"
    assert response["mount_type"] == "kv"
    assert response["secret"] == {"lease_id": "database/creds/readonly/Fw1S4y7aNJdJxKeLzQ8cYFvx"}
    assert response["warnings"] == ["TTL capped"]
    assert response["data"]["ttl"] == 3600
    assert response["data"]["ok"] is True
    assert response["data"]["password"] == broker.hash("file", "pw-123")
    assert response["data"]["username"] == broker.hash("file", "v-payments-x")
    auth = response["auth"]
    assert auth["client_token"] == broker.hash("file", "hvs.newtoken000000000000000")
    assert auth["accessor"] == broker.hash("file", "NewAccessor0000000000000")
    assert auth["policies"] == ["default", "db"]
    assert auth["token_policies"] == ["default", "db"]
    assert auth["metadata"] == {"role_name": "payments"}
    assert auth["entity_id"] == "e-1"
    assert auth["token_type"] == "service"
    assert auth["token_ttl"] == 1800
    assert auth["token_issue_time"].endswith("Z")
    assert "pw-123" not in log.read_text()
    broker.close()


def test_empty_response_keeps_mount_fields_only(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log)
    broker.log_response(read_request(operation=Operation.DELETE), None, None)
    broker.close()
    [entry] = entries(log)
    assert entry["response"] == {
        "mount_point": "secret/",
        "mount_type": "kv",
        "mount_accessor": "kv_e986ebab",
        "mount_class": "secret",
    }
    assert "error" not in entry


def test_request_and_response_share_request_id(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    broker = file_broker(log)
    req = read_request()
    broker.log_request(req, None)
    broker.log_response(req, Response(data={"data": {"k": "v"}}), None)
    broker.close()
    first, second = entries(log)
    assert first["request"]["id"] == second["request"]["id"] == req.id
    assert [first["type"], second["type"]] == ["request", "response"]
    assert second["response"]["data"]["data"]["k"].startswith("hmac-sha256:")
