"""Fixtures for reconcile tests: a real Git repo (origin) holding a basic Sealkeep repo."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git
import pytest
import yaml

from reconciler.gitops.reconcile import ReconcileOptions
from tests.gitops.plan.repo import Repo, basic_repo
from tests.support.servers import ServerProcess


@dataclass
class Origin:
    """A Git repo the reconciler pulls from, with a Sealkeep repo at its top."""

    repo: Repo
    git: git.Repo
    unique: str
    cache: Path
    environ: dict[str, str] = field(default_factory=dict)

    def configure(self, address: str, auth: Mapping[str, Any] | None = None) -> None:
        """Write sealkeep.yaml with one target `dev` at `address`."""
        config = {
            "manifests": ["manifests"],
            "targets": [
                {"name": "dev", "address": address, "auth": dict(auth or {"method": "token"})}
            ],
        }
        (self.repo.root / "sealkeep.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    def commit(self, message: str) -> str:
        """Commit everything on main; returns the SHA."""
        self.git.git.add("--all")
        return self.git.index.commit(message).hexsha

    def options(self, **overrides: Any) -> ReconcileOptions:
        """Options for this origin, state mount and cache; small delays for tests."""
        base: dict[str, Any] = {
            "repo": str(self.repo.root),
            "branch": "main",
            "interval": 0.2,
            "backoff_initial": 0.05,
            "backoff_max": 0.2,
            "state_mount": f"{self.unique}-state",
            "cache_dir": self.cache,
            "identities": self.repo.identities,
            "environ": self.environ,
            "lock_timeout": 5.0,
        }
        base.update(overrides)
        return ReconcileOptions(**base)


@pytest.fixture
def origin(tmp_path: Path, dev_server: ServerProcess, unique: str) -> Origin:
    """The basic repo committed on `main`, targeting the dev server with the root token."""
    repo = basic_repo(tmp_path / "origin", unique)
    handle = git.Repo.init(repo.root, initial_branch="main")
    found = Origin(repo, handle, unique, tmp_path / "cache", {"VAULT_TOKEN": dev_server.root_token})
    found.configure(dev_server.url)
    found.commit("initial manifests")
    return found
