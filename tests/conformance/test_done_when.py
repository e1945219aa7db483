"""Issue 14's done-when checks, each run with the real `bao` CLI against both servers."""

from __future__ import annotations

from tests.conformance.harness import Observation, Target, assert_same, observe, observe_cli


def _approle(t: Target, mount: str) -> None:
    assert t.cli("auth", "enable", f"-path={mount}", "approle").exit_code == 0
    assert t.cli("write", f"auth/{mount}/role/r", "token_policies=default").exit_code == 0


def test_write_f_creates_an_approle_secret_id(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        _approle(t, unique)
        made = t.cli("write", "-f", "-format=json", f"auth/{unique}/role/r/secret-id")
        rotate = t.cli("write", "-f", "sys/rotate")
        return {"secret-id": observe_cli(made, json_out=True), "rotate": observe_cli(rotate)}

    assert_same("write-f", scenario, sealkeep, bao)


def test_kv_get_wrapped_then_unwrapped_once(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        assert t.cli("kv", "put", f"secret/{unique}", "colour=blue").exit_code == 0
        got = t.cli("kv", "get", "-wrap-ttl=5m", "-format=json", f"secret/{unique}")
        wrap = got.json()["wrap_info"]
        looked = t.http("POST", "sys/wrapping/lookup", {"token": wrap["token"]}, token="")
        opened = t.cli("unwrap", "-format=json", wrap["token"])
        again = t.cli("unwrap", wrap["token"])
        return {
            "get": observe_cli(got, json_out=True, ttl=wrap["ttl"], path=wrap["creation_path"]),
            "lookup": observe(looked, path=looked.json()["data"]["creation_path"]),
            "unwrap": observe_cli(opened, json_out=True, data=opened.json()["data"]["data"]),
            "unwrap-again": observe_cli(again),
        }

    assert_same("kv-get-wrapped", scenario, sealkeep, bao)


def test_lease_revoke_prefix_revokes_login_tokens(
    sealkeep: Target, bao: Target, unique: str
) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        _approle(t, unique)
        role_id = t.cli("read", "-field=role_id", f"auth/{unique}/role/r/role-id").stdout
        secret_id = t.cli("write", "-f", "-field=secret_id", f"auth/{unique}/role/r/secret-id")
        login = t.cli(
            "write", "-field=token", f"auth/{unique}/login",
            f"role_id={role_id}", f"secret_id={secret_id.stdout}",
        )  # fmt: skip
        token = login.stdout
        listed = t.http("LIST", f"sys/leases/lookup/auth/{unique}/login/")
        lease_id = f"auth/{unique}/login/{listed.json()['data']['keys'][0]}"
        looked = t.http("PUT", "sys/leases/lookup", {"lease_id": lease_id})
        renew = t.http("PUT", "sys/leases/renew", {"lease_id": lease_id})
        before = t.cli("token", "lookup", token=token)
        revoked = t.cli("lease", "revoke", "-prefix", f"auth/{unique}/login")
        after = t.cli("token", "lookup", token=token)
        gone = t.http("LIST", f"sys/leases/lookup/auth/{unique}/login/")
        return {
            "list": observe(listed, count=len(listed.json()["data"]["keys"])),
            "lookup": observe(looked, renewable=looked.json()["data"]["renewable"]),
            "renew-through-leases": observe(renew),
            "token-before": observe_cli(before),
            "revoke-prefix": observe_cli(revoked),
            "token-after": observe_cli(after),
            "list-after": observe(gone),
        }

    assert_same("lease-revoke-prefix", scenario, sealkeep, bao)


def test_secrets_move(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        assert t.cli("secrets", "enable", f"-path={unique}-a", "kv-v2").exit_code == 0
        assert t.cli("kv", "put", f"{unique}-a/k", "v=1").exit_code == 0
        moved = t.cli("secrets", "move", f"{unique}-a", f"{unique}-b")
        read = t.cli("kv", "get", "-format=json", f"{unique}-b/k")
        old = t.cli("kv", "get", f"{unique}-a/k")
        return {
            "move": observe_cli(moved),
            "read-new": observe_cli(read, json_out=True, data=read.json()["data"]["data"]),
            "read-old": observe_cli(old),
        }

    assert_same("secrets-move", scenario, sealkeep, bao)
