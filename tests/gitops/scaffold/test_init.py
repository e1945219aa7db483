"""`sealkeep init`: a new repo that validates and lints clean, its key kept outside it."""

from __future__ import annotations

import stat
from pathlib import Path

import git
import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli.init import init
from reconciler.gitops.lint import lint_repo
from reconciler.gitops.manifests import load_repo
from reconciler.gitops.scaffold import ScaffoldError, init_repo
from reconciler.gitops.sops import decrypt_file
from reconciler.gitops.sops.keysources.age import load_identities


def test_init_writes_a_repo_that_loads_and_lints_clean(tmp_path: Path, sandbox_home: Path) -> None:
    root = tmp_path / "secrets-repo"
    result = init_repo(root)
    assert result.key_file == sandbox_home / ".config" / "sops" / "age" / "keys.txt"
    assert load_repo(root).diagnostics == []
    report = lint_repo(root)
    assert report.findings == (), [str(f) for f in report.findings]
    assert {".sops.yaml", ".gitattributes", ".pre-commit-config.yaml", "sealkeep.yaml"} <= set(
        result.files
    )
    assert result.recipient in (root / ".sops.yaml").read_text()
    assert not result.merge_driver


def test_the_key_is_private_outside_the_repo_and_decrypts_the_secret(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    result = init_repo(root)
    mode = stat.S_IMODE(result.key_file.stat().st_mode)
    assert mode == 0o600
    assert not any("AGE-SECRET-KEY-" in p.read_text() for p in root.rglob("*") if p.is_file())
    doc = decrypt_file(root / "teams/example/secrets/app.sops.yaml", load_identities())
    assert doc.tree["spec"]["data"] == {"api_key": "replace-me"}


def test_a_second_init_appends_a_new_key(tmp_path: Path) -> None:
    first = init_repo(tmp_path / "one")
    second = init_repo(tmp_path / "two")
    assert first.key_file == second.key_file
    assert len(load_identities()) == 2
    assert first.recipient != second.recipient


def test_init_refuses_an_existing_repo_and_a_key_inside_it(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init_repo(root)
    with pytest.raises(ScaffoldError, match=r"already holds .*sealkeep\.yaml"):
        init_repo(root)
    with pytest.raises(ScaffoldError, match="keep private keys out of the repo"):
        init_repo(tmp_path / "other", key_file=tmp_path / "other" / "keys.txt")
    assert not (tmp_path / "other").exists()


def test_init_in_a_git_repo_configures_the_merge_driver(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "g", initial_branch="main")
    result = init_repo(tmp_path / "g", key_file=tmp_path / "keys.txt")
    assert result.merge_driver
    assert repo.config_reader(config_level="repository").get_value('merge "sealkeep"', "driver")
    assert (tmp_path / "g" / ".gitattributes").read_text().count("merge=sealkeep") == 1


def test_the_cli_reports_what_it_created(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "keys.txt"
    result = CliRunner().invoke(init, [str(tmp_path / "new"), "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    assert f"age key appended to {key_file}" in result.output
    assert "AGE-SECRET-KEY" not in result.output
    again = CliRunner().invoke(init, [str(tmp_path / "new"), "--key-file", str(key_file)])
    assert again.exit_code == 1
    assert "already holds" in again.output


def test_saved_plans_are_ignored_and_the_audit_device_writes_no_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root, initial_branch="main")
    init_repo(root, key_file=tmp_path / "keys.txt")
    for name in ("plan.json", "pr-42.plan.json"):  # the README's name and a per-PR one
        (root / name).write_text("{}")
    assert repo.git.status("--porcelain", "--", "plan.json", "pr-42.plan.json") == ""
    devices = [
        doc
        for doc in yaml.safe_load_all((root / "platform/mounts.yaml").read_text())
        if doc["kind"] == "AuditDevice"
    ]
    # A first apply must not need root: nothing is written outside the repo or the user's home.
    assert [d["spec"]["options"]["file_path"] for d in devices] == ["stdout"]
