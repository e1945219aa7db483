"""Userpass driven directly: argon2id hashes, same answer for unknown user and bad password."""

from __future__ import annotations

import time

import pytest

from reconciler.store.auth.userpass import UserpassBackend
from reconciler.store.errors import BadRequest, NotFound, PermissionDenied
from reconciler.store.logical import Operation
from tests.store.auth.support import Mounted, mount


@pytest.fixture
def userpass() -> Mounted:
    m = mount(UserpassBackend)
    m.write("users/Alice", password="correct horse", token_policies="dev", token_ttl="30m")
    return m


def test_login_issues_the_user_settings(userpass: Mounted) -> None:
    resp = userpass.write("login/alice", password="correct horse")
    assert resp is not None and resp.auth is not None
    assert resp.auth.policies == ["dev"]
    assert resp.auth.ttl == 1800
    assert resp.auth.metadata == {"username": "alice"}
    assert resp.auth.display_name == "userpass-alice"
    assert resp.auth.alias_name == "alice"


def test_password_is_hashed_with_argon2id_and_never_read_back(userpass: Mounted) -> None:
    stored = b"".join(userpass.raw_values())
    assert b"correct horse" not in stored
    assert b"$argon2id$" in stored
    resp = userpass.read("users/alice")
    assert resp is not None and resp.data is not None
    assert "password" not in resp.data and "password_hash" not in resp.data
    assert resp.data["token_policies"] == ["dev"]


def test_wrong_password_and_unknown_user_look_the_same(userpass: Mounted) -> None:
    messages = []
    for user, password in [("alice", "wrong"), ("mallory", "correct horse")]:
        with pytest.raises(BadRequest) as caught:
            userpass.write(f"login/{user}", password=password)
        messages.append(str(caught.value))
        assert password not in str(caught.value)
    assert messages == ["invalid username or password"] * 2


def test_unknown_user_costs_a_hash_verification(userpass: Mounted) -> None:
    def timed(user: str) -> float:
        start = time.perf_counter()
        with pytest.raises(BadRequest):
            userpass.write(f"login/{user}", password="nope")
        return time.perf_counter() - start

    timed("nobody")  # the dummy hash is made once per process
    known = min(timed("alice") for _ in range(3))
    unknown = min(timed("nobody") for _ in range(3))
    assert unknown > known * 0.5


def test_password_update_and_missing_password(userpass: Mounted) -> None:
    userpass.write("users/alice/password", password="new secret")
    with pytest.raises(BadRequest):
        userpass.write("login/alice", password="correct horse")
    assert userpass.write("login/alice", password="new secret") is not None
    with pytest.raises(BadRequest, match="missing password"):
        userpass.write("users/bob", token_policies="x")
    with pytest.raises(BadRequest, match="missing password"):
        userpass.write("login/alice", password="")
    with pytest.raises(NotFound):
        userpass.write("users/ghost/password", password="x")


def test_update_keeps_password_and_policies_endpoint(userpass: Mounted) -> None:
    userpass.write("users/alice", token_ttl="1h")
    userpass.write("users/alice/policies", policies="ops,dev")
    resp = userpass.write("login/alice", password="correct horse")
    assert resp is not None and resp.auth is not None
    assert resp.auth.ttl == 3600 and resp.auth.policies == ["dev", "ops"]


def test_list_and_delete(userpass: Mounted) -> None:
    userpass.write("users/bob", password="pw")
    resp = userpass.call(Operation.LIST, "users/")
    assert resp is not None and resp.data == {"keys": ["alice", "bob"]}
    userpass.call(Operation.DELETE, "users/bob")
    with pytest.raises(NotFound):
        userpass.read("users/bob")
    with pytest.raises(BadRequest, match="invalid username or password"):
        userpass.write("login/bob", password="pw")


def test_login_outside_bound_cidrs_is_denied(userpass: Mounted) -> None:
    userpass.write("users/alice", token_bound_cidrs="10.0.0.0/8")
    with pytest.raises(PermissionDenied):
        userpass.write("login/alice", addr="192.0.2.1", password="correct horse")
    resp = userpass.write("login/alice", addr="10.2.3.4", password="correct horse")
    assert resp is not None and resp.auth is not None and resp.auth.bound_cidrs == ["10.0.0.0/8"]


def test_legacy_fields_are_accepted(userpass: Mounted) -> None:
    userpass.write("users/carol", password="pw", policies="a", ttl=60, max_ttl=120)
    resp = userpass.read("users/carol")
    assert resp is not None and resp.data is not None
    assert resp.data["policies"] == ["a"] and resp.data["ttl"] == 60
    assert resp.data["token_max_ttl"] == resp.data["max_ttl"] == 120
