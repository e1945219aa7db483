"""`sealkeep read|write|delete|list` on any API path, against the real dev server."""

from __future__ import annotations

import json

import pytest

from tests.gitops.cli.store_cli import env_for, run, run_process
from tests.support.servers import ServerProcess


@pytest.fixture
def env(dev_server: ServerProcess) -> dict[str, str]:
    """Root env for the dev server."""
    return env_for(dev_server)


def test_write_read_list_delete(env: dict[str, str], unique: str) -> None:
    path = f"secret/data/{unique}/cfg"
    written = run(["write", path, "-"], env, stdin='{"data": {"host": "db", "port": "5432"}}')
    assert written.code == 0, written.stderr
    assert "version" in written.stdout
    table = run(["read", path], env)
    assert table.code == 0 and "metadata" in table.stdout
    doc = json.loads(run(["read", "-format", "json", path], env).stdout)
    assert doc["data"]["data"] == {"host": "db", "port": "5432"}
    field = run(["read", "-field", "data", path], env)
    assert json.loads(field.stdout) == {"host": "db", "port": "5432"}
    listing = run(["list", f"secret/metadata/{unique}"], env)
    assert listing.stdout.splitlines() == ["Keys", "----", "cfg"]
    assert run(["delete", f"secret/metadata/{unique}/cfg"], env).code == 0
    gone = run(["read", path], env)
    assert gone.code == 1 and "no value found" in gone.stderr


def test_write_to_auth_paths_and_policies(env: dict[str, str], unique: str) -> None:
    policy = 'path "secret/*" { capabilities = ["read"] }'
    assert run(["write", f"sys/policies/acl/{unique}", f"policy={policy}"], env).code == 0
    read = run(["read", "-field", "policy", f"sys/policies/acl/{unique}"], env)
    assert read.stdout == policy
    token = run(["write", "-format", "json", "auth/token/create", f"policies={unique}"], env)
    assert unique in json.loads(token.stdout)["auth"]["policies"]
    table = run(["write", "auth/token/create", "ttl=5m"], env)
    assert "client_token" in table.stdout


def test_bad_input(env: dict[str, str], unique: str) -> None:
    no_eq = run(["write", f"secret/data/{unique}", "data"], env)
    assert no_eq.code == 1 and "argument 1" in no_eq.stderr
    nothing = run(["write", f"secret/data/{unique}"], env)
    assert nothing.code == 1 and "-force" in nothing.stderr
    empty_path = run(["read", "/"], env)
    assert empty_path.code == 1 and "API path" in empty_path.stderr
    missing = run(["list", f"secret/metadata/{unique}-none"], env)
    assert missing.code == 1 and "no keys under" in missing.stderr
    no_route = run(["read", f"{unique}/nowhere"], env)
    assert no_route.code == 1
    field = run(["read", "-field", "nope", "sys/policies/acl/default"], env)
    assert field.code == 1 and "'nope'" in field.stderr


def test_write_force_with_no_data(env: dict[str, str]) -> None:
    result = run(["write", "-force", "auth/token/create"], env)
    assert result.code == 0, result.stderr


def test_forbidden_and_bad_token(dev_server: ServerProcess) -> None:
    bad = run(["read", "secret/data/x"], env_for(dev_server, "hvs.bogus"))
    assert bad.code == 1 and "permission denied" in bad.stderr and "secret/data/x" in bad.stderr


def test_console_entry_round_trip(dev_server: ServerProcess, unique: str) -> None:
    env = env_for(dev_server)
    path = f"secret/{unique}/e2e"
    put = run_process(["kv", "put", path, "password=-"], env, stdin="pa55\n")
    assert put.code == 0, put.stderr
    got = run_process(["kv", "get", "-field", "password", path], env)
    assert got.code == 0 and got.stdout == "pa55"
    denied = run_process(["read", "sys/mounts"], env_for(dev_server, "hvs.bogus"))
    assert denied.code == 1 and "permission denied" in denied.stderr
    usage = run_process(["write", path.replace("secret/", "secret/data/"), "pa55"], env)
    assert usage.code == 1 and "pa55" not in usage.stderr
