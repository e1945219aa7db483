"""Init, unseal with Shamir shares, seal, rotate: a SQLite-backed server over hvac."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest
import requests

from tests.support.servers import ServerProcess, init_and_unseal, start_sqlite_server


@pytest.fixture
def sealed_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_sqlite_server(tmp_path)
    yield server
    server.stop()


def test_uninitialised_server_reports_it(sealed_server: ServerProcess) -> None:
    client = sealed_server.client("")
    assert client.sys.is_initialized() is False
    status = client.sys.read_seal_status()
    assert status["initialized"] is False and status["sealed"] is True
    assert (status["t"], status["n"]) == (0, 0)
    assert requests.get(f"{sealed_server.url}/v1/sys/health").status_code == 501


def test_init_defaults_to_five_shares_threshold_three(sealed_server: ServerProcess) -> None:
    # hvac's initialize() with no arguments warns about a future default; send the body raw.
    result = requests.put(f"{sealed_server.url}/v1/sys/init", json={}).json()
    assert len(result["keys"]) == 5 and len(result["keys_base64"]) == 5
    assert result["root_token"].startswith("hvs.")
    status = sealed_server.client("").sys.read_seal_status()
    assert status["sealed"] is True and (status["t"], status["n"]) == (3, 5)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="already initialized"):
        sealed_server.client("").sys.initialize(secret_shares=5, secret_threshold=3)


@pytest.mark.parametrize(
    ("shares", "threshold", "message"),
    [
        (0, 1, "shares must be at least one"),
        (3, 0, "threshold must be at least one"),
        (3, 1, "threshold must be greater than one for multiple shares"),
        (2, 3, "threshold cannot be larger than shares"),
        (256, 3, "shares must be less than 256"),
    ],
)
def test_bad_init_parameters(
    sealed_server: ServerProcess, shares: int, threshold: int, message: str
) -> None:
    with pytest.raises(hvac.exceptions.InvalidRequest, match=message):
        sealed_server.client("").sys.initialize(secret_shares=shares, secret_threshold=threshold)
    assert sealed_server.client("").sys.is_initialized() is False


def test_sealed_store_answers_503_except_status_paths(sealed_server: ServerProcess) -> None:
    result = sealed_server.client("").sys.initialize(secret_shares=3, secret_threshold=2)
    client = sealed_server.client(result["root_token"])
    with pytest.raises(hvac.exceptions.VaultDown, match="Vault is sealed"):
        client.secrets.kv.v2.read_secret_version("x", raise_on_deleted_version=True)
    assert requests.get(f"{sealed_server.url}/v1/sys/health").status_code == 503
    assert requests.get(f"{sealed_server.url}/v1/sys/seal-status").status_code == 200


def test_unseal_progress_duplicates_reset_and_base64(sealed_server: ServerProcess) -> None:
    result = sealed_server.client("").sys.initialize(secret_shares=3, secret_threshold=2)
    client = sealed_server.client("")
    first = client.sys.submit_unseal_key(result["keys"][0])
    assert first["progress"] == 1 and first["nonce"]
    again = client.sys.submit_unseal_key(result["keys"][0])
    assert again["progress"] == 1, "a repeated share must not count twice"
    reset = client.sys.submit_unseal_key(reset=True)
    assert reset["progress"] == 0
    client.sys.submit_unseal_key(result["keys_base64"][1])
    done = client.sys.submit_unseal_key(result["keys"][2])
    assert done["sealed"] is False and done["cluster_id"]


def test_wrong_share_fails_and_resets_progress(sealed_server: ServerProcess) -> None:
    result = sealed_server.client("").sys.initialize(secret_shares=3, secret_threshold=2)
    client = sealed_server.client("")
    client.sys.submit_unseal_key(result["keys"][0])
    forged = bytearray(bytes.fromhex(result["keys"][1]))
    forged[0] ^= 0xFF
    with pytest.raises(hvac.exceptions.InvalidRequest, match="unseal failed, invalid key"):
        client.sys.submit_unseal_key(forged.hex())
    status = client.sys.read_seal_status()
    assert status["sealed"] is True and status["progress"] == 0
    with pytest.raises(hvac.exceptions.InvalidRequest, match="valid hex or base64"):
        client.sys.submit_unseal_key("not-a-key!")
    resp = requests.put(f"{sealed_server.url}/v1/sys/unseal", json={})
    assert resp.status_code == 400 and "'key' must be specified" in resp.json()["errors"][0]


def test_seal_requires_sudo_and_then_seals(sealed_server: ServerProcess) -> None:
    keys = init_and_unseal(sealed_server)
    root = sealed_server.client()
    root.sys.create_or_update_policy("plain", 'path "sys/seal" { capabilities = ["update"] }')
    plain = root.auth.token.create(policies=["plain"], ttl="5m")["auth"]["client_token"]
    with pytest.raises(hvac.exceptions.Forbidden):
        sealed_server.client(plain).sys.seal()
    assert sealed_server.client(plain).sys.is_sealed() is False
    root.sys.seal()
    assert root.sys.is_sealed() is True
    root.sys.submit_unseal_keys(keys[:2])
    assert root.sys.is_sealed() is False


def test_data_survives_restart_and_rotation(tmp_path: Path) -> None:
    server = start_sqlite_server(tmp_path)
    keys = init_and_unseal(server)
    # As in Vault, only dev mode pre-mounts secret/.
    server.client().sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    root = server.client()
    root.secrets.kv.v2.create_or_update_secret(path="before", secret={"v": "1"})
    assert root.key_status["term"] == 1
    root.sys.rotate_encryption_key()
    assert root.key_status["term"] == 2
    root.secrets.kv.v2.create_or_update_secret(path="after", secret={"v": "2"})
    token = server.root_token
    server.stop()
    again = start_sqlite_server(tmp_path)
    try:
        assert again.client("").sys.is_sealed() is True
        again.client("").sys.submit_unseal_keys([keys[2], keys[0]])
        client = again.client(token)
        read = client.secrets.kv.v2.read_secret_version
        assert read("before", raise_on_deleted_version=True)["data"]["data"] == {"v": "1"}
        assert read("after", raise_on_deleted_version=True)["data"]["data"] == {"v": "2"}
        assert client.key_status["term"] == 2
    finally:
        again.stop()


def test_sqlite_file_holds_no_secret_or_token_in_clear(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    server = start_sqlite_server(tmp_path, db)
    keys = init_and_unseal(server)
    # As in Vault, only dev mode pre-mounts secret/.
    server.client().sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    root = server.client()
    marker = "needle-value-3f9a1c"
    root.secrets.kv.v2.create_or_update_secret(path="clear-check", secret={"password": marker})
    child = root.auth.token.create(policies=["default"], ttl="1h")["auth"]["client_token"]
    server.stop()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    for needle in (marker, server.root_token, child, *keys):
        for form in (needle.encode(), base64.b64encode(needle.encode())):
            assert form not in raw
    assert b"password" not in raw, "even the key names inside a secret are encrypted"
