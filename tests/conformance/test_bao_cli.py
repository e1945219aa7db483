"""Everyday `bao` CLI commands against both servers: the exit codes must agree (the HTTP
scenarios compare the bodies; this keeps to a few commands, each run costs a process)."""

from __future__ import annotations

from tests.conformance.harness import Observation, Target, assert_same, observe_cli


def test_everyday_cli_commands(sealkeep: Target, bao: Target, unique: str) -> None:
    def scenario(t: Target) -> dict[str, Observation]:
        commands: dict[str, tuple[str, ...]] = {
            "status": ("status",),
            "secrets-list": ("secrets", "list"),
            "auth-list": ("auth", "list"),
            "policy-list": ("policy", "list"),
            "token-lookup": ("token", "lookup"),
            "key-status": ("operator", "key-status"),
            "kv-put": ("kv", "put", f"secret/{unique}", "a=1"),
            "kv-patch": ("kv", "patch", f"secret/{unique}", "b=2"),
            "kv-get": ("kv", "get", f"secret/{unique}"),
            "kv-metadata-get": ("kv", "metadata", "get", f"secret/{unique}"),
            "kv-delete": ("kv", "delete", f"secret/{unique}"),
            "kv-undelete": ("kv", "undelete", "-versions=2", f"secret/{unique}"),
            "kv-get-missing": ("kv", "get", f"secret/{unique}-none"),
            "secrets-enable": ("secrets", "enable", f"-path={unique}", "kv"),
            "secrets-tune": ("secrets", "tune", "-default-lease-ttl=1h", f"{unique}/"),
            "secrets-disable": ("secrets", "disable", f"{unique}/"),
            "path-help": ("path-help", "secret/"),
            "unknown-path": ("read", f"{unique}-nomount/x"),
        }
        return {name: observe_cli(t.cli(*args)) for name, args in commands.items()}

    assert_same("bao-cli", scenario, sealkeep, bao)
