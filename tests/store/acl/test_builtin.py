"""The built-in policies parse and grant what Vault's do (§9.7)."""

from __future__ import annotations

from reconciler.store.acl.acl import ACL
from reconciler.store.acl.builtin import (
    BUILTIN_NAMES,
    DEFAULT_POLICY,
    RESPONSE_WRAPPING_POLICY,
)
from reconciler.store.logical import Operation
from reconciler.vocabulary.policy.parser import parse_policy

ENTITY = {"identity.entity.id": "ent-1", "identity.entity.name": "alice"}


def default_acl() -> ACL:
    return ACL([parse_policy("default", DEFAULT_POLICY)], entity=ENTITY)


def test_names() -> None:
    assert set(BUILTIN_NAMES) == {"root", "default", "response-wrapping"}


def test_default_policy_grants() -> None:
    acl = default_acl()
    for path in (
        "auth/token/renew-self",
        "auth/token/revoke-self",
        "sys/capabilities-self",
        "sys/leases/renew",
        "sys/leases/lookup",
        "sys/wrapping/wrap",
        "sys/wrapping/lookup",
        "sys/wrapping/unwrap",
        "sys/tools/hash",
        "sys/tools/hash/sha2-256",
        "sys/control-group/request",
    ):
        assert acl.capabilities(path) == ["update"], path
    for path in (
        "auth/token/lookup-self",
        "sys/internal/ui/resultant-acl",
        "identity/entity/id/ent-1",
        "identity/entity/name/alice",
    ):
        assert acl.capabilities(path) == ["read"], path
    assert acl.capabilities("cubbyhole/x") == ["create", "delete", "list", "read", "update"]
    assert acl.capabilities("identity/oidc/provider/p/authorize") == ["read", "update"]


def test_default_policy_denies_the_rest() -> None:
    acl = default_acl()
    assert acl.capabilities("identity/entity/id/someone-else") == ["deny"]
    assert not acl.check(Operation.READ, "secret/data/x").allowed
    assert not acl.check(Operation.UPDATE, "auth/token/create").allowed


def test_default_without_entity_skips_templated_blocks() -> None:
    acl = ACL([parse_policy("default", DEFAULT_POLICY)])
    assert acl.capabilities("identity/entity/id/") == ["deny"]
    assert acl.capabilities("auth/token/lookup-self") == ["read"]


def test_response_wrapping_policy() -> None:
    acl = ACL([parse_policy("response-wrapping", RESPONSE_WRAPPING_POLICY)])
    assert acl.capabilities("cubbyhole/response") == ["create", "read"]
    assert acl.capabilities("sys/wrapping/unwrap") == ["update"]
    assert acl.capabilities("cubbyhole/other") == ["deny"]
