"""AppRole driven directly: roles, role IDs, secret IDs and logins on real storage."""

from __future__ import annotations

import json
import threading
import time

import pytest

from reconciler.store.auth.approle import AppRoleBackend
from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.logical import Auth, Operation
from tests.store.auth.support import Mounted, mount


@pytest.fixture
def approle() -> Mounted:
    m = mount(AppRoleBackend)
    m.write("role/App", token_policies="app,Shared", token_ttl="1h", secret_id_num_uses=0)
    return m


def role_id(m: Mounted, name: str = "app") -> str:
    resp = m.read(f"role/{name}/role-id")
    assert resp is not None and resp.data is not None
    return str(resp.data["role_id"])


def new_secret(m: Mounted, name: str = "app", **data: object) -> dict[str, object]:
    resp = m.write(f"role/{name}/secret-id", **data)
    assert resp is not None and resp.data is not None
    return resp.data


def login(m: Mounted, rid: str, sid: str | None, addr: str = "127.0.0.1") -> Auth:
    resp = m.write("login", addr=addr, role_id=rid, secret_id=sid)
    assert resp is not None and resp.auth is not None
    return resp.auth


def test_role_read_has_vault_shape(approle: Mounted) -> None:
    resp = approle.read("role/app")
    assert resp is not None
    assert resp.data == {
        "bind_secret_id": True,
        "local_secret_ids": False,
        "secret_id_bound_cidrs": None,  # as OpenBao reads an unset list back
        "secret_id_num_uses": 0,
        "secret_id_ttl": 0,
        "token_bound_cidrs": [],
        "token_explicit_max_ttl": 0,
        "token_max_ttl": 0,
        "token_no_default_policy": False,
        "token_num_uses": 0,
        "token_period": 0,
        "token_policies": ["app", "shared"],
        "token_ttl": 3600,
        "token_type": "default",
    }


def test_role_names_are_case_insensitive_and_listed(approle: Mounted) -> None:
    assert approle.read("role/APP") is not None
    approle.write("role/other", secret_id_ttl="10m")
    resp = approle.call(Operation.LIST, "role/")
    assert resp is not None and resp.data == {"keys": ["app", "other"]}


def test_update_keeps_unspecified_fields(approle: Mounted) -> None:
    approle.write("role/app", secret_id_ttl=60)
    resp = approle.read("role/app")
    assert resp is not None and resp.data is not None
    assert resp.data["token_ttl"] == 3600 and resp.data["secret_id_ttl"] == 60


def test_legacy_policies_field_is_shown_back(approle: Mounted) -> None:
    approle.write("role/legacy", policies="a,b", period="30m")
    resp = approle.read("role/legacy")
    assert resp is not None and resp.data is not None
    assert resp.data["policies"] == resp.data["token_policies"] == ["a", "b"]
    assert resp.data["period"] == resp.data["token_period"] == 1800


def test_unknown_role_read_and_list_are_404() -> None:
    m = mount(AppRoleBackend)
    with pytest.raises(NotFound):
        m.read("role/none")
    with pytest.raises(NotFound):
        m.call(Operation.LIST, "role/")


def test_role_needs_a_constraint() -> None:
    m = mount(AppRoleBackend)
    with pytest.raises(BadRequest, match="at least one constraint should be enabled on the role"):
        m.write("role/loose", bind_secret_id=False)
    m.write("role/netonly", bind_secret_id=False, secret_id_bound_cidrs="10.0.0.0/8")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("secret_id_num_uses", -1, "cannot be negative"),
        ("token_bound_cidrs", "not-a-cidr", "invalid CIDR"),
        ("token_type", "weird", "token_type"),
        ("token_ttl", "forever", "Field validation failed"),
    ],
)
def test_bad_role_fields_change_nothing(
    approle: Mounted, field: str, value: object, message: str
) -> None:
    before = approle.read("role/app")
    with pytest.raises(BadRequest, match=message):
        approle.write("role/app", **{field: value})
    assert approle.read("role/app") == before


def test_role_id_read_write_and_uniqueness(approle: Mounted) -> None:
    approle.write("role/app/role-id", role_id="custom-app-id")
    assert role_id(approle) == "custom-app-id"
    approle.write("role/other", role_id="other-id")
    with pytest.raises(BadRequest, match="role_id already in use"):
        approle.write("role/other/role-id", role_id="custom-app-id")
    sid = new_secret(approle)["secret_id"]
    assert login(approle, "custom-app-id", str(sid)).metadata["role_name"] == "app"


def test_login_returns_the_role_token_settings(approle: Mounted) -> None:
    secret = new_secret(approle, metadata=json.dumps({"env": "prod"}))
    auth = login(approle, role_id(approle), str(secret["secret_id"]))
    assert auth.policies == ["app", "shared"]
    assert auth.ttl == 3600
    assert auth.metadata == {"env": "prod", "role_name": "app"}
    assert auth.alias_name == role_id(approle)
    assert auth.display_name == "approle"


def test_display_name_follows_a_nested_mount() -> None:
    m = mount(AppRoleBackend, "team/approle/")
    m.write("role/x", token_policies="p")
    sid = new_secret(m, "x")["secret_id"]
    assert login(m, role_id(m, "x"), str(sid)).display_name == "team-approle"


def test_secret_id_is_stored_only_as_hmac(approle: Mounted) -> None:
    secret = new_secret(approle)
    stored = b"".join(approle.raw_values())
    assert str(secret["secret_id"]).encode() not in stored
    assert str(secret["secret_id_accessor"]).encode() in stored


def test_generate_response_and_lookup_shape(approle: Mounted) -> None:
    approle.write("role/app", secret_id_ttl="10m", secret_id_num_uses=5)
    secret = new_secret(approle, cidr_list="127.0.0.1/32,10.0.0.0/8", num_uses=2, ttl=60)
    assert set(secret) == {"secret_id", "secret_id_accessor", "secret_id_ttl", "secret_id_num_uses"}
    assert (secret["secret_id_ttl"], secret["secret_id_num_uses"]) == (60, 2)
    resp = approle.write("role/app/secret-id/lookup", secret_id=secret["secret_id"])
    assert resp is not None and resp.data is not None
    assert resp.data["cidr_list"] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert resp.data["secret_id_accessor"] == secret["secret_id_accessor"]
    assert resp.data["expiration_time"].endswith("Z")
    assert set(resp.data) == {
        "secret_id_accessor", "secret_id_num_uses", "secret_id_ttl", "creation_time",
        "expiration_time", "last_updated_time", "metadata", "cidr_list", "token_bound_cidrs",
    }  # fmt: skip


def test_secret_defaults_come_from_the_role(approle: Mounted) -> None:
    approle.write("role/app", secret_id_ttl=120, secret_id_num_uses=3)
    secret = new_secret(approle)
    assert (secret["secret_id_ttl"], secret["secret_id_num_uses"]) == (120, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ttl": 600}, "ttl cannot be longer than the role's secret_id_ttl"),
        ({"num_uses": 9}, "num_uses cannot be higher"),
        ({"num_uses": -1}, "num_uses cannot be negative"),
        ({"metadata": "{not json"}, "failed to parse metadata"),
        ({"metadata": json.dumps({"n": 1})}, "failed to parse metadata"),
        ({"cidr_list": "192.168.0.0/16"}, "failed to verify the CIDR restrictions"),
    ],
)
def test_bad_secret_id_requests(approle: Mounted, data: dict[str, object], message: str) -> None:
    approle.write(
        "role/app", secret_id_ttl=60, secret_id_num_uses=3, secret_id_bound_cidrs="10.0.0.0/8"
    )
    with pytest.raises(BadRequest, match=message):
        new_secret(approle, **data)


def test_generate_for_unknown_role_or_unbound_role(approle: Mounted) -> None:
    with pytest.raises(NotFound, match='role "ghost" does not exist'):
        new_secret(approle, "ghost")
    approle.write("role/nosecret", bind_secret_id=False, secret_id_bound_cidrs="10.0.0.0/8")
    with pytest.raises(BadRequest, match="bind_secret_id is not set on the role"):
        new_secret(approle, "nosecret")


def test_custom_secret_id(approle: Mounted) -> None:
    resp = approle.write("role/app/custom-secret-id", secret_id="my-very-own-secret")
    assert resp is not None and resp.data is not None
    assert resp.data["secret_id"] == "my-very-own-secret"
    with pytest.raises(BadRequest, match="already registered"):
        approle.write("role/app/custom-secret-id", secret_id="my-very-own-secret")
    assert login(approle, role_id(approle), "my-very-own-secret").metadata["role_name"] == "app"


def test_lookup_unknown_is_204_and_destroy(approle: Mounted) -> None:
    assert approle.write("role/app/secret-id/lookup", secret_id="nope") is None
    secret = new_secret(approle)
    assert approle.write("role/app/secret-id/destroy", secret_id=secret["secret_id"]) is None
    assert approle.write("role/app/secret-id/lookup", secret_id=secret["secret_id"]) is None
    with pytest.raises(BadRequest, match="invalid role or secret ID"):
        login(approle, role_id(approle), str(secret["secret_id"]))


def test_accessors_list_lookup_destroy(approle: Mounted) -> None:
    first, second = new_secret(approle), new_secret(approle)
    resp = approle.call(Operation.LIST, "role/app/secret-id")
    assert resp is not None and resp.data is not None
    assert resp.data["keys"] == sorted([first["secret_id_accessor"], second["secret_id_accessor"]])
    found = approle.write(
        "role/app/secret-id-accessor/lookup", secret_id_accessor=first["secret_id_accessor"]
    )
    assert found is not None and found.data is not None
    assert "secret_id" not in found.data
    approle.write(
        "role/app/secret-id-accessor/destroy", secret_id_accessor=first["secret_id_accessor"]
    )
    gone = approle.write(
        "role/app/secret-id-accessor/lookup", secret_id_accessor=first["secret_id_accessor"]
    )
    assert gone is not None and gone.status == 404
    assert gone.data is not None and "failed to find accessor entry" in gone.data["error"]
    with pytest.raises(BadRequest, match="invalid role or secret ID"):
        login(approle, role_id(approle), str(first["secret_id"]))
    login(approle, role_id(approle), str(second["secret_id"]))


def test_secret_ids_are_per_role(approle: Mounted) -> None:
    approle.write("role/other", token_policies="x")
    secret = new_secret(approle, "other")
    with pytest.raises(BadRequest, match="invalid role or secret ID"):
        login(approle, role_id(approle, "app"), str(secret["secret_id"]))


def test_login_bad_input_all_say_the_same(approle: Mounted) -> None:
    secret = new_secret(approle)
    rid = role_id(approle)
    with pytest.raises(BadRequest, match=r"^missing role_id$"):
        approle.write("login", role_id="", secret_id=secret["secret_id"])
    with pytest.raises(BadRequest, match=r"^missing secret_id$"):
        approle.write("login", role_id=rid, secret_id=None)
    messages = []
    for rid_try, sid_try in [("wrong-role-id", secret["secret_id"]), (rid, "wrong-secret")]:
        with pytest.raises(BadRequest) as caught:
            approle.write("login", role_id=rid_try, secret_id=sid_try)
        messages.append(str(caught.value))
        assert "wrong-secret" not in str(caught.value)
    assert messages == ["invalid role or secret ID"] * 2


def test_used_up_secret_id(approle: Mounted) -> None:
    secret = new_secret(approle, num_uses=2)
    rid = role_id(approle)
    login(approle, rid, str(secret["secret_id"]))
    lookup = approle.write("role/app/secret-id/lookup", secret_id=secret["secret_id"])
    assert lookup is not None and lookup.data is not None
    assert lookup.data["secret_id_num_uses"] == 1
    login(approle, rid, str(secret["secret_id"]))
    with pytest.raises(BadRequest, match=r"^invalid role or secret ID$"):
        login(approle, rid, str(secret["secret_id"]))
    assert approle.write("role/app/secret-id/lookup", secret_id=secret["secret_id"]) is None


def test_expired_secret_id(approle: Mounted) -> None:
    secret = new_secret(approle, ttl=1)
    time.sleep(1.1)
    with pytest.raises(BadRequest, match=r"^invalid role or secret ID$"):
        login(approle, role_id(approle), str(secret["secret_id"]))


def test_uses_are_spent_atomically(approle: Mounted) -> None:
    secret = new_secret(approle, num_uses=5)
    rid = role_id(approle)
    outcomes: list[bool] = []

    def attempt() -> None:
        try:
            login(approle, rid, str(secret["secret_id"]))
            outcomes.append(True)
        except BadRequest:
            outcomes.append(False)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(True) == 5


def test_role_cidr_binding(approle: Mounted) -> None:
    approle.write("role/app", secret_id_bound_cidrs="10.1.0.0/16")
    sid = str(new_secret(approle)["secret_id"])
    with pytest.raises(BadRequest, match="unauthorized by CIDR restrictions on the role"):
        login(approle, role_id(approle), sid, addr="192.168.1.5")
    assert login(approle, role_id(approle), sid, addr="10.1.2.3").policies == ["app", "shared"]


def test_secret_id_cidr_failure_does_not_spend_a_use(approle: Mounted) -> None:
    secret = new_secret(
        approle, cidr_list="10.9.0.0/16", num_uses=1, token_bound_cidrs="10.9.0.0/16"
    )
    rid = role_id(approle)
    with pytest.raises(BadRequest, match="CIDR restrictions on the secret ID"):
        login(approle, rid, str(secret["secret_id"]), addr="172.16.0.1")
    auth = login(approle, rid, str(secret["secret_id"]), addr="10.9.0.7")
    assert auth.bound_cidrs == ["10.9.0.0/16"]


def test_role_without_secret_id(approle: Mounted) -> None:
    approle.write("role/net", bind_secret_id=False, secret_id_bound_cidrs="127.0.0.0/8")
    auth = login(approle, role_id(approle, "net"), None)
    assert auth.metadata == {"role_name": "net"}


def test_delete_role_removes_its_secret_ids(approle: Mounted) -> None:
    secret = new_secret(approle)
    rid = role_id(approle)
    approle.call(Operation.DELETE, "role/app")
    with pytest.raises(NotFound):
        approle.read("role/app")
    approle.write("role/app", token_policies="again")
    assert role_id(approle) != rid
    with pytest.raises(BadRequest, match="invalid role or secret ID"):
        login(approle, rid, str(secret["secret_id"]))
    assert not [k for k in approle.raw_values() if b"secret_id_hmac" in k]


def test_field_sub_endpoints(approle: Mounted) -> None:
    resp = approle.read("role/app/token-ttl")
    assert resp is not None and resp.data == {"token_ttl": 3600}
    approle.write("role/app/token-ttl", token_ttl="2h")
    resp = approle.read("role/app/token-ttl")
    assert resp is not None and resp.data == {"token_ttl": 7200}
    approle.call(Operation.DELETE, "role/app/token-ttl")
    resp = approle.read("role/app/policies")
    assert resp is not None and resp.data == {
        "policies": ["app", "shared"],
        "token_policies": ["app", "shared"],
    }
    resp = approle.read("role/app")
    assert resp is not None and resp.data is not None and resp.data["token_ttl"] == 0


def test_tidy_removes_expired_secret_ids(approle: Mounted) -> None:
    new_secret(approle, ttl=1)
    keep = new_secret(approle)
    time.sleep(1.1)
    resp = approle.write("tidy/secret-id")
    assert resp is not None and resp.status == 202 and resp.warnings
    listed = approle.call(Operation.LIST, "role/app/secret-id")
    assert listed is not None and listed.data == {"keys": [keep["secret_id_accessor"]]}


def test_dot_role_names_are_refused() -> None:
    m = mount(AppRoleBackend)
    with pytest.raises(BadRequest, match="invalid role name"):
        m.write("role/..", token_policies="x")
