"""sys/remount, sys/tools/*, sys/host-info, sys/internal/*, path help and mount aliases."""

from __future__ import annotations

import base64

from tests.conformance.harness import Observation, Target, assert_same, observe, shape_of

BUILT_IN = ("secret/", "sys/", "cubbyhole/", "token/")


def test_remount_errors_and_status(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        t.http("POST", f"sys/mounts/{unique}-a", {"type": "kv", "options": {"version": "1"}})
        t.http("POST", f"sys/auth/{unique}-ap", {"type": "approle"})
        t.http("POST", f"auth/{unique}-ap/role/r", {"token_policies": "default"})
        role_id = t.http("GET", f"auth/{unique}-ap/role/r/role-id").json()["data"]["role_id"]
        secret_id = t.http("POST", f"auth/{unique}-ap/role/r/secret-id").json()["data"]["secret_id"]
        login = t.http(
            "POST", f"auth/{unique}-ap/login", {"role_id": role_id, "secret_id": secret_id}
        )
        token = login.json()["auth"]["client_token"]
        moved = t.http("POST", "sys/remount", {"from": f"{unique}-a", "to": f"{unique}-b"})
        status = t.http("GET", f"sys/remount/status/{moved.json()['data']['migration_id']}")
        info = status.json()["data"]["migration_info"]
        return {
            "move": observe(moved),
            "status": observe(status, source=info["source_mount"], target=info["target_mount"]),
            "missing": observe(t.http("POST", "sys/remount", {"from": f"{unique}-zz", "to": "x"})),
            "taken": observe(
                t.http("POST", "sys/remount", {"from": f"{unique}-b", "to": "secret"})
            ),
            "sys": observe(t.http("POST", "sys/remount", {"from": "sys", "to": f"{unique}-s"})),
            "auth-to-secret": observe(
                t.http("POST", "sys/remount", {"from": f"auth/{unique}-ap", "to": f"{unique}-c"})
            ),
            "auth-move": observe(
                t.http(
                    "POST", "sys/remount", {"from": f"auth/{unique}-ap", "to": f"auth/{unique}-aq"}
                )
            ),
            # As OpenBao: the method's roles move with it, its tokens are revoked.
            "role-after-auth-move": observe(t.http("GET", f"auth/{unique}-aq/role/r/role-id")),
            "token-after-auth-move": observe(t.http("GET", "auth/token/lookup-self", token=token)),
        }

    assert_same("remount", scenario, sealkeep, bao)


def test_tools_random_and_hash(sealkeep: Target, bao: Target) -> None:
    hello = base64.b64encode(b"hello").decode()

    def scenario(t: Target) -> dict[str, Observation]:
        hexed = t.http("POST", "sys/tools/random/16", {"format": "hex"})
        hashed = {
            algorithm: t.http("POST", f"sys/tools/hash/{algorithm}", {"input": hello})
            for algorithm in ("sha2-224", "sha2-256", "sha2-512", "sha3-256")
        }
        b64 = t.http("POST", "sys/tools/hash", {"input": hello, "format": "base64"})
        return {
            "random": observe(t.http("POST", "sys/tools/random")),
            "random-hex": observe(hexed, length=len(hexed.json()["data"]["random_bytes"])),
            "random-bad-source": observe(t.http("POST", "sys/tools/random/sha2-256/8")),
            "random-negative": observe(t.http("POST", "sys/tools/random", {"bytes": -1})),
            **{
                f"hash-{name}": observe(resp, sum=resp.json()["data"]["sum"])
                for name, resp in hashed.items()
            },
            "hash-base64": observe(b64, sum=b64.json()["data"]["sum"]),
            "hash-md5": observe(
                t.http("POST", "sys/tools/hash", {"input": hello, "algorithm": "md5"})
            ),
        }

    assert_same("tools", scenario, sealkeep, bao)


def test_host_info_ui_mounts_openapi_and_help(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        host = t.http("GET", "sys/host-info")
        ui = t.http("GET", "sys/internal/ui/mounts")
        anonymous = t.http("GET", "sys/internal/ui/mounts", token="")
        spec = t.http("GET", "sys/internal/specs/openapi")
        t.http("POST", f"secret/data/{unique}", {"data": {"colour": "blue"}})
        helped = t.http("GET", f"secret/data/{unique}?help=1")
        default = t.cli("token", "create", "-policy=default", "-field=token").stdout
        as_default = t.http("GET", "sys/internal/ui/mounts", token=default)
        return {
            # The host's sections, not gopsutil's every counter (see intended differences).
            "host-info": observe(host, sections=sorted(host.json()["data"])),
            "ui-mounts": Observation(
                ui.status_code,
                # Other tests add mounts to the shared servers: compare the built-in ones.
                {
                    "classes": sorted(ui.json()["data"]),
                    "secret/": shape_of(ui.json()["data"]["secret"]["secret/"]),
                    "sys/": shape_of(ui.json()["data"]["secret"]["sys/"]),
                    "cubbyhole/": shape_of(ui.json()["data"]["secret"]["cubbyhole/"]),
                    "token/": shape_of(ui.json()["data"]["auth"]["token/"]),
                },
            ),
            "ui-mounts-anonymous": observe(anonymous, data=anonymous.json()["data"]),
            "ui-mounts-default-token": Observation(
                as_default.status_code,
                None,
                {
                    kind: sorted(p for p in found if p in BUILT_IN)
                    for kind, found in as_default.json()["data"].items()
                },
            ),
            "ui-mount-one": observe(t.http("GET", f"sys/internal/ui/mounts/secret/{unique}")),
            "openapi": Observation(spec.status_code, sorted(spec.json()), {}),
            "help": Observation(helped.status_code, sorted(helped.json()), {}),
            "help-default-token": Observation(
                t.http("GET", f"secret/data/{unique}?help=1", token=default).status_code
            ),
            "help-no-token": observe(t.http("GET", f"secret/data/{unique}?help=1", token="")),
            "help-unrouted": observe(t.http("GET", f"{unique}-none/x?help=1")),
        }

    assert_same("sys-internal", scenario, sealkeep, bao)


def test_generic_is_kv_v1_and_cubbyhole_is_mounted(
    sealkeep: Target, bao: Target, unique: str
) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        enabled = t.cli("secrets", "enable", f"-path={unique}", "generic")
        mount = t.http("GET", f"sys/mounts/{unique}")
        written = t.http("POST", f"{unique}/k", {"v": "1"})
        cubby = t.http("GET", "sys/mounts/cubbyhole")
        put = t.http("POST", f"cubbyhole/{unique}", {"k": "v"})
        read = t.http("GET", f"cubbyhole/{unique}")
        other = t.cli("token", "create", "-policy=default", "-field=token").stdout
        return {
            "enable": Observation(enabled.exit_code),
            "mount": observe(mount, type=mount.json()["data"]["type"]),
            "write": observe(written),
            "read": observe(t.http("GET", f"{unique}/k")),
            "cubbyhole-mount": observe(
                cubby, type=cubby.json()["data"]["type"], local=cubby.json()["data"]["local"]
            ),
            "cubbyhole-write": observe(put),
            "cubbyhole-read": observe(read, data=read.json()["data"]),
            "cubbyhole-other-token": observe(t.http("GET", f"cubbyhole/{unique}", token=other)),
            "cubbyhole-empty-write": observe(t.http("POST", f"cubbyhole/{unique}-e", {})),
            "cubbyhole-unmount": observe(t.http("DELETE", "sys/mounts/cubbyhole")),
        }

    assert_same("generic-cubbyhole", scenario, sealkeep, bao)
