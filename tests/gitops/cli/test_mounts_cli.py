"""`sealkeep secrets ...` and `sealkeep auth ...` against the real dev server."""

from __future__ import annotations

import json

import hvac
import pytest

from tests.gitops.cli.store_cli import env_for, run
from tests.support.servers import ServerProcess


@pytest.fixture
def env(dev_server: ServerProcess) -> dict[str, str]:
    """Root env for the dev server."""
    return env_for(dev_server)


def test_secrets_enable_list_disable(env: dict[str, str], unique: str, vault: hvac.Client) -> None:
    enabled = run(
        ["secrets", "enable", "-path", unique, "-version", "1", "-description", "team kv", "kv"],
        env,
    )
    assert enabled.code == 0, enabled.stderr
    assert f"at: {unique}/" in enabled.stdout
    mount = vault.sys.list_mounted_secrets_engines()["data"][f"{unique}/"]
    assert mount["options"]["version"] == "1" and mount["description"] == "team kv"
    table = run(["secrets", "list"], env)
    assert any(
        line.startswith(f"{unique}/") and "team kv" in line for line in table.stdout.splitlines()
    )
    detailed = run(["secrets", "list", "-detailed"], env)
    assert "Options" in detailed.stdout and "version=1" in detailed.stdout
    listed = json.loads(run(["secrets", "list", "-format", "json"], env).stdout)
    assert f"{unique}/" in listed["data"]
    assert run(["secrets", "disable", unique], env).code == 0
    assert f"{unique}/" not in vault.sys.list_mounted_secrets_engines()["data"]


def test_secrets_enable_with_ttls(env: dict[str, str], unique: str, vault: hvac.Client) -> None:
    result = run(
        [
            "secrets",
            "enable",
            "-path",
            unique,
            "-default-lease-ttl",
            "1h",
            "-max-lease-ttl",
            "2h",
            "kv",
        ],
        env,
    )
    assert result.code == 0, result.stderr
    config = vault.sys.list_mounted_secrets_engines()["data"][f"{unique}/"]["config"]
    assert config["default_lease_ttl"] == 3600 and config["max_lease_ttl"] == 7200
    vault.sys.disable_secrets_engine(unique)


def test_secrets_bad_input(env: dict[str, str], unique: str) -> None:
    unknown = run(["secrets", "enable", "-path", unique, "no-such-engine"], env)
    assert unknown.code == 1
    version = run(["secrets", "enable", "-path", unique, "-version", "2", "database"], env)
    assert version.code == 1 and "-version applies to kv" in version.stderr
    taken = run(["secrets", "enable", "-path", "secret", "kv"], env)
    assert taken.code == 1


def test_auth_enable_list_disable(env: dict[str, str], unique: str, vault: hvac.Client) -> None:
    enabled = run(["auth", "enable", "-path", unique, "userpass"], env)
    assert enabled.code == 0, enabled.stderr
    assert f"{unique}/" in vault.sys.list_auth_methods()["data"]
    table = run(["auth", "list"], env)
    assert any(line.startswith(f"{unique}/") for line in table.stdout.splitlines())
    assert "token/" in table.stdout
    listed = json.loads(run(["auth", "list", "-format", "json", "-detailed"], env).stdout)
    assert listed["data"][f"{unique}/"]["type"] == "userpass"
    assert run(["auth", "disable", f"auth/{unique}"], env).code == 0
    assert f"{unique}/" not in vault.sys.list_auth_methods()["data"]


def test_auth_bad_input_and_forbidden(
    env: dict[str, str], unique: str, dev_server: ServerProcess, vault: hvac.Client
) -> None:
    unknown = run(["auth", "enable", "-path", unique, "no-such-method"], env)
    assert unknown.code == 1
    version = run(["auth", "enable", "-version", "2", "userpass"], env)
    assert version.code == 2 and "No such option" in version.stderr
    weak = vault.auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]
    denied = run(["auth", "list"], env_for(dev_server, weak))
    assert denied.code == 1 and "permission denied" in denied.stderr and "sys/auth" in denied.stderr
