"""auth/token/* over hvac: create, lookup, renew, revoke, orphans, roles, expiry."""

from __future__ import annotations

import time

import hvac
import pytest

from tests.support.servers import ServerProcess

CREATOR = 'path "auth/token/create" { capabilities = ["update"] }'


def _token(vault: hvac.Client, **kwargs: object) -> dict:
    return vault.auth.token.create(**kwargs)["auth"]


def _creator(vault: hvac.Client) -> str:
    """A token whose policy lets it create child tokens (the default policy does not)."""
    vault.sys.create_or_update_policy("token-creator", CREATOR)
    return _token(vault, policies=["token-creator"], ttl="5m")["client_token"]


def test_create_shapes_and_display_name(vault: hvac.Client) -> None:
    auth = _token(vault, policies=["p1"], ttl="10m", meta={"team": "pay"}, display_name="ci job")
    assert auth["client_token"].startswith("hvs.") and len(auth["accessor"]) == 24
    assert auth["policies"] == ["default", "p1"] and auth["token_policies"] == ["default", "p1"]
    assert auth["lease_duration"] == 600 and auth["renewable"] is True and auth["orphan"] is False
    assert auth["metadata"] == {"team": "pay"}
    looked = vault.auth.token.lookup(auth["client_token"])["data"]
    assert looked["display_name"] == "token-ci-job"
    assert looked["path"] == "auth/token/create" and looked["meta"] == {"team": "pay"}
    assert 590 <= looked["ttl"] <= 600


def test_no_default_policy_and_orphan(vault: hvac.Client) -> None:
    auth = _token(vault, policies=["p1"], no_default_policy=True, ttl="1m")
    assert auth["policies"] == ["p1"]
    orphan = vault.auth.token.create_orphan(policies=["p1"], ttl="1m")["auth"]
    assert orphan["orphan"] is True


def test_child_policies_must_be_subset_of_parent(
    dev_server: ServerProcess, vault: hvac.Client
) -> None:
    parent = _creator(vault)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="subset of parent"):
        dev_server.client(parent).auth.token.create(policies=["p2"])


def test_lookup_self_accessor_and_unknown(dev_server: ServerProcess, vault: hvac.Client) -> None:
    auth = _token(vault, policies=["default"], ttl="5m")
    me = dev_server.client(auth["client_token"]).auth.token.lookup_self()["data"]
    assert me["accessor"] == auth["accessor"] and me["id"] == auth["client_token"]
    by_accessor = vault.auth.token.lookup_accessor(auth["accessor"])["data"]
    assert by_accessor["id"] == "" and by_accessor["accessor"] == auth["accessor"]
    with pytest.raises(hvac.exceptions.Forbidden, match="bad token"):
        vault.auth.token.lookup("hvs.doesnotexist000000000000")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid accessor"):
        vault.auth.token.lookup_accessor("nope")


def test_renew_within_max_ttl_warns_when_capped(
    dev_server: ServerProcess, vault: hvac.Client
) -> None:
    auth = _token(vault, policies=["default"], ttl="30s", explicit_max_ttl="60s")
    renewed = vault.auth.token.renew(auth["client_token"], increment="10m")
    assert renewed["auth"]["lease_duration"] <= 60
    assert any("capped" in w for w in renewed["warnings"])
    self_renew = dev_server.client(auth["client_token"]).auth.token.renew_self(increment="20s")
    assert 0 < self_renew["auth"]["lease_duration"] <= 20


def test_root_token_is_not_renewable(vault: hvac.Client) -> None:
    with pytest.raises(hvac.exceptions.InvalidRequest, match="not renewable"):
        vault.auth.token.renew_self()


def test_revoke_takes_the_whole_child_tree(dev_server: ServerProcess, vault: hvac.Client) -> None:
    parent = _creator(vault)
    child = dev_server.client(parent).auth.token.create(ttl="5m")["auth"]["client_token"]
    grandchild = dev_server.client(child).auth.token.create(ttl="5m")["auth"]["client_token"]
    vault.auth.token.revoke(parent)
    for token in (parent, child, grandchild):
        assert dev_server.client(token).is_authenticated() is False


def test_revoke_orphan_keeps_children(dev_server: ServerProcess, vault: hvac.Client) -> None:
    parent = _creator(vault)
    child = dev_server.client(parent).auth.token.create(ttl="5m")["auth"]["client_token"]
    vault.auth.token.revoke_and_orphan_children(parent)
    assert dev_server.client(parent).is_authenticated() is False
    assert dev_server.client(child).is_authenticated() is True
    assert vault.auth.token.lookup(child)["data"]["orphan"] is True


def test_revoke_self_and_accessor(dev_server: ServerProcess, vault: hvac.Client) -> None:
    one = _token(vault, policies=["default"], ttl="5m")
    dev_server.client(one["client_token"]).auth.token.revoke_self()
    assert dev_server.client(one["client_token"]).is_authenticated() is False
    two = _token(vault, policies=["default"], ttl="5m")
    vault.auth.token.revoke_accessor(two["accessor"])
    assert dev_server.client(two["client_token"]).is_authenticated() is False


def test_num_uses_consumes_the_token(dev_server: ServerProcess, vault: hvac.Client) -> None:
    auth = _token(vault, policies=["default"], ttl="5m", num_uses=2)
    client = dev_server.client(auth["client_token"])
    assert client.is_authenticated() is True
    assert client.is_authenticated() is True
    assert client.is_authenticated() is False


def test_expired_token_is_rejected(dev_server: ServerProcess, vault: hvac.Client) -> None:
    auth = _token(vault, policies=["default"], ttl="1s")
    time.sleep(1.5)
    with pytest.raises(hvac.exceptions.Forbidden, match="invalid token"):
        dev_server.client(auth["client_token"]).auth.token.lookup_self()


def test_custom_id_is_root_only_and_validated(
    dev_server: ServerProcess, vault: hvac.Client, unique: str
) -> None:
    auth = vault.auth.token.create(id=f"custom-{unique}", policies=["default"], ttl="1m")["auth"]
    assert auth["client_token"] == f"custom-{unique}"
    with pytest.raises(hvac.exceptions.InvalidRequest):
        vault.auth.token.create(id="hvs.forged", ttl="1m")
    other = _creator(vault)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="root or sudo"):
        dev_server.client(other).auth.token.create(id=f"x{unique}", ttl="1m")


def test_token_roles(vault: hvac.Client, unique: str) -> None:
    vault.auth.token.create_or_update_role(
        unique, allowed_policies=["p1", "p2"], orphan=True, token_period="1h"
    )
    assert unique in vault.auth.token.list_roles()["data"]["keys"]
    auth = vault.auth.token.create(role_name=unique, policies=["p1"])["auth"]
    assert auth["orphan"] is True and auth["policies"] == ["default", "p1"]
    assert vault.auth.token.lookup(auth["client_token"])["data"]["period"] == 3600
    with pytest.raises(hvac.exceptions.InvalidRequest, match="allowed policies"):
        vault.auth.token.create(role_name=unique, policies=["p3"])
    vault.auth.token.delete_role(unique)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="unknown role"):
        vault.auth.token.create(role_name=unique)


def test_list_accessors_needs_sudo(dev_server: ServerProcess, vault: hvac.Client) -> None:
    auth = _token(vault, policies=["default"], ttl="1m")
    assert auth["accessor"] in vault.auth.token.list_accessors()["data"]["keys"]
    with pytest.raises(hvac.exceptions.Forbidden):
        dev_server.client(auth["client_token"]).auth.token.list_accessors()


def test_expired_tokens_are_swept_from_storage(
    dev_server: ServerProcess, vault: hvac.Client
) -> None:
    auth = _token(vault, policies=["default"], ttl="1s")
    accessor = auth["accessor"]
    assert accessor in vault.auth.token.list_accessors()["data"]["keys"]
    deadline = time.monotonic() + 10
    while accessor in vault.auth.token.list_accessors()["data"]["keys"]:
        assert time.monotonic() < deadline, "the background sweep did not remove the expired token"
        time.sleep(0.2)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid accessor"):
        vault.auth.token.lookup_accessor(accessor)
