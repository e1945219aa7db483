"""What the API cannot show: a wrapped payload lives only in its wrapping token's cubbyhole,
and a token's cubbyhole and lease index leave storage with the token."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.store.core import Core
from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.memory import MemoryStorage


class Store:
    """A dev-mode Core on in-memory storage."""

    def __init__(self) -> None:
        self.core = Core(MemoryStorage())
        self.root = self.core.dev_setup()

    def call(
        self, op: Operation, path: str, data: dict[str, Any] | None = None, **kw: Any
    ) -> Response | None:
        token = kw.pop("token", self.root)
        return self.core.handle(Request(op, path, dict(data or {}), token=token, **kw))

    def cubbyhole_keys(self, id_hash: str) -> list[str]:
        return list(self.core.require_runtime().cubbyhole().view_for(id_hash).walk())

    def hash_of(self, token: str) -> str:
        return self.core.require_runtime().tokens.hash_id(token)


@pytest.fixture
def store() -> Store:
    return Store()


def test_a_wrapped_payload_lives_in_the_wrapping_tokens_cubbyhole_until_unwrapped(
    store: Store,
) -> None:
    store.call(Operation.UPDATE, "secret/data/app", {"data": {"password": "p"}})
    wrapped = store.call(Operation.READ, "secret/data/app", wrap_ttl=300)
    assert wrapped is not None and wrapped.wrap_info is not None and wrapped.data is None
    token = wrapped.wrap_info["token"]
    assert store.cubbyhole_keys(store.hash_of(token)) == ["response", "wrapinfo"]
    opened = store.call(Operation.UPDATE, "sys/wrapping/unwrap", {"token": token})
    assert opened is not None and opened.data is not None
    assert opened.data["data"] == {"password": "p"}
    assert store.cubbyhole_keys(store.hash_of(token)) == []
    with pytest.raises(BadRequest, match="wrapping token is not valid"):
        store.call(Operation.UPDATE, "sys/wrapping/unwrap", {"token": token})


def test_a_tokens_cubbyhole_is_private_and_leaves_with_the_token(store: Store) -> None:
    made = store.call(Operation.UPDATE, "auth/token/create", {"policies": ["default"]})
    assert made is not None and made.auth is not None
    token = made.auth.client_token
    store.call(Operation.UPDATE, "cubbyhole/note", {"k": "v"}, token=token)
    assert store.cubbyhole_keys(store.hash_of(token)) == ["note"]
    with pytest.raises(NotFound):
        store.call(Operation.READ, "cubbyhole/note")  # the root token has its own, empty one
    store.call(Operation.UPDATE, "auth/token/revoke", {"token": token})
    assert store.cubbyhole_keys(store.hash_of(token)) == []


def test_login_tokens_are_leases_and_revoking_the_prefix_revokes_them(store: Store) -> None:
    store.call(Operation.UPDATE, "sys/auth/approle", {"type": "approle"})
    store.call(Operation.UPDATE, "auth/approle/role/r", {"token_policies": "default"})
    role = store.call(Operation.READ, "auth/approle/role/r/role-id")
    made = store.call(Operation.UPDATE, "auth/approle/role/r/secret-id")
    assert role is not None and role.data and made is not None and made.data
    login = store.call(
        Operation.UPDATE,
        "auth/approle/login",
        {"role_id": role.data["role_id"], "secret_id": made.data["secret_id"]},
        token="",
    )
    assert login is not None and login.auth is not None
    token = login.auth.client_token
    listed = store.call(Operation.LIST, "sys/leases/lookup/auth/approle/login/")
    assert listed is not None and listed.data == {"keys": [f"h{store.hash_of(token)}"]}
    store.call(Operation.UPDATE, "sys/leases/revoke-prefix/auth/approle/login")
    assert store.core.require_runtime().tokens.lookup(token) is None
    tokens = store.core.require_runtime().tokens.storage
    assert list(tokens.walk("lease/auth/approle/")) == []
