"""User lock-out of userpass and AppRole logins (Vault 1.13+), through hvac; the basic
behaviour side by side with a real OpenBao, which must answer the same."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import hvac
import hvac.exceptions
import pytest

from tests.support.openbao import OpenBao
from tests.support.servers import ServerProcess, init_and_unseal, start_sqlite_server

TARGETS = ("sealkeep", "openbao")
RIGHT = "right-password"


@pytest.fixture(params=TARGETS)
def root(request: pytest.FixtureRequest, dev_server: ServerProcess, openbao: OpenBao):
    """A root hvac client for the server under test."""
    if request.param == "sealkeep":
        return dev_server.client()
    return openbao.client()


@pytest.fixture
def userpass(root: hvac.Client, unique: str) -> Iterator[str]:
    """A fresh userpass mount with user `bob`, locked out after 2 failures."""
    root.sys.enable_auth_method("userpass", path=unique)
    root.auth.userpass.create_or_update_user("bob", password=RIGHT, mount_point=unique)
    tune(root, unique, lockout_threshold=2, lockout_duration="1h")
    yield unique
    root.sys.disable_auth_method(unique)


def tune(client: hvac.Client, mount: str, **config: object) -> None:
    """POST sys/auth/<mount>/tune with a user_lockout_config."""
    client.sys.tune_auth_method(mount, user_lockout_config=config)


def login(client: hvac.Client, mount: str, password: str) -> hvac.Client:
    """A userpass login as bob from a fresh client (the root client keeps its token)."""
    fresh = hvac.Client(url=client.url)
    fresh.auth.userpass.login("bob", password, mount_point=mount)
    return fresh


def accessor_of(client: hvac.Client, mount: str) -> str:
    return client.sys.list_auth_methods()["data"][f"{mount}/"]["accessor"]


def test_repeated_failures_lock_the_user_out_even_with_the_right_password(
    root: hvac.Client, userpass: str
) -> None:
    for _ in range(2):
        with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid username or password"):
            login(root, userpass, "wrong")
    with pytest.raises(hvac.exceptions.Forbidden) as refused:
        login(root, userpass, RIGHT)
    assert refused.value.errors == ["permission denied"]
    accessor = accessor_of(root, userpass)
    listing = root.read(f"sys/locked-users?mount_accessor={accessor}")["data"]
    [namespace] = listing["by_namespace"]
    assert namespace["mount_accessors"] == [
        {"mount_accessor": accessor, "counts": 1, "alias_identifiers": ["bob"]}
    ]
    root.write(f"sys/locked-users/{accessor}/unlock/bob")
    assert login(root, userpass, RIGHT).is_authenticated()


def test_unknown_users_are_never_locked(root: hvac.Client, userpass: str) -> None:
    for _ in range(4):
        with pytest.raises(hvac.exceptions.InvalidRequest):
            root.auth.userpass.login("ghost", "wrong", mount_point=userpass)
    accessor = accessor_of(root, userpass)
    listing = root.read(f"sys/locked-users?mount_accessor={accessor}")["data"]
    assert listing["by_namespace"][0]["mount_accessors"][0]["counts"] == 0


def test_tune_reads_back_and_merges(root: hvac.Client, userpass: str) -> None:
    tune(root, userpass, lockout_disable=True)
    tuned = root.sys.read_auth_method_tuning(userpass)["data"]
    assert tuned["user_lockout_threshold"] == 2, "fields not sent keep their value"
    assert tuned["user_lockout_duration"] == 3600
    assert tuned["user_lockout_disable"] is True
    listed = root.sys.list_auth_methods()["data"][f"{userpass}/"]["config"]
    assert listed["user_lockout_config"]["user_lockout_threshold"] == 2
    for _ in range(3):
        with pytest.raises(hvac.exceptions.InvalidRequest):
            login(root, userpass, "wrong")
    assert login(root, userpass, RIGHT).is_authenticated(), "disabled: never locked"


def test_lockout_config_is_refused_where_vault_refuses_it(root: hvac.Client, userpass: str) -> None:
    with pytest.raises(hvac.exceptions.InvalidRequest, match="user lockout threshold"):
        tune(root, userpass, lockout_threshold="abc")
    with pytest.raises(hvac.exceptions.InvalidRequest, match='for auth type "token" not allowed'):
        tune(root, "token", lockout_threshold=3)


def test_approle_role_id_is_locked_out(vault: hvac.Client, unique: str) -> None:
    vault.sys.enable_auth_method("approle", path=unique)
    try:
        tune(vault, unique, lockout_threshold=3)
        vault.auth.approle.create_or_update_approle("svc", mount_point=unique)
        role_id = vault.auth.approle.read_role_id("svc", mount_point=unique)["data"]["role_id"]
        secret_id = vault.auth.approle.generate_secret_id("svc", mount_point=unique)["data"][
            "secret_id"
        ]
        fresh = hvac.Client(url=vault.url)
        for _ in range(3):
            with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid role or secret ID"):
                fresh.auth.approle.login(role_id, "not-the-secret-id", mount_point=unique)
        with pytest.raises(hvac.exceptions.Forbidden):
            fresh.auth.approle.login(role_id, secret_id, mount_point=unique)
        listing = vault.read("sys/locked-users")["data"]
        accessor = accessor_of(vault, unique)
        found = {
            entry["mount_accessor"]: entry["alias_identifiers"]
            for entry in listing["by_namespace"][0]["mount_accessors"]
        }
        assert found[accessor] == [role_id]
        vault.write(f"sys/locked-users/{accessor}/unlock/{role_id}")
        fresh.auth.approle.login(role_id, secret_id, mount_point=unique)
        assert fresh.is_authenticated(), "the secret ID was not spent while locked"
    finally:
        vault.sys.disable_auth_method(unique)


def test_a_lock_ends_after_its_duration(vault: hvac.Client, unique: str) -> None:
    vault.sys.enable_auth_method("userpass", path=unique)
    try:
        vault.auth.userpass.create_or_update_user("bob", password=RIGHT, mount_point=unique)
        tune(vault, unique, lockout_threshold=1, lockout_duration="1s")
        with pytest.raises(hvac.exceptions.InvalidRequest):
            login(vault, unique, "wrong")
        with pytest.raises(hvac.exceptions.Forbidden):
            login(vault, unique, RIGHT)
        time.sleep(1.5)  # past the configured 1 s lock
        assert login(vault, unique, RIGHT).is_authenticated()
    finally:
        vault.sys.disable_auth_method(unique)


def test_a_lock_survives_restart(tmp_path: Path) -> None:
    server = start_sqlite_server(tmp_path)
    try:
        keys = init_and_unseal(server)
        client = server.client()
        client.sys.enable_auth_method("userpass")
        client.auth.userpass.create_or_update_user("bob", password=RIGHT)
        tune(client, "userpass", lockout_threshold=1)
        with pytest.raises(hvac.exceptions.InvalidRequest):
            login(client, "userpass", "wrong")
    finally:
        server.stop()
    again = start_sqlite_server(tmp_path)
    try:
        again.root_token = server.root_token
        again.client("").sys.submit_unseal_keys(keys[:2])
        with pytest.raises(hvac.exceptions.Forbidden):
            login(again.client(), "userpass", RIGHT)
    finally:
        again.stop()


def test_failures_spread_wider_than_the_counter_reset_never_lock(
    vault: hvac.Client, unique: str
) -> None:
    vault.sys.enable_auth_method("userpass", path=unique)
    try:
        vault.auth.userpass.create_or_update_user("bob", password=RIGHT, mount_point=unique)
        tune(vault, unique, lockout_threshold=2, lockout_counter_reset="1s")
        with pytest.raises(hvac.exceptions.InvalidRequest):
            login(vault, unique, "wrong")
        time.sleep(1.5)  # past the configured 1 s counter reset
        with pytest.raises(hvac.exceptions.InvalidRequest):
            login(vault, unique, "wrong")
        assert login(vault, unique, RIGHT).is_authenticated(), "the count started again"
    finally:
        vault.sys.disable_auth_method(unique)


def test_disabling_a_mount_drops_its_locks(vault: hvac.Client, unique: str) -> None:
    vault.sys.enable_auth_method("userpass", path=unique)
    vault.auth.userpass.create_or_update_user("bob", password=RIGHT, mount_point=unique)
    tune(vault, unique, lockout_threshold=1)
    with pytest.raises(hvac.exceptions.InvalidRequest):
        login(vault, unique, "wrong")
    accessor = accessor_of(vault, unique)
    vault.sys.disable_auth_method(unique)
    listing = vault.read("sys/locked-users")["data"]["by_namespace"][0]["mount_accessors"]
    assert accessor not in [entry["mount_accessor"] for entry in listing]
