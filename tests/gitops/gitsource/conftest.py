"""Real Git repositories in temporary folders for the gitsource tests."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

POLICY = """apiVersion: sealkeep.io/v1
kind: Policy
metadata:
  name: {name}
spec:
  rules:
    - path: secret/data/{name}/*
      capabilities: [read]
"""


ENGINE = """apiVersion: sealkeep.io/v1
kind: SecretsEngine
metadata: {{name: {name}}}
spec: {{path: {name}, type: kv-v2, description: "engine for {name} with a long description"}}
"""


def write(root: Path, relative: str, text: str) -> Path:
    """Write a file under `root`, creating folders."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def commit_all(repo: git.Repo, message: str) -> git.Commit:
    """Stage everything in the work tree and commit it."""
    repo.git.add(A=True)
    return repo.index.commit(message)


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    """A repo on branch main with one policy committed."""
    top = tmp_path / "repo"
    created = git.Repo.init(top, initial_branch="main")
    write(top, "sealkeep.yaml", "branch: main\nmanifests: [teams]\n")
    write(top, "teams/payments/policy.yaml", POLICY.format(name="payments"))
    commit_all(created, "initial manifests")
    return created


def top(repo: git.Repo) -> Path:
    """The work tree folder of `repo`."""
    return Path(str(repo.working_tree_dir))
