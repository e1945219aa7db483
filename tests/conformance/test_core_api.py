"""The endpoints the README, the reconciler and the client use, side by side with OpenBao.

Both servers are shared with other tests, so listings are compared by shape and by the
entries this test made, never by everything they hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conformance.harness import Observation, Target, assert_same, observe, shape_of


def _pick(resp_json: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The shapes of some entries of `data` (a listing holds other tests' objects too)."""
    data = resp_json.get("data") or {}
    return {k: shape_of(data.get(k)) for k in keys}


def test_kv_v2_and_v1(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        base = f"secret/data/{unique}"
        t.http("POST", f"sys/mounts/{unique}-v1", {"type": "kv"})
        v1 = f"{unique}-v1/app"
        written = t.http("POST", base, {"data": {"user": "app"}})
        cas = t.http("POST", base, {"data": {"user": "x"}, "options": {"cas": 0}})
        read = t.http("GET", base)
        meta = t.http("GET", f"secret/metadata/{unique}")
        listed = t.http("LIST", "secret/metadata/")
        deleted = t.http("DELETE", base)
        after = t.http("GET", base)
        undeleted = t.http("POST", f"secret/undelete/{unique}", {"versions": [1]})
        destroyed = t.http("POST", f"secret/destroy/{unique}", {"versions": [1]})
        return {
            "v2-write": observe(written, version=written.json()["data"]["version"]),
            "v2-cas-mismatch": observe(cas),
            "v2-read": observe(read, data=read.json()["data"]["data"]),
            "v2-metadata": observe(meta, current=meta.json()["data"]["current_version"]),
            "v2-list": Observation(listed.status_code, shape_of(listed.json()["data"])),
            "v2-delete": observe(deleted),
            "v2-read-deleted": observe(after),
            "v2-undelete": observe(undeleted),
            "v2-destroy": observe(destroyed),
            "v2-missing": observe(t.http("GET", f"{base}-none")),
            "v1-write": observe(t.http("POST", v1, {"password": "p", "ttl": "1h"})),
            "v1-read": observe(t.http("GET", v1)),
            "v1-list": observe(t.http("LIST", f"{unique}-v1/")),
            "v1-delete": observe(t.http("DELETE", v1)),
            "v1-missing": observe(t.http("GET", v1)),
        }

    assert_same("kv", scenario, sealkeep, bao)


def test_mounts_auth_and_tune(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        enabled = t.http("POST", f"sys/mounts/{unique}", {"type": "kv-v2"})
        again = t.http("POST", f"sys/mounts/{unique}", {"type": "kv-v2"})
        mounts = t.http("GET", "sys/mounts")
        auth_on = t.http("POST", f"sys/auth/{unique}", {"type": "approle"})
        auths = t.http("GET", "sys/auth")
        return {
            "enable": observe(enabled),
            "enable-again": observe(again),
            "list": Observation(
                mounts.status_code, _pick(mounts.json(), "sys/", "cubbyhole/", f"{unique}/")
            ),
            "read-one": observe(t.http("GET", f"sys/mounts/{unique}")),
            "tune-read": observe(t.http("GET", f"sys/mounts/{unique}/tune")),
            "bad-type": observe(t.http("POST", f"sys/mounts/{unique}-x", {"type": "nope"})),
            "auth-enable": observe(auth_on),
            "auth-list": Observation(auths.status_code, _pick(auths.json(), f"{unique}/")),
            "auth-tune-read": observe(t.http("GET", f"sys/auth/{unique}/tune")),
            "disable": observe(t.http("DELETE", f"sys/mounts/{unique}")),
            "auth-disable": observe(t.http("DELETE", f"sys/auth/{unique}")),
        }

    assert_same("mounts", scenario, sealkeep, bao)


def test_policies(sealkeep: Target, bao: Target, unique: str) -> None:
    text = 'path "secret/data/x" {\n  capabilities = ["read"]\n}\n'

    def scenario(t: Target) -> dict[str, Observation]:
        return {
            "write": observe(t.http("PUT", f"sys/policy/{unique}", {"policy": text})),
            "read": observe(t.http("GET", f"sys/policy/{unique}")),
            "acl-read": observe(t.http("GET", f"sys/policies/acl/{unique}")),
            "acl-list": Observation(t.http("LIST", "sys/policies/acl").status_code),
            "list": Observation(t.http("GET", "sys/policy").status_code),
            "bad-hcl": observe(t.http("PUT", f"sys/policy/{unique}-bad", {"policy": "path {"})),
            "default-delete": observe(t.http("DELETE", "sys/policy/default")),
            "delete": observe(t.http("DELETE", f"sys/policy/{unique}")),
            "missing": observe(t.http("GET", f"sys/policy/{unique}")),
        }

    assert_same("policies", scenario, sealkeep, bao)


def test_tokens(sealkeep: Target, bao: Target) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        made = t.http("POST", "auth/token/create", {"policies": ["default"], "ttl": "1h"})
        auth = made.json()["auth"]
        token, accessor = auth["client_token"], auth["accessor"]
        return {
            "create": observe(made, policies=auth["policies"], renewable=auth["renewable"]),
            "lookup-self": observe(t.http("GET", "auth/token/lookup-self", token=token)),
            "lookup": observe(t.http("POST", "auth/token/lookup", {"token": token})),
            "lookup-accessor": observe(
                t.http("POST", "auth/token/lookup-accessor", {"accessor": accessor})
            ),
            "renew-self": observe(
                t.http("POST", "auth/token/renew-self", {"increment": "30m"}, token=token)
            ),
            "capabilities-self": observe(
                t.http("POST", "sys/capabilities-self", {"paths": ["secret/data/x"]}, token=token)
            ),
            "denied": observe(t.http("GET", "sys/mounts", token=token)),
            "revoke-accessor": observe(
                t.http("POST", "auth/token/revoke-accessor", {"accessor": accessor})
            ),
            "revoked": observe(t.http("GET", "auth/token/lookup-self", token=token)),
            "bogus": observe(t.http("GET", "auth/token/lookup-self", token="nope")),
        }

    assert_same("tokens", scenario, sealkeep, bao)


def test_approle(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        t.http("POST", f"sys/auth/{unique}", {"type": "approle"})
        role = f"auth/{unique}/role/r"
        written = t.http("POST", role, {"token_policies": "default", "token_ttl": "10m"})
        role_id = t.http("GET", f"{role}/role-id").json()["data"]["role_id"]
        made = t.http("POST", f"{role}/secret-id", {"metadata": '{"app": "x"}'})
        secret_id = made.json()["data"]["secret_id"]
        login = t.http("POST", f"auth/{unique}/login", {"role_id": role_id, "secret_id": secret_id})
        return {
            "role-write": observe(written),
            "role-read": observe(t.http("GET", role)),
            "role-list": observe(t.http("LIST", f"auth/{unique}/role")),
            "secret-id": observe(made),
            "secret-id-lookup": observe(
                t.http("POST", f"{role}/secret-id/lookup", {"secret_id": secret_id})
            ),
            "login": observe(login, ttl=login.json()["auth"]["lease_duration"]),
            "login-bad": observe(
                t.http("POST", f"auth/{unique}/login", {"role_id": role_id, "secret_id": "x"}),
            ),
        }

    assert_same("approle", scenario, sealkeep, bao)


def test_status_audit_and_leases(
    sealkeep: Target, bao: Target, unique: str, tmp_path: Path
) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        audit_file = str(tmp_path / f"{t.name}-audit.log")
        return {
            "audit-enable": observe(
                t.http(
                    "PUT",
                    f"sys/audit/{unique}",
                    {"type": "file", "options": {"file_path": audit_file}},
                )
            ),
            "audit-hash-unknown": observe(
                t.http("PUT", f"sys/audit-hash/{unique}-none", {"input": "x"})
            ),
            "health": observe(t.http("GET", "sys/health")),
            "health-head": Observation(t.http("HEAD", "sys/health").status_code),
            "seal-status": observe(t.http("GET", "sys/seal-status")),
            "key-status": observe(t.http("GET", "sys/key-status")),
            "leader": observe(t.http("GET", "sys/leader")),
            "audit-list": Observation(t.http("GET", "sys/audit").status_code),
            "lease-lookup-bogus": observe(
                t.http("PUT", "sys/leases/lookup", {"lease_id": "secret/nope/x"})
            ),
            "lease-list-empty": observe(t.http("LIST", "sys/leases/lookup/nope/")),
            "lease-revoke-bogus": observe(
                t.http("PUT", "sys/leases/revoke", {"lease_id": "secret/nope/x"})
            ),
            # The shared server must not keep auditing into this test's folder.
            "audit-disable": observe(t.http("DELETE", f"sys/audit/{unique}")),
        }

    assert_same("status", scenario, sealkeep, bao)
