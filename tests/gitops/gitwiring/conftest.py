"""A basic repo (real SOPS files) committed to a real Git repo, and the reconcile commands
run through click against the shared dev server, each test with its own state mount."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import git
import pytest
from click.testing import CliRunner, Result

from tests.conftest import ServerProcess
from tests.gitops.plan.repo import Repo, basic_repo

COMMANDS = (
    ("reconciler.cli.validate", "validate"),
    ("reconciler.cli.plan", "plan"),
    ("reconciler.cli.apply", "apply"),
    ("reconciler.cli.drift", "drift"),
)


def command_group() -> click.Group:
    """A group with the reconcile commands, as the main COMMANDS table registers them."""
    group = click.Group()
    for module, attribute in COMMANDS:
        group.add_command(getattr(importlib.import_module(module), attribute))
    return group


def commit_all(repo: git.Repo, message: str) -> str:
    """Stage everything in the work tree, commit it, and return the SHA."""
    repo.git.add(A=True)
    return repo.index.commit(message).hexsha


@dataclass
class GitRepo:
    """A basic Sealkeep repo under Git, and a runner for the reconcile commands in it."""

    repo: Repo
    git: git.Repo
    unique: str
    cli: click.Group

    @property
    def root(self) -> Path:
        """The repo root (the work tree's top)."""
        return self.repo.root

    def run(self, *args: str, input: str | None = None) -> Result:
        """Run `sealkeep ARGS` in the repo root."""
        return CliRunner().invoke(self.cli, list(args), input=input, catch_exceptions=False)

    def ok(self, *args: str, codes: Sequence[int] = (0,)) -> Result:
        """Run and require an exit code in `codes`."""
        result = self.run(*args)
        assert result.exit_code in codes, result.output
        return result

    def commit(self, message: str) -> str:
        """Commit every change."""
        return commit_all(self.git, message)


@pytest.fixture
def gitrepo(
    tmp_path: Path, dev_server: ServerProcess, unique: str, monkeypatch: pytest.MonkeyPatch
) -> GitRepo:
    """The basic repo committed on `main`, env pointing at the dev server."""
    repo = basic_repo(tmp_path / "repo", unique)
    created = git.Repo.init(repo.root, initial_branch="main")
    commit_all(created, "initial manifests")
    monkeypatch.setenv("VAULT_ADDR", dev_server.url)
    monkeypatch.setenv("VAULT_TOKEN", dev_server.root_token)
    monkeypatch.setenv("SOPS_AGE_KEY", repo.key.identity)
    monkeypatch.setenv("SEALKEEP_STATE_MOUNT", f"{unique}-state")
    monkeypatch.chdir(repo.root)
    return GitRepo(repo, created, unique, command_group())
