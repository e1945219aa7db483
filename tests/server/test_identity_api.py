"""Identity on Sealkeep alone: a userpass login's alias is its username, a disabled entity's
tokens are refused, and entities, aliases and group policies survive a restart."""

from __future__ import annotations

import json
from pathlib import Path

import hvac
import hvac.exceptions
import pytest

from tests.support.servers import init_and_unseal, start_sqlite_server


def _auth_accessor(client: hvac.Client, path: str) -> str:
    return str(client.sys.list_auth_methods()["data"][f"{path}/"]["accessor"])


def test_userpass_login_alias_is_the_username(vault: hvac.Client, unique: str) -> None:
    mount = f"up-{unique}"
    vault.sys.enable_auth_method("userpass", path=mount)
    vault.write_data(f"auth/{mount}/users/dana", data={"password": "pw-dana", "policies": "x"})
    user = hvac.Client(url=vault.url)
    first = user.auth.userpass.login("dana", "pw-dana", mount_point=mount)["auth"]
    second = user.auth.userpass.login("dana", "pw-dana", mount_point=mount)["auth"]
    assert first["entity_id"] and first["entity_id"] == second["entity_id"]
    accessor = _auth_accessor(vault, mount)
    found = vault.secrets.identity.lookup_entity(alias_name="dana", alias_mount_accessor=accessor)
    assert found["data"]["id"] == first["entity_id"]
    [alias] = found["data"]["aliases"]
    assert (alias["name"], alias["mount_path"], alias["mount_type"]) == (
        "dana", f"auth/{mount}/", "userpass",
    )  # fmt: skip
    looked = vault.auth.token.lookup(first["client_token"])["data"]
    assert looked["entity_id"] == first["entity_id"]

    vault.secrets.identity.update_entity(first["entity_id"], disabled=True)
    token_client = hvac.Client(url=vault.url, token=first["client_token"])
    with pytest.raises(hvac.exceptions.Forbidden):
        token_client.auth.token.lookup_self()
    vault.secrets.identity.update_entity(first["entity_id"], disabled=False)
    assert token_client.auth.token.lookup_self()["data"]["entity_id"] == first["entity_id"]


def test_identity_and_group_policies_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    server = start_sqlite_server(tmp_path, db)
    try:
        keys = init_and_unseal(server)
        root_token = server.root_token
        root = server.client()
        root.sys.enable_secrets_engine("kv", path="kv", options={"version": "1"})
        root.write_data("kv/app", data={"colour": "blue"})
        root.sys.create_or_update_policy("read-app", 'path "kv/app" { capabilities = ["read"] }')
        root.sys.enable_auth_method("approle")
        root.write_data("auth/approle/role/app", data={"token_policies": "default"})
        role_id = root.read("auth/approle/role/app/role-id")["data"]["role_id"]
        secret_id = root.write_data("auth/approle/role/app/secret-id")["data"]["secret_id"]
        login = hvac.Client(url=server.url).auth.approle.login(role_id, secret_id)["auth"]
        root.secrets.identity.create_or_update_group(
            name="apps", policies=["read-app"], member_entity_ids=[login["entity_id"]]
        )
    finally:
        server.stop()
    server = start_sqlite_server(tmp_path, db)
    try:
        server.client("").sys.submit_unseal_keys(keys[:2])
        app = hvac.Client(url=server.url, token=login["client_token"])
        assert app.read("kv/app")["data"] == {"colour": "blue"}, "the group's policy still applies"
        root = hvac.Client(url=server.url, token=root_token)
        group = root.secrets.identity.read_group_by_name("apps")["data"]
        assert group["member_entity_ids"] == [login["entity_id"]]
        again = hvac.Client(url=server.url).auth.approle.login(role_id, secret_id)
        assert again["auth"]["entity_id"] == login["entity_id"]
        assert again["auth"]["identity_policies"] == ["read-app"]
    finally:
        server.stop()


def test_audit_names_the_entity_and_its_group_policies(
    vault: hvac.Client, tmp_path: Path, unique: str
) -> None:
    log = tmp_path / "audit.log"
    device = f"id-{unique}"
    vault.sys.enable_audit_device("file", path=device, options={"file_path": str(log)})
    try:
        mount = f"ar-{unique}"
        vault.sys.enable_auth_method("approle", path=mount)
        vault.write_data(f"auth/{mount}/role/app", data={"token_policies": "default"})
        role_id = vault.read(f"auth/{mount}/role/app/role-id")["data"]["role_id"]
        secret_id = vault.write_data(f"auth/{mount}/role/app/secret-id")["data"]["secret_id"]
        login = hvac.Client(url=vault.url).auth.approle.login(
            role_id, secret_id, mount_point=mount
        )["auth"]
        vault.secrets.identity.create_or_update_group(
            name=f"g-{unique}", policies=[f"p-{unique}"], member_entity_ids=[login["entity_id"]]
        )
        hvac.Client(url=vault.url, token=login["client_token"]).auth.token.lookup_self()
    finally:
        vault.sys.disable_audit_device(device)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    logins = [e for e in entries if e["type"] == "response" and e["request"]["path"].endswith(
        f"{mount}/login")]  # fmt: skip
    assert logins[0]["response"]["auth"]["entity_id"] == login["entity_id"]
    [lookup] = [e for e in entries if e["type"] == "request"
                and e["request"]["path"] == "auth/token/lookup-self"]  # fmt: skip
    assert lookup["auth"]["entity_id"] == login["entity_id"]
    assert lookup["auth"]["identity_policies"] == [f"p-{unique}"]
    assert f"p-{unique}" in lookup["auth"]["policies"]
