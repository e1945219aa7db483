"""`sealkeep policy ...` against the real dev server; `policy fmt` on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gitops.cli.store_cli import env_for, run
from tests.support.servers import ServerProcess

POLICY = 'path "secret/data/app/*" {\n  capabilities = ["read", "list"]\n}\n'


@pytest.fixture
def env(dev_server: ServerProcess) -> dict[str, str]:
    """Root env for the dev server."""
    return env_for(dev_server)


def test_write_read_list_delete(env: dict[str, str], unique: str, tmp_path: Path) -> None:
    source = tmp_path / "app.hcl"
    source.write_text(POLICY)
    written = run(["policy", "write", unique, str(source)], env)
    assert written.code == 0, written.stderr
    assert f"Uploaded policy: {unique}" in written.stdout
    assert run(["policy", "read", unique], env).stdout.strip() == POLICY.strip()
    doc = json.loads(run(["policy", "read", "-format", "json", unique], env).stdout)
    assert doc["data"]["name"] == unique
    assert unique in run(["policy", "list"], env).stdout.splitlines()
    listed = json.loads(run(["policy", "list", "-format", "json"], env).stdout)
    assert unique in listed["data"]["keys"]
    assert run(["policy", "delete", unique], env).code == 0
    gone = run(["policy", "read", unique], env)
    assert gone.code == 1 and unique in gone.stderr


def test_write_from_stdin(env: dict[str, str], unique: str) -> None:
    assert run(["policy", "write", unique, "-"], env, stdin=POLICY).code == 0
    assert "capabilities" in run(["policy", "read", unique], env).stdout
    run(["policy", "delete", unique], env)


def test_write_syntax_error_names_the_file(
    env: dict[str, str], unique: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.hcl"
    bad.write_text('path "x" {\n  capabilities = ["read"\n}\n')
    result = run(["policy", "write", unique, str(bad)], env)
    assert result.code == 1
    assert str(bad) in result.stderr
    assert run(["policy", "read", unique], env).code == 1
    missing = run(["policy", "write", unique, str(tmp_path / "none.hcl")], env)
    assert missing.code == 1 and "cannot read" in missing.stderr


def test_forbidden_write(dev_server: ServerProcess, vault: object, unique: str) -> None:
    weak = vault.auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]  # type: ignore[attr-defined]
    result = run(["policy", "write", unique, "-"], env_for(dev_server, weak), stdin=POLICY)
    assert result.code == 1
    assert "permission denied" in result.stderr and f"sys/policies/acl/{unique}" in result.stderr


def test_fmt_rewrites_in_place(tmp_path: Path) -> None:
    source = tmp_path / "messy.hcl"
    source.write_text('path "secret/*" { capabilities = ["read","list"] }\n')
    first = run(["policy", "fmt", str(source)])
    assert first.code == 0, first.stderr
    assert "Formatted" in first.stdout
    assert source.read_text() == 'path "secret/*" {\n  capabilities = ["read", "list"]\n}\n'
    second = run(["policy", "fmt", str(source)])
    assert second.code == 0 and "already canonical" in second.stdout


def test_fmt_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.hcl"
    bad.write_text('path "x" { nope = 1 }\n')
    result = run(["policy", "fmt", str(bad)])
    assert result.code == 1 and str(bad) in result.stderr
    assert bad.read_text() == 'path "x" { nope = 1 }\n'
    missing = run(["policy", "fmt", str(tmp_path / "none.hcl")])
    assert missing.code == 1 and "cannot read" in missing.stderr
