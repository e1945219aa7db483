"""`sealkeep kv ...` against the real dev server (KV v2 at secret/, plus KV v1 mounts)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest

from tests.gitops.cli.store_cli import env_for, run
from tests.support.servers import ServerProcess


@pytest.fixture
def env(dev_server: ServerProcess) -> dict[str, str]:
    """Root env for the dev server."""
    return env_for(dev_server)


@pytest.fixture
def kv1(vault: hvac.Client, unique: str) -> Iterator[str]:
    """A fresh KV v1 mount."""
    vault.sys.enable_secrets_engine("kv", path=unique, options={"version": "1"})
    yield unique
    vault.sys.disable_secrets_engine(unique)


def test_put_get_table_json_and_field(env: dict[str, str], unique: str) -> None:
    put = run(["kv", "put", f"secret/{unique}/db", "user=app", "password=s3cret"], env)
    assert put.code == 0, put.stderr
    assert "version" in put.stdout and "s3cret" not in put.stdout
    table = run(["kv", "get", f"secret/{unique}/db"], env)
    assert "Metadata" in table.stdout and "Data" in table.stdout
    assert "password    s3cret" in table.stdout
    doc = json.loads(run(["kv", "get", "-format", "json", f"secret/{unique}/db"], env).stdout)
    assert doc["data"]["data"] == {"user": "app", "password": "s3cret"}
    field = run(["kv", "get", "-field", "user", f"{unique}/db"], env)
    assert field.stdout == "app"
    missing = run(["kv", "get", "-field", "nope", f"secret/{unique}/db"], env)
    assert missing.code == 1 and "nope" in missing.stderr


def test_mount_option_and_versions(env: dict[str, str], unique: str) -> None:
    path = f"{unique}/app"
    assert run(["kv", "put", "-mount", "secret", path, "a=1"], env).code == 0
    assert run(["kv", "put", "-mount=secret", path, "a=2"], env).code == 0
    old = run(["kv", "get", "-mount", "secret", "-version", "1", "-field", "a", path], env)
    assert old.stdout == "1"
    cas = run(["kv", "put", "-cas", "1", f"secret/{path}", "a=3"], env)
    assert cas.code == 1 and "check-and-set" in cas.stderr.lower()


def test_patch_list_delete_undelete_destroy(env: dict[str, str], unique: str) -> None:
    path = f"secret/{unique}/svc"
    run(["kv", "put", path, "a=1", "b=2"], env)
    patched = run(["kv", "patch", path, "b=3", "c=4"], env)
    assert patched.code == 0, patched.stderr
    data = json.loads(run(["kv", "get", "-format=json", path], env).stdout)["data"]["data"]
    assert data == {"a": "1", "b": "3", "c": "4"}
    listing = run(["kv", "list", f"secret/{unique}"], env)
    assert listing.stdout.splitlines() == ["Keys", "----", "svc"]
    keys = json.loads(run(["kv", "list", "-format", "json", f"secret/{unique}"], env).stdout)
    assert keys["data"]["keys"] == ["svc"]
    assert run(["kv", "delete", path], env).code == 0
    gone = run(["kv", "get", "-format", "json", path], env)
    assert json.loads(gone.stdout)["data"]["data"] is None
    assert run(["kv", "undelete", "-versions", "2", path], env).code == 0
    assert run(["kv", "get", "-field", "c", path], env).stdout == "4"
    assert run(["kv", "destroy", "-versions", "1,2", path], env).code == 0
    meta = json.loads(run(["kv", "metadata", "get", "-format", "json", path], env).stdout)
    assert meta["data"]["versions"]["2"]["destroyed"] is True


def test_metadata_put_get_delete(env: dict[str, str], unique: str) -> None:
    path = f"secret/{unique}/meta"
    run(["kv", "put", path, "a=1"], env)
    put = run(
        ["kv", "metadata", "put", "-max-versions", "3", "-custom-metadata", "owner=team", path],
        env,
    )
    assert put.code == 0, put.stderr
    table = run(["kv", "metadata", "get", path], env)
    assert "max_versions" in table.stdout and "Version 1" in table.stdout
    assert "map[owner:team]" in table.stdout
    assert run(["kv", "metadata", "delete", path], env).code == 0
    gone = run(["kv", "get", path], env)
    assert gone.code == 1 and f"no value found at {path}" in gone.stderr
    empty = run(["kv", "metadata", "put", path], env)
    assert empty.code == 1 and "at least one field" in empty.stderr
    bad = run(["kv", "metadata", "put", "-custom-metadata", "novalue", path], env)
    assert bad.code == 1 and "-custom-metadata" in bad.stderr


def test_values_from_file_stdin_and_json(env: dict[str, str], unique: str, tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text("-----BEGIN KEY-----\nabc\n")
    path = f"secret/{unique}/files"
    assert run(["kv", "put", path, f"pem=@{key_file}", "token=-"], env, stdin="t0k\n").code == 0
    data = json.loads(run(["kv", "get", "-format", "json", path], env).stdout)["data"]["data"]
    assert data == {"pem": "-----BEGIN KEY-----\nabc\n", "token": "t0k"}
    assert run(["kv", "put", path, "-"], env, stdin='{"x": "y"}').code == 0
    assert run(["kv", "get", "-field", "x", path], env).stdout == "y"
    twice = run(["kv", "put", path, "-", "a=-"], env, stdin="{}")
    assert twice.code == 1 and "stdin was already read" in twice.stderr
    not_json = run(["kv", "put", path, "-"], env, stdin="[1]")
    assert not_json.code == 1 and "object" in not_json.stderr
    no_file = run(["kv", "put", path, f"a=@{tmp_path / 'nope'}"], env)
    assert no_file.code == 1 and "cannot read" in no_file.stderr


def test_bad_arguments_name_the_argument(env: dict[str, str], unique: str) -> None:
    result = run(["kv", "put", f"secret/{unique}/x", "ok=1", "hunter2"], env)
    assert result.code == 1
    assert "argument 2" in result.stderr and "hunter2" not in result.stderr
    empty = run(["kv", "put", f"secret/{unique}/x"], env)
    assert empty.code == 1 and "nothing to write" in empty.stderr
    versions = run(["kv", "destroy", "-versions", "x", f"secret/{unique}/x"], env)
    assert versions.code == 1 and "-versions" in versions.stderr
    none = run(["kv", "undelete", f"secret/{unique}/x"], env)
    assert none.code == 1 and "needs -versions" in none.stderr


def test_kv_v1_mount(env: dict[str, str], kv1: str) -> None:
    assert run(["kv", "put", f"{kv1}/a", "k=v"], env).code == 0
    assert run(["kv", "get", "-field", "k", f"{kv1}/a"], env).stdout == "v"
    assert run(["kv", "list", kv1], env).stdout.splitlines()[2:] == ["a"]
    patch = run(["kv", "patch", f"{kv1}/a", "k=w"], env)
    assert patch.code == 1 and "KV version 2" in patch.stderr
    version = run(["kv", "get", "-version", "1", f"{kv1}/a"], env)
    assert version.code == 1 and "-version" in version.stderr
    assert run(["kv", "delete", f"{kv1}/a"], env).code == 0
    assert run(["kv", "get", f"{kv1}/a"], env).code == 1


def test_not_a_kv_mount_and_missing_things(env: dict[str, str], unique: str) -> None:
    sys_mount = run(["kv", "get", "-mount", "cubbyhole", "x"], env)
    assert sys_mount.code == 1
    listing = run(["kv", "list", f"secret/{unique}-none"], env)
    assert listing.code == 1 and "no keys under" in listing.stderr
    patch = run(["kv", "patch", f"secret/{unique}/none", "a=1"], env)
    assert patch.code == 1 and "no value found" in patch.stderr
    # The path is named as given, never with the default mount prefixed twice (issue 13).
    nowhere = run(["kv", "get", "-mount", f"{unique}-gone", "x"], env)
    assert nowhere.code == 1 and f"no KV mount holds '{unique}-gone/x'" in nowhere.stderr


def test_forbidden_names_the_path(dev_server: ServerProcess, vault: hvac.Client) -> None:
    weak = vault.auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]
    result = run(["kv", "get", "secret/locked/x"], env_for(dev_server, weak))
    assert result.code == 1
    assert "permission denied" in result.stderr and "secret/data/locked/x" in result.stderr
