"""sys/ over hvac: mounts, auth methods, policies, capabilities, keyring."""

from __future__ import annotations

import hvac
import pytest
import requests

from tests.support.servers import ServerProcess

APP_POLICY = """
path "secret/data/{name}/*" {{
  capabilities = ["read", "list"]
}}
path "secret/data/{name}/admin" {{
  capabilities = ["deny"]
}}
"""


def test_mounts_enable_tune_list_disable(vault: hvac.Client, unique: str) -> None:
    vault.sys.enable_secrets_engine(
        "kv", path=unique, options={"version": "2"}, description="team kv"
    )
    mounts = vault.sys.list_mounted_secrets_engines()
    assert mounts["data"][f"{unique}/"]["options"] == {"version": "2"}
    assert mounts[f"{unique}/"]["description"] == "team kv", "sys/mounts data is also at top level"
    vault.sys.tune_mount_configuration(unique, default_lease_ttl="1h", max_lease_ttl="2h")
    tuned = vault.sys.read_mount_configuration(unique)["data"]
    assert (tuned["default_lease_ttl"], tuned["max_lease_ttl"]) == (3600, 7200)
    vault.secrets.kv.v2.create_or_update_secret("x", secret={"a": "b"}, mount_point=unique)
    vault.sys.disable_secrets_engine(unique)
    assert f"{unique}/" not in vault.sys.list_mounted_secrets_engines()["data"]
    vault.sys.enable_secrets_engine("kv", path=unique, options={"version": "2"})
    with pytest.raises(hvac.exceptions.InvalidPath):
        vault.secrets.kv.v2.read_secret_version(
            "x", mount_point=unique, raise_on_deleted_version=True
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend_type": "kv", "path": "secret"}, "path is already in use"),
        ({"backend_type": "kv", "path": "secret/nested"}, "path is already in use"),
        ({"backend_type": "kv", "path": "sys/x"}, 'cannot mount "sys/x/"'),
        (
            {"backend_type": "nosuch", "path": "zz-unknown"},
            "plugin not found in the catalog: nosuch",
        ),
        (
            {"backend_type": "database", "path": "zz-db", "options": {"version": "2"}},
            "does not allow setting a version",
        ),
    ],
)
def test_bad_mounts_are_400_and_change_nothing(
    vault: hvac.Client, kwargs: dict, message: str
) -> None:
    before = set(vault.sys.list_mounted_secrets_engines()["data"])
    with pytest.raises(hvac.exceptions.InvalidRequest, match=message):
        vault.sys.enable_secrets_engine(**kwargs)
    assert set(vault.sys.list_mounted_secrets_engines()["data"]) == before


def test_system_mounts_cannot_be_disabled(vault: hvac.Client) -> None:
    with pytest.raises(hvac.exceptions.InvalidRequest):
        vault.sys.disable_secrets_engine("sys")
    with pytest.raises(
        hvac.exceptions.InvalidRequest, match="token credential backend cannot be disabled"
    ):
        vault.sys.disable_auth_method("token")


def test_auth_methods_enable_list_disable(vault: hvac.Client, unique: str) -> None:
    vault.sys.enable_auth_method("userpass", path=unique, description="people")
    methods = vault.sys.list_auth_methods()
    assert methods["data"][f"{unique}/"]["type"] == "userpass"
    assert methods["data"]["token/"]["type"] == "token"
    assert methods["data"][f"{unique}/"]["accessor"].startswith("auth_userpass_")
    vault.sys.disable_auth_method(unique)
    assert f"{unique}/" not in vault.sys.list_auth_methods()["data"]


def test_policy_crud_both_apis(vault: hvac.Client, unique: str) -> None:
    text = APP_POLICY.format(name=unique)
    vault.sys.create_or_update_acl_policy(unique, text)
    assert vault.sys.read_acl_policy(unique)["data"]["policy"] == text
    assert unique in vault.sys.list_acl_policies()["data"]["keys"]
    assert {"root", "default"} <= set(vault.sys.list_acl_policies()["data"]["keys"])
    assert vault.sys.read_policy(unique)["data"]["rules"] == text
    assert vault.get_policy(unique) == text
    vault.sys.delete_acl_policy(unique)
    with pytest.raises(hvac.exceptions.InvalidPath):
        vault.sys.read_acl_policy(unique)


def test_policy_names_are_lower_cased(vault: hvac.Client, unique: str) -> None:
    resp = vault.sys.create_or_update_acl_policy(
        unique.upper(), 'path "x/*" { capabilities = ["read"] }'
    )
    assert resp["warnings"] == [f"policy name was converted to {unique}"]
    assert vault.sys.read_acl_policy(unique)["data"]["name"] == unique


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('path "a" {\n  capabilities = ["read"\n}', "failed to parse policy"),
        ('path "a" { capabilities = ["fly"] }', 'invalid capability "fly"'),
        ('bogus "a" { }', 'invalid key "bogus"'),
        ("", "'policy' parameter not supplied or empty"),
    ],
)
def test_bad_policies_are_400_and_not_stored(
    vault: hvac.Client, unique: str, text: str, message: str
) -> None:
    with pytest.raises(hvac.exceptions.InvalidRequest, match=message):
        vault.sys.create_or_update_acl_policy(unique, text)
    assert unique not in vault.sys.list_acl_policies()["data"]["keys"]


def test_builtin_policies_are_protected(vault: hvac.Client) -> None:
    with pytest.raises(hvac.exceptions.InvalidRequest, match='cannot update "root" policy'):
        vault.sys.create_or_update_acl_policy("root", 'path "x" { capabilities = ["read"] }')
    with pytest.raises(hvac.exceptions.InvalidRequest, match="cannot delete default policy"):
        vault.sys.delete_acl_policy("default")
    with pytest.raises(hvac.exceptions.InvalidRequest, match='cannot delete "root" policy'):
        vault.sys.delete_acl_policy("root")


def test_acl_enforced_with_deny_winning(
    dev_server: ServerProcess, vault: hvac.Client, unique: str
) -> None:
    vault.sys.create_or_update_acl_policy(unique, APP_POLICY.format(name=unique))
    for key in ("db", "admin"):
        vault.secrets.kv.v2.create_or_update_secret(f"{unique}/{key}", secret={"v": key})
    token = vault.auth.token.create(policies=[unique], ttl="5m")["auth"]["client_token"]
    app = dev_server.client(token)
    read = app.secrets.kv.v2.read_secret_version
    assert read(f"{unique}/db", raise_on_deleted_version=True)["data"]["data"] == {"v": "db"}
    with pytest.raises(hvac.exceptions.Forbidden):
        read(f"{unique}/admin", raise_on_deleted_version=True)
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.kv.v2.create_or_update_secret(f"{unique}/db", secret={"v": "x"})
    assert read(f"{unique}/db", raise_on_deleted_version=True)["data"]["metadata"]["version"] == 1


def test_policy_change_applies_to_existing_tokens(
    dev_server: ServerProcess, vault: hvac.Client, unique: str
) -> None:
    vault.secrets.kv.v2.create_or_update_secret(f"{unique}/x", secret={"v": "1"})
    vault.sys.create_or_update_acl_policy(unique, 'path "nothing/*" { capabilities = ["read"] }')
    token = vault.auth.token.create(policies=[unique], ttl="5m")["auth"]["client_token"]
    with pytest.raises(hvac.exceptions.Forbidden):
        dev_server.client(token).secrets.kv.v2.read_secret_version(
            f"{unique}/x", raise_on_deleted_version=True
        )
    vault.sys.create_or_update_acl_policy(unique, APP_POLICY.format(name=unique))
    assert dev_server.client(token).secrets.kv.v2.read_secret_version(
        f"{unique}/x", raise_on_deleted_version=True
    )


def test_create_versus_update_capability(
    dev_server: ServerProcess, vault: hvac.Client, unique: str
) -> None:
    vault.sys.create_or_update_acl_policy(
        unique, f'path "secret/data/{unique}/*" {{ capabilities = ["create"] }}'
    )
    token = vault.auth.token.create(policies=[unique], ttl="5m")["auth"]["client_token"]
    app = dev_server.client(token)
    app.secrets.kv.v2.create_or_update_secret(f"{unique}/new", secret={"v": "1"})
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.kv.v2.create_or_update_secret(f"{unique}/new", secret={"v": "2"})


def test_capabilities_self_and_for_token(
    dev_server: ServerProcess, vault: hvac.Client, unique: str
) -> None:
    vault.sys.create_or_update_acl_policy(unique, APP_POLICY.format(name=unique))
    token = vault.auth.token.create(policies=[unique], ttl="5m")["auth"]["client_token"]
    resp = requests.post(
        f"{dev_server.url}/v1/sys/capabilities-self",
        json={"paths": [f"secret/data/{unique}/db"]},
        headers={"X-Vault-Token": token},
    ).json()
    assert resp["capabilities"] == ["list", "read"]
    assert resp["data"][f"secret/data/{unique}/db"] == ["list", "read"]
    many = vault.sys.get_capabilities(
        paths=[f"secret/data/{unique}/admin", "sys/mounts"], token=token
    )
    assert many["data"][f"secret/data/{unique}/admin"] == ["deny"]
    assert many["data"]["sys/mounts"] == ["deny"]
    assert "capabilities" not in many["data"]
    assert vault.sys.get_capabilities(paths=["anything"])["capabilities"] == ["root"]
    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid token"):
        vault.sys.get_capabilities(paths=["x"], token="hvs.bogus")


def test_key_status_and_rotate_need_sudo(dev_server: ServerProcess, vault: hvac.Client) -> None:
    term = vault.key_status["term"]
    vault.sys.rotate_encryption_key()
    status = vault.key_status
    assert status["term"] == term + 1 and status["install_time"].endswith("Z")
    token = vault.auth.token.create(policies=["default"], ttl="1m")["auth"]["client_token"]
    with pytest.raises(hvac.exceptions.Forbidden):
        dev_server.client(token).sys.rotate_encryption_key()


def test_any_valid_token_can_discover_a_kv_mount(
    dev_server: ServerProcess, vault: hvac.Client
) -> None:
    token = vault.auth.token.create(policies=["default"], ttl="1m")["auth"]["client_token"]
    resp = requests.get(
        f"{dev_server.url}/v1/sys/internal/ui/mounts/secret/app", headers={"X-Vault-Token": token}
    )
    assert resp.status_code == 200
    assert resp.json()["data"]["options"] == {"version": "2"}
    anonymous = requests.get(f"{dev_server.url}/v1/sys/internal/ui/mounts/secret/app")
    assert anonymous.status_code == 403
