"""`sealkeep init`'s scaffold applies on every target (Sealkeep, stock OpenBao, OpenBao with
its audit device in config), and a second plan right after finds nothing to do."""

from __future__ import annotations

from pathlib import Path

import click
import git
import pytest
from click.testing import CliRunner

from reconciler.cli.apply import apply
from reconciler.cli.plan import plan
from reconciler.gitops.scaffold import init_repo
from tests.support.targets import Target


def test_the_scaffold_applies_then_plans_empty(
    tmp_path: Path, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    repo = git.Repo.init(root, initial_branch="main")
    init_repo(root, key_file=tmp_path / "keys.txt")
    repo.git.add(A=True)
    repo.index.commit("sealkeep init")
    monkeypatch.setenv("VAULT_ADDR", target.url)
    monkeypatch.setenv("VAULT_TOKEN", target.root_token)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(tmp_path / "keys.txt"))
    monkeypatch.chdir(root)
    cli = click.Group(commands=[apply, plan])
    applied = CliRunner().invoke(cli, ["apply", "--auto-approve"], catch_exceptions=False)
    assert applied.exit_code == 0, applied.output
    assert "Apply complete" in applied.output
    if target.name == "openbao":  # stock OpenBao: the stdout device belongs in its config
        assert "config   create   AuditDevice/stdout" in applied.output
    second = CliRunner().invoke(cli, ["plan", "--detailed-exitcode"], catch_exceptions=False)
    assert second.exit_code == 0, second.output
