"""Identity (issue 14): entities, entity aliases, groups and lookups answer as on OpenBao,
logins create an entity per alias, and a policy granted only through a group reaches the
member's token at request time (and leaves it as soon as the membership goes)."""

from __future__ import annotations

from typing import Any

from tests.conformance.harness import (
    Observation,
    Target,
    assert_same,
    observe,
    observe_cli,
    shape_of,
)
from tests.store.auth.support import rsa_key
from tests.store.auth.test_jwt import claims


def _enable_approle(t: Target, path: str) -> str:
    """Mount AppRole at `path`; returns its accessor."""
    t.http("POST", f"sys/auth/{path}", {"type": "approle"})
    return str(t.http("GET", "sys/auth").json()["data"][f"{path}/"]["accessor"])


def _login(t: Target, mount: str, role: str) -> dict[str, Any]:
    """Create an AppRole login for `role` and log in; returns the `auth` block."""
    role_id = t.http("GET", f"auth/{mount}/role/{role}/role-id").json()["data"]["role_id"]
    secret_id = t.http("POST", f"auth/{mount}/role/{role}/secret-id").json()["data"]["secret_id"]
    login = t.http("POST", f"auth/{mount}/login", {"role_id": role_id, "secret_id": secret_id})
    assert login.status_code == 200, login.status_code
    return dict(login.json()["auth"])


def test_entities_and_aliases(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        client = t.client()
        accessor = _enable_approle(t, f"ar-{unique}")
        name = f"alice-{unique}"
        made = t.http("POST", "identity/entity", {"name": name, "policies": ["p1"]})
        entity_id = made.json()["data"]["id"]
        again = t.http("POST", "identity/entity", {"name": name, "metadata": {"team": "a"}})
        t.http("POST", f"identity/entity/id/{entity_id}", {"policies": "p2,p3"})
        alias_body = {"name": f"bob-{unique}", "canonical_id": entity_id}
        alias = t.http("POST", "identity/entity-alias", alias_body | {"mount_accessor": accessor})
        alias_id = alias.json()["data"]["id"]
        same = t.http("POST", "identity/entity-alias", alias_body | {"mount_accessor": accessor})
        read = client.secrets.identity.read_entity(entity_id)
        by_name = t.http("GET", f"identity/entity/name/{name}")
        names = t.http("LIST", "identity/entity/name")
        unnamed = t.http("POST", "identity/entity", {})
        ids = t.client().secrets.identity.list_entities()["data"]
        aliases = t.http("LIST", "identity/entity-alias/id").json()["data"]
        return {
            "create": observe(made, name=made.json()["data"]["name"]),
            "create-same-name": observe(again),
            "alias-create": observe(alias, same=alias.json()["data"]["canonical_id"] == entity_id),
            "alias-again": observe(same),
            "alias-read": observe(t.http("GET", f"identity/entity-alias/id/{alias_id}")),
            "alias-bad-accessor": observe(
                t.http("POST", "identity/entity-alias", {"name": "x", "mount_accessor": "nope"})
            ),
            "alias-bad-id": observe(t.http("POST", "identity/entity-alias/id/nope", {"name": "x"})),
            "read": Observation(
                200,
                values={
                    "policies": read["data"]["policies"],
                    "metadata": read["data"]["metadata"],
                    "aliases": [a["name"] for a in read["data"]["aliases"]],
                    "mount_path": read["data"]["aliases"][0]["mount_path"],
                },
            ),
            "read-by-name": observe(by_name),
            "list-names": observe(names, listed=name in names.json()["data"]["keys"]),
            "list-ids": Observation(
                200,
                values={
                    "listed": entity_id in ids["keys"],
                    "entity-info": shape_of(ids["key_info"][entity_id]),
                    "alias-info": shape_of(aliases["key_info"][alias_id]),
                },
            ),
            "unnamed": observe(unnamed, prefix=unnamed.json()["data"]["name"][:7]),
            "missing": observe(t.http("GET", "identity/entity/name/nobody-at-all")),
            "delete": observe(t.http("DELETE", f"identity/entity/id/{entity_id}")),
            "alias-after-delete": observe(t.http("GET", f"identity/entity-alias/id/{alias_id}")),
            "delete-missing": observe(t.http("DELETE", "identity/entity/id/nope")),
        }

    assert_same("identity-entities", scenario, sealkeep, bao)


def test_groups_and_lookups(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        client = t.client()
        entity = client.secrets.identity.create_or_update_entity(name=f"carol-{unique}")
        entity_id = entity["data"]["id"]
        inner = client.secrets.identity.create_or_update_group(
            name=f"devs-{unique}", policies=["gp"], member_entity_ids=[entity_id]
        )
        inner_id = inner["data"]["id"]
        outer = t.http(
            "POST",
            "identity/group",
            {"name": f"outer-{unique}", "policies": ["op"], "member_group_ids": [inner_id]},
        )
        read = t.http("GET", f"identity/group/name/devs-{unique}")
        member = client.secrets.identity.read_entity(entity_id)["data"]
        found = client.secrets.identity.lookup_entity(name=f"carol-{unique}")
        group = t.http("POST", "identity/lookup/group", {"name": f"outer-{unique}"})
        groups = t.http("LIST", "identity/group/id").json()["data"]
        return {
            "create": observe(outer),
            "read": observe(read, parents=len(read.json()["data"]["parent_group_ids"])),
            "entity-groups": Observation(
                200,
                values={
                    "direct": member["direct_group_ids"] == [inner_id],
                    "inherited": len(member["inherited_group_ids"]),
                    "all": len(member["group_ids"]),
                },
            ),
            "list-groups": Observation(
                200,
                values={
                    "info": groups["key_info"][inner_id],
                    "names": f"devs-{unique}" in t.http("LIST", "identity/group/name").text,
                },
            ),
            "lookup-entity": Observation(200, values={"id": found["data"]["id"] == entity_id}),
            "lookup-group": observe(group, policies=group.json()["data"]["policies"]),
            "lookup-none": observe(
                t.http("POST", "identity/lookup/entity", {"name": "nobody-at-all"})
            ),
            "lookup-no-query": observe(t.http("POST", "identity/lookup/entity", {})),
            "lookup-two-queries": observe(
                t.http("POST", "identity/lookup/entity", {"name": "a", "id": "b"})
            ),
            "bad-member": observe(
                t.http("POST", "identity/group", {"name": "x", "member_entity_ids": ["nope"]})
            ),
            "external-with-members": observe(
                t.http(
                    "POST",
                    "identity/group",
                    {"name": "x", "type": "external", "member_entity_ids": [entity_id]},
                )
            ),
            "group-missing": observe(t.http("GET", "identity/group/name/nobody-at-all")),
            "delete-inner": observe(t.http("DELETE", f"identity/group/id/{inner_id}")),
            "outer-after": Observation(
                200,
                values={
                    "members": t.http("GET", f"identity/group/name/outer-{unique}").json()["data"][
                        "member_group_ids"
                    ],
                    "entity-groups": client.secrets.identity.read_entity(entity_id)["data"][
                        "group_ids"
                    ],
                },
            ),
        }

    assert_same("identity-groups", scenario, sealkeep, bao)


def test_group_policy_reaches_approle_token_at_request_time(
    sealkeep: Target, bao: Target, unique: str
) -> None:
    """A policy granted only through a group lets an AppRole token read a secret; taking
    the entity out of the group takes the access away on the next request."""

    def scenario(t: Target) -> dict[str, Observation]:
        mount, path = f"gr-{unique}", f"secret/data/{unique}/db"
        t.http("POST", path, {"data": {"password": "not-shown"}})
        rule = f'path "{path}" {{ capabilities = ["read"] }}'
        t.http("PUT", f"sys/policies/acl/grp-{unique}", {"policy": rule})
        _enable_approle(t, mount)
        t.http("POST", f"auth/{mount}/role/app", {"token_policies": "default"})
        first = _login(t, mount, "app")
        token, entity_id = first["client_token"], first["entity_id"]
        before = t.http("GET", path, token=token)
        group = t.http(
            "POST",
            "identity/group",
            {
                "name": f"g-{unique}",
                "policies": [f"grp-{unique}"],
                "member_entity_ids": [entity_id],
            },
        )
        group_id = group.json()["data"]["id"]
        granted = t.http("GET", path, token=token)
        looked = t.http("GET", "auth/token/lookup-self", token=token).json()["data"]
        by_accessor = t.http(
            "POST", "sys/capabilities-accessor", {"accessor": first["accessor"], "path": path}
        )
        own = t.http("POST", "sys/capabilities-self", {"path": path}, token=token)
        second = _login(t, mount, "app")
        t.http("POST", f"identity/group/id/{group_id}", {"member_entity_ids": []})
        after = t.http("GET", path, token=token)
        codes = (before.status_code, granted.status_code, after.status_code)
        assert codes == (403, 200, 403), f"{t.name}: {codes}"
        return {
            "entity": Observation(200, values={"has_entity": bool(entity_id)}),
            "before-group": observe(before),
            "with-group": observe(granted),
            "lookup": Observation(
                200,
                values={
                    "identity_policies": looked.get("identity_policies"),
                    "policies": looked["policies"],
                    "entity": looked["entity_id"] == entity_id,
                },
            ),
            "second-login": Observation(
                200,
                values={
                    "same_entity": second["entity_id"] == entity_id,
                    "identity_policies": second.get("identity_policies"),
                    "policies": second["policies"],
                },
            ),
            "after-removal": observe(after),
            "capabilities-accessor": observe(
                by_accessor, caps=by_accessor.json()["data"]["capabilities"]
            ),
            "capabilities-self": observe(own, caps=own.json()["data"]["capabilities"]),
        }

    assert_same("identity-group-policy", scenario, sealkeep, bao)


def test_jwt_groups_claim_joins_external_groups(sealkeep: Target, bao: Target, unique: str) -> None:
    """A JWT login's `groups_claim` makes its entity a member of the external groups whose
    alias names a claimed group; a later login without the group takes the membership away."""
    signer = rsa_key("conformance")

    def scenario(t: Target) -> dict[str, Observation]:
        mount = f"jwt-{unique}"
        t.http("POST", f"sys/auth/{mount}", {"type": "jwt"})
        accessor = str(t.http("GET", "sys/auth").json()["data"][f"{mount}/"]["accessor"])
        t.http("POST", f"auth/{mount}/config", {"jwt_validation_pubkeys": [signer.public_pem()]})
        role = {
            "role_type": "jwt",
            "user_claim": "sub",
            "groups_claim": "groups",
            "bound_audiences": ["sealkeep"],
        }
        t.http("POST", f"auth/{mount}/role/ci", role)
        made = t.http("POST", "identity/group", {"name": f"ext-{unique}", "type": "external",
                                                 "policies": ["ext-policy"]})  # fmt: skip
        group_id = made.json()["data"]["id"]
        alias = {"name": "admins", "mount_accessor": accessor, "canonical_id": group_id}
        alias_made = t.http("POST", "identity/group-alias", alias)
        alias_read = t.http("GET", f"identity/group-alias/id/{alias_made.json()['data']['id']}")
        group_read = t.http("GET", f"identity/group/id/{group_id}")
        found = t.http(
            "POST",
            "identity/lookup/group",
            {"alias_name": "admins", "alias_mount_accessor": accessor},
        )

        def login(groups: object) -> Any:
            token = signer.sign(claims(sub=f"dev-{unique}", groups=groups))
            return t.http("POST", f"auth/{mount}/login", {"role": "ci", "jwt": token})

        joined = login(["admins", "others"])
        group = t.http("GET", f"identity/group/id/{group_id}").json()["data"]
        left = login(["others"])
        after = t.http("GET", f"identity/group/id/{group_id}").json()["data"]
        return {
            "group-alias": observe(alias_made),
            "group-alias-read": observe(alias_read, path=alias_read.json()["data"]["mount_path"]),
            "external-group-read": observe(group_read),
            "lookup-by-alias": observe(found, id=found.json()["data"]["id"] == group_id),
            "group-read": Observation(200, values={"alias": group["alias"]["name"]}),
            "login-joined": observe(
                joined, identity=joined.json()["auth"].get("identity_policies")
            ),
            "member": Observation(200, values={"members": len(group["member_entity_ids"] or [])}),
            "login-left": observe(left, identity=left.json()["auth"].get("identity_policies")),
            "not-member": Observation(200, values={"members": after["member_entity_ids"]}),
            "bad-groups": observe(login({"not": "a list"})),
        }

    assert_same("identity-external-groups", scenario, sealkeep, bao)


def test_bao_cli_identity_commands(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        name = f"cli-{unique}"
        made = t.cli("write", "-format=json", "identity/entity", f"name={name}",
                     "policies=a,b", "metadata=team=payments", "metadata=tier=1")  # fmt: skip
        read = t.cli("read", "-format=json", f"identity/entity/name/{name}")
        group = t.cli("write", "identity/group", f"name=g-{name}", "policies=gp")
        listed = t.cli("list", "identity/group/name")
        return {
            "write": observe_cli(made),
            "read": observe_cli(
                read,
                policies=read.json()["data"]["policies"],
                metadata=read.json()["data"]["metadata"],
            ),
            "group": observe_cli(group),
            "list": observe_cli(listed, listed=f"g-{name}" in listed.stdout),
            "read-missing": observe_cli(t.cli("read", "identity/entity/name/nobody-at-all")),
        }

    assert_same("identity-cli", scenario, sealkeep, bao)


def test_a_disabled_entity_cannot_log_in_nor_use_its_tokens(
    sealkeep: Target, bao: Target, unique: str
) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        mount = f"dis-{unique}"
        _enable_approle(t, mount)
        t.http("POST", f"auth/{mount}/role/app", {"token_policies": "default"})
        first = _login(t, mount, "app")
        t.http("POST", f"identity/entity/id/{first['entity_id']}", {"disabled": True})
        used = t.http("GET", "auth/token/lookup-self", token=first["client_token"])
        role_id = t.http("GET", f"auth/{mount}/role/app/role-id").json()["data"]["role_id"]
        secret = t.http("POST", f"auth/{mount}/role/app/secret-id").json()["data"]["secret_id"]
        login = t.http("POST", f"auth/{mount}/login", {"role_id": role_id, "secret_id": secret})
        t.http("POST", f"identity/entity/id/{first['entity_id']}", {"disabled": False})
        again = t.http("GET", "auth/token/lookup-self", token=first["client_token"])
        return {
            "token-of-disabled": observe(used, errors=used.json()["errors"]),
            "login-of-disabled": observe(login, errors=login.json()["errors"]),
            "enabled-again": observe(again),
        }

    assert_same("identity-disabled", scenario, sealkeep, bao)
