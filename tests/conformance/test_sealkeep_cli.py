"""The `sealkeep` CLI's -wrap-ttl and `unwrap`, run against Sealkeep and against OpenBao."""

from __future__ import annotations

from tests.conformance.harness import Observation, Target, assert_same, observe_cli


def test_sealkeep_cli_wraps_and_unwraps(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        assert t.sealkeep("kv", "put", f"secret/{unique}", "colour=blue").exit_code == 0
        got = t.sealkeep("kv", "get", "-wrap-ttl=5m", "-format=json", f"secret/{unique}")
        token = got.json()["wrap_info"]["token"]
        opened = t.sealkeep("unwrap", "-format=json", token)
        again = t.sealkeep("unwrap", token)
        read = t.sealkeep("read", "-wrap-ttl=2m", "-field=wrapping_token", f"secret/data/{unique}")
        as_own = t.sealkeep("unwrap", "-format=json", token=read.stdout)
        t.sealkeep("auth", "enable", f"-path={unique}", "approle")
        t.sealkeep("write", f"auth/{unique}/role/r", "token_policies=default")
        secret_id = t.sealkeep(
            "write", "-f", "-wrap-ttl=5m", "-format=json", f"auth/{unique}/role/r/secret-id"
        )
        wrapped = secret_id.json()["wrap_info"]
        opened_id = t.sealkeep("unwrap", "-field=secret_id", wrapped["token"])
        role_id = t.sealkeep("read", "-field=role_id", f"auth/{unique}/role/r/role-id").stdout
        login = t.sealkeep(
            "write", "-format=json", f"auth/{unique}/login",
            f"role_id={role_id}", f"secret_id={opened_id.stdout}",
        )  # fmt: skip
        table = t.sealkeep("kv", "get", "-wrap-ttl=5m", f"secret/{unique}")
        return {
            "kv-get-wrapped": observe_cli(
                got, json_out=True, path=got.json()["wrap_info"]["creation_path"]
            ),
            "unwrap": observe_cli(opened, json_out=True, data=opened.json()["data"]["data"]),
            "unwrap-again": observe_cli(again),
            "read-wrapped": observe_cli(read),
            "unwrap-own-token": observe_cli(as_own, json_out=True),
            "secret-id-wrapped": observe_cli(secret_id, path=wrapped["creation_path"]),
            "secret-id-unwrapped": observe_cli(opened_id),
            "login": observe_cli(login, json_out=True),
            # The table names the wrapping token and never shows the secret's value.
            "table": observe_cli(table, leaks="blue" in table.stdout),
        }

    assert_same("sealkeep-cli-wrapping", scenario, sealkeep, bao)
