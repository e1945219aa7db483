"""Response wrapping end to end: the header, sys/wrapping/*, policies' wrapping TTL bounds,
AppRole's wrapped secret_id (bao, hvac), and the wrapping token's cubbyhole."""

from __future__ import annotations

from tests.conformance.harness import Observation, Target, assert_same, observe, observe_cli

WRAP = {"X-Vault-Wrap-TTL": "5m"}


def _wrap_token(resp_json: dict) -> str:  # type: ignore[type-arg]
    return str(resp_json["wrap_info"]["token"])


def test_wrap_ttl_header_and_sys_wrapping(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        t.http("POST", f"secret/data/{unique}", {"data": {"colour": "blue"}})
        wrapped = t.http("GET", f"secret/data/{unique}", headers=WRAP)
        token = _wrap_token(wrapped.json())
        looked = t.http("POST", "sys/wrapping/lookup", {"token": token}, token="")
        rewrapped = t.http("POST", "sys/wrapping/rewrap", {"token": token})
        new_token = _wrap_token(rewrapped.json())
        old = t.http("POST", "sys/wrapping/unwrap", {"token": token})
        opened = t.http("POST", "sys/wrapping/unwrap", {"token": new_token})
        made = t.http("POST", "sys/wrapping/wrap", {"k": "v"}, headers={"X-Vault-Wrap-TTL": "60"})
        own = t.http("POST", "sys/wrapping/unwrap", token=_wrap_token(made.json()))
        return {
            "wrapped": observe(
                wrapped,
                ttl=wrapped.json()["wrap_info"]["ttl"],
                path=wrapped.json()["wrap_info"]["creation_path"],
            ),
            "lookup": observe(looked, ttl=looked.json()["data"]["creation_ttl"]),
            "rewrap": observe(rewrapped, path=rewrapped.json()["wrap_info"]["creation_path"]),
            "unwrap-rewrapped-old": observe(old),
            "unwrap": observe(opened, data=opened.json()["data"]["data"]),
            "wrap": observe(made, path=made.json()["wrap_info"]["creation_path"]),
            "unwrap-as-own-token": observe(own, data=own.json()["data"]),
            "wrap-without-ttl": observe(t.http("POST", "sys/wrapping/wrap", {"k": "v"})),
            "bad-ttl": observe(
                t.http("GET", f"secret/data/{unique}", headers={"X-Vault-Wrap-TTL": "abc"})
            ),
            "negative-ttl": observe(
                t.http("GET", f"secret/data/{unique}", headers={"X-Vault-Wrap-TTL": "-5"})
            ),
            "zero-ttl": observe(
                t.http("GET", f"secret/data/{unique}", headers={"X-Vault-Wrap-TTL": "0"})
            ),
            "lookup-bogus": observe(t.http("POST", "sys/wrapping/lookup", {"token": "nope"})),
            "unwrap-non-wrapping": observe(
                t.http("POST", "sys/wrapping/unwrap", {"token": t.root_token})
            ),
        }

    assert_same("wrapping", scenario, sealkeep, bao)


def test_wrapped_auth_and_wrapping_ttl_bounds(sealkeep: Target, bao: Target, unique: str) -> None:
    policy = (
        f'path "secret/data/{unique}/bounded" {{\n  capabilities = ["read"]\n'
        '  min_wrapping_ttl = "1m"\n  max_wrapping_ttl = "10m"\n}\n'
    )

    def scenario(t: Target) -> dict[str, Observation]:
        t.http("POST", f"secret/data/{unique}/bounded", {"data": {"v": "1"}})
        t.http("PUT", f"sys/policy/{unique}", {"policy": policy})
        created = t.http("POST", "auth/token/create", {"policies": [unique]}, headers=WRAP)
        opened = t.http("POST", "sys/wrapping/unwrap", {"token": _wrap_token(created.json())})
        user = opened.json()["auth"]["client_token"]
        path = f"secret/data/{unique}/bounded"
        return {
            "token-create": observe(created),
            "unwrapped-auth": observe(opened, policies=opened.json()["auth"]["policies"]),
            "unwrapped": observe(t.http("GET", path, token=user)),
            "too-short": observe(
                t.http("GET", path, token=user, headers={"X-Vault-Wrap-TTL": "30"})
            ),
            "too-long": observe(
                t.http("GET", path, token=user, headers={"X-Vault-Wrap-TTL": "1h"})
            ),
            "in-bounds": observe(t.http("GET", path, token=user, headers=WRAP)),
        }

    assert_same("wrapping-bounds", scenario, sealkeep, bao)


def test_approle_wrapped_secret_id_with_bao_and_hvac(
    sealkeep: Target, bao: Target, unique: str
) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        t.cli("auth", "enable", f"-path={unique}", "approle")
        t.cli("write", f"auth/{unique}/role/r", "token_policies=default")
        role_id = t.cli("read", "-field=role_id", f"auth/{unique}/role/r/role-id").stdout
        wrapped = t.cli(
            "write", "-wrap-ttl=5m", "-format=json", "-f", f"auth/{unique}/role/r/secret-id"
        )
        secret_id = t.cli("unwrap", "-field=secret_id", wrapped.json()["wrap_info"]["token"])
        login = t.cli(
            "write", "-format=json", f"auth/{unique}/login",
            f"role_id={role_id}", f"secret_id={secret_id.stdout}",
        )  # fmt: skip
        client = t.client()
        by_hvac = client.auth.approle.generate_secret_id("r", mount_point=unique, wrap_ttl="5m")
        unwrapped = client.sys.unwrap(by_hvac["wrap_info"]["token"])
        hvac_login = t.client("").auth.approle.login(
            role_id, unwrapped["data"]["secret_id"], mount_point=unique, use_token=False
        )
        return {
            "bao-wrapped": observe_cli(
                wrapped, json_out=True, path=wrapped.json()["wrap_info"]["creation_path"]
            ),
            "bao-unwrap": observe_cli(secret_id),
            "bao-login": observe_cli(login, json_out=True),
            "hvac-wrapped": Observation(200, sorted(by_hvac["wrap_info"])),
            "hvac-login": Observation(200, sorted(hvac_login["auth"])),
        }

    assert_same("approle-wrapped-secret-id", scenario, sealkeep, bao)


def test_cubbyhole_goes_with_its_token(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        token = t.http("POST", "auth/token/create", {"policies": ["default"]}).json()["auth"]
        own = token["client_token"]
        written = t.http("POST", f"cubbyhole/{unique}", {"k": "v"}, token=own)
        listed = t.http("LIST", "cubbyhole/", token=own)
        root_view = t.http("GET", f"cubbyhole/{unique}")
        t.http("POST", "auth/token/revoke-accessor", {"accessor": token["accessor"]})
        return {
            "write": observe(written),
            "list": observe(listed, keys=listed.json()["data"]["keys"]),
            "other-token": observe(root_view),
            "after-revoke": observe(t.http("GET", f"cubbyhole/{unique}", token=own)),
        }

    assert_same("cubbyhole", scenario, sealkeep, bao)
