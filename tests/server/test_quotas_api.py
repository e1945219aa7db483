"""Rate-limit quotas (sys/quotas/*) through hvac, side by side with a real OpenBao where the
shapes must agree, and on Sealkeep alone for what a client over its quota sees."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import hvac
import hvac.exceptions
import pytest
import requests

from tests.support.openbao import OpenBao
from tests.support.servers import (
    ServerProcess,
    init_and_unseal,
    start_dev_server,
    start_sqlite_server,
)

TARGETS = ("sealkeep", "openbao")


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, dev_server: ServerProcess, openbao: OpenBao) -> str:
    """The address of the server under test (root token `root` on OpenBao)."""
    return dev_server.url if request.param == "sealkeep" else openbao.url


@pytest.fixture
def root(target: str, dev_server: ServerProcess, openbao: OpenBao) -> hvac.Client:
    """A root hvac client for the server under test."""
    token = dev_server.root_token if target == dev_server.url else openbao.root_token
    return hvac.Client(url=target, token=token)


@pytest.fixture
def kv_mount(root: hvac.Client, unique: str) -> Iterator[str]:
    """A fresh KV v2 mount, so a quota on it touches no other test."""
    root.sys.enable_secrets_engine("kv", path=unique, options={"version": "2"})
    yield unique
    root.sys.disable_secrets_engine(unique)


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A dev server of this test's own, for quotas that cover every path."""
    server = start_dev_server(tmp_path)
    yield server
    server.stop()


def status_of(url: str, path: str, token: str = "") -> requests.Response:
    """One raw GET, as a client without hvac's retries sends it."""
    headers = {"X-Vault-Token": token} if token else {}
    return requests.get(f"{url}/v1/{path}", headers=headers, timeout=10)


def test_hvac_quota_calls_round_trip(root: hvac.Client, kv_mount: str, unique: str) -> None:
    response = root.sys.create_or_update_quota(
        unique, rate=5.5, path=kv_mount, interval="2m", block_interval="30s"
    )
    assert response.status_code == 204
    read = root.sys.read_quota(unique)["data"]
    assert read == {
        "block_interval": 30,
        "inheritable": False,
        "interval": 120,
        "name": unique,
        "path": f"{kv_mount}/",
        "rate": 5.5,
        "role": "",
        "type": "rate-limit",
    }
    assert unique in root.sys.list_quotas()["data"]["keys"]
    root.sys.create_or_update_quota(unique, rate=7, path=f"/{kv_mount}/data/app")
    assert root.sys.read_quota(unique)["data"]["path"] == f"{kv_mount}/data/app"
    assert root.sys.read_quota(unique)["data"]["interval"] == 1, "interval defaults to 1s"
    assert root.sys.delete_quota(unique).status_code == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.sys.read_quota(unique)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rate": 0}, "'rate' is invalid"),
        ({"rate": -3}, "'rate' is invalid"),
        ({"rate": 1, "path": "no-such-mount"}, 'invalid mount path "no-such-mount/"'),
        ({"rate": 1, "role": "web"}, 'Mount path "" is not a valid auth method'),
        ({"rate": 1, "interval": "-1s"}, "cannot provide negative value '-1'"),
    ],
)
def test_bad_quotas_are_refused_with_vaults_message(
    root: hvac.Client, unique: str, fields: dict, message: str
) -> None:
    with pytest.raises(hvac.exceptions.InvalidRequest, match=message):
        root.sys.create_or_update_quota(unique, **fields)
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.sys.read_quota(unique)


def test_a_second_quota_on_the_same_path_is_refused(
    root: hvac.Client, kv_mount: str, unique: str
) -> None:
    root.sys.create_or_update_quota(unique, rate=100, path=kv_mount)
    try:
        with pytest.raises(hvac.exceptions.InvalidRequest, match="similar properties"):
            root.sys.create_or_update_quota(unique + "b", rate=50, path=f"{kv_mount}/")
    finally:
        root.sys.delete_quota(unique)


def test_quota_config_defaults_and_update(own_server: ServerProcess) -> None:
    client = own_server.client()
    config = client.read("sys/quotas/config")["data"]
    assert config["enable_rate_limit_response_headers"] is False
    assert "sys/health" in config["rate_limit_exempt_paths"]
    client.write("sys/quotas/config", enable_rate_limit_response_headers=True)
    assert client.read("sys/quotas/config")["data"]["enable_rate_limit_response_headers"]


def test_client_over_its_quota_gets_429_on_that_path_only(
    vault: hvac.Client, dev_server: ServerProcess, unique: str
) -> None:
    vault.sys.enable_secrets_engine("kv", path=unique, options={"version": "2"})
    other = unique + "o"
    vault.sys.enable_secrets_engine("kv", path=other, options={"version": "2"})
    try:
        vault.sys.create_or_update_quota(unique, rate=2, path=unique, interval="1h")
        path = f"{unique}/data/app"
        answers = [status_of(dev_server.url, path, vault.token) for _ in range(3)]
        assert [a.status_code for a in answers] == [404, 404, 429]
        assert answers[2].json() == {
            "errors": [f'request path "{path}": rate limit quota exceeded']
        }
        assert "Retry-After" not in answers[2].headers, "headers are off by default"
        assert status_of(dev_server.url, f"{other}/data/app", vault.token).status_code == 404
        with pytest.raises(hvac.exceptions.RateLimitExceeded):
            vault.secrets.kv.v2.read_secret_version(
                "app", mount_point=unique, raise_on_deleted_version=True
            )
    finally:
        vault.sys.delete_quota(unique)
        vault.sys.disable_secrets_engine(unique)
        vault.sys.disable_secrets_engine(other)
    assert status_of(dev_server.url, f"{other}/data/app", vault.token).status_code == 404


def test_most_specific_quota_wins(vault: hvac.Client, dev_server: ServerProcess, unique: str):
    vault.sys.enable_secrets_engine("kv", path=unique, options={"version": "2"})
    try:
        vault.sys.create_or_update_quota(unique, rate=1, path=unique, interval="1h")
        vault.sys.create_or_update_quota(
            unique + "x", rate=50, path=f"{unique}/data/wide", interval="1h"
        )
        wide = [status_of(dev_server.url, f"{unique}/data/wide", vault.token) for _ in range(4)]
        assert {a.status_code for a in wide} == {404}, "the path quota, not the mount's, applies"
        narrow = [status_of(dev_server.url, f"{unique}/data/y", vault.token) for _ in range(2)]
        assert [a.status_code for a in narrow] == [404, 429]
    finally:
        vault.sys.delete_quota(unique)
        vault.sys.delete_quota(unique + "x")
        vault.sys.disable_secrets_engine(unique)


def test_unauthenticated_login_flood_is_limited_with_headers(
    own_server: ServerProcess,
) -> None:
    client = own_server.client()
    client.sys.enable_auth_method("userpass")
    client.auth.userpass.create_or_update_user("bob", password="right-one")
    client.write("sys/quotas/config", enable_rate_limit_response_headers=True)
    client.sys.create_or_update_quota("logins", rate=3, path="auth/userpass", interval="1h")
    url = f"{own_server.url}/v1/auth/userpass/login/bob"
    codes = [
        requests.post(url, json={"password": "wrong"}, timeout=10).status_code for _ in range(3)
    ]
    assert codes == [400, 400, 400]
    refused = requests.post(url, json={"password": "right-one"}, timeout=10)
    assert refused.status_code == 429
    assert refused.headers["X-Ratelimit-Limit"] == "3"
    assert refused.headers["X-Ratelimit-Remaining"] == "0"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    health = requests.get(f"{own_server.url}/v1/sys/health", timeout=10)
    assert health.status_code == 200, "sys/health stays reachable"
    assert client.read("secret/data/none") is None, "other paths are not limited"


def test_global_quota_with_block_interval(own_server: ServerProcess) -> None:
    client = own_server.client()
    client.write("sys/quotas/config", enable_rate_limit_response_headers=True)
    client.sys.create_or_update_quota("all", rate=1, interval="1h", block_interval="1h")
    assert client.read("sys/quotas/rate-limit/all")["data"]["inheritable"] is True
    blocked = status_of(own_server.url, "sys/mounts", own_server.root_token)
    assert blocked.status_code == 429
    again = status_of(own_server.url, "sys/mounts", own_server.root_token)
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) > 3000, "blocked for the block interval"


def test_quotas_survive_restart(tmp_path: Path) -> None:
    server = start_sqlite_server(tmp_path)
    try:
        keys = init_and_unseal(server)
        client = server.client()
        client.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
        client.sys.create_or_update_quota("kv", rate=2, path="kv", interval="1h")
        client.write("sys/quotas/config", enable_rate_limit_response_headers=True)
    finally:
        server.stop()
    again = start_sqlite_server(tmp_path)
    try:
        again.root_token = server.root_token
        again.client("").sys.submit_unseal_keys(keys[:2])
        client = again.client()
        assert client.sys.read_quota("kv")["data"]["rate"] == 2
        assert client.read("sys/quotas/config")["data"]["enable_rate_limit_response_headers"]
        codes = [status_of(again.url, "kv/data/x", again.root_token).status_code for _ in range(3)]
        assert codes == [404, 404, 429]
    finally:
        again.stop()


def test_role_quota_limits_only_that_roles_logins(root: hvac.Client, unique: str) -> None:
    root.sys.enable_auth_method("approle", path=unique)
    try:
        logins = {}
        for role in ("ci", "web"):
            root.auth.approle.create_or_update_approle(role, mount_point=unique)
            role_id = root.auth.approle.read_role_id(role, mount_point=unique)["data"]["role_id"]
            secret = root.auth.approle.generate_secret_id(role, mount_point=unique)["data"]
            logins[role] = {"role_id": role_id, "secret_id": secret["secret_id"]}
        root.sys.create_or_update_quota(
            unique, rate=1, interval="1h", path=f"auth/{unique}/", role="ci"
        )
        assert root.sys.read_quota(unique)["data"]["role"] == "ci"
        url = f"{root.url}/v1/auth/{unique}/login"
        ci = [requests.post(url, json=logins["ci"], timeout=10).status_code for _ in range(2)]
        web = [requests.post(url, json=logins["web"], timeout=10).status_code for _ in range(2)]
        assert (ci, web) == ([200, 429], [200, 200])
    finally:
        root.sys.delete_quota(unique)
        root.sys.disable_auth_method(unique)


def test_a_mounts_quotas_go_when_it_is_disabled(root: hvac.Client, unique: str) -> None:
    root.sys.enable_secrets_engine("kv", path=unique)
    root.sys.create_or_update_quota(unique, rate=100, path=f"{unique}/data")
    root.sys.disable_secrets_engine(unique)
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.sys.read_quota(unique)


def test_headers_on_allowed_answers_and_refusals_audited_when_asked(
    own_server: ServerProcess, tmp_path: Path
) -> None:
    client = own_server.client()
    log = tmp_path / "audit.log"
    client.sys.enable_audit_device("file", options={"file_path": str(log)})
    client.write(
        "sys/quotas/config",
        enable_rate_limit_response_headers=True,
        enable_rate_limit_audit_logging=True,
    )
    client.sys.create_or_update_quota("kv", rate=2, path="secret", interval="1h")
    allowed = status_of(own_server.url, "secret/data/x", own_server.root_token)
    assert (allowed.status_code, allowed.headers["X-Ratelimit-Remaining"]) == (404, "1")
    status_of(own_server.url, "secret/data/x", own_server.root_token)
    refused = status_of(own_server.url, "secret/data/x", own_server.root_token)
    assert refused.status_code == 429
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    errors = [e.get("error", "") for e in entries if e["request"]["path"] == "secret/data/x"]
    assert 'request path "secret/data/x": rate limit quota exceeded' in errors


def test_exempt_paths_are_never_limited(own_server: ServerProcess) -> None:
    client = own_server.client()
    client.write("sys/quotas/config", rate_limit_exempt_paths=["sys/mounts", "secret/data/ok/*"])
    assert client.read("sys/quotas/config")["data"]["rate_limit_exempt_paths"] == [
        "secret/data/ok/*",
        "sys/mounts",
    ]
    client.sys.create_or_update_quota("all", rate=1, interval="1h")
    token = own_server.root_token
    exempt = [status_of(own_server.url, "sys/mounts", token).status_code for _ in range(3)]
    under = [status_of(own_server.url, "secret/data/ok/a", token).status_code for _ in range(3)]
    assert (exempt, under) == ([200, 200, 200], [404, 404, 404])
    limited = [status_of(own_server.url, "sys/auth", token).status_code for _ in range(2)]
    assert limited == [200, 429]


def test_a_blocked_client_waits_out_the_block_not_the_interval(
    root: hvac.Client, unique: str
) -> None:
    root.sys.enable_secrets_engine("kv", path=unique, options={"version": "2"})
    try:
        root.sys.create_or_update_quota(
            unique, rate=1, path=unique, interval="1s", block_interval="3s"
        )
        path = f"{unique}/data/x"

        def code() -> int:
            return status_of(root.url, path, root.token).status_code

        assert [code(), code()] == [404, 429]
        time.sleep(1.5)  # a new 1 s window, but still inside the 3 s block
        assert code() == 429
        time.sleep(2.0)  # past the block
        assert code() == 404
    finally:
        root.sys.delete_quota(unique)
        root.sys.disable_secrets_engine(unique)


@pytest.mark.parametrize(("rate", "allowed"), [(2.5, 3), (2.4, 2), (0.4, 1)])
def test_a_fractional_rate_rounds_as_openbao_does(
    root: hvac.Client, kv_mount: str, unique: str, rate: float, allowed: int
) -> None:
    root.sys.create_or_update_quota(unique, rate=rate, path=kv_mount, interval="1h")
    try:
        path = f"{kv_mount}/data/x"
        codes = [status_of(root.url, path, root.token).status_code for _ in range(allowed + 1)]
        assert codes == [404] * allowed + [429]
    finally:
        root.sys.delete_quota(unique)
