"""Fixtures shared by every test: a sandboxed $HOME and git identity, and real servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest

from tests.support.openbao import OpenBao, start_openbao
from tests.support.servers import ServerProcess, start_dev_server, stop_servers_under


@pytest.fixture(autouse=True)
def sandbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from the real $HOME, git config and Vault env."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.test")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "committer@example.test")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("VAULT_ADDR", "VAULT_TOKEN", "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def reap_servers(tmp_path: Path) -> Iterator[None]:
    """Servers a test started in its own folder stop with it, even when the test failed."""
    yield
    stop_servers_under(tmp_path)


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One in-memory dev server for the session; tests use unique paths to stay apart."""
    server = start_dev_server(tmp_path_factory.mktemp("dev-server"))
    yield server
    server.stop()


@pytest.fixture
def vault(dev_server: ServerProcess) -> hvac.Client:
    """A root hvac client against the shared dev server."""
    return dev_server.client()


@pytest.fixture
def unique() -> str:
    """A short unique name for paths, policies and mounts."""
    return "t" + uuid.uuid4().hex[:10]


def services_required() -> bool:
    """True when CI demands the PostgreSQL/MariaDB services (they must not be skipped)."""
    return os.environ.get("SEALKEEP_REQUIRE_SERVICES") == "1"


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    """One real OpenBao dev server for the session (the API oracle); unique paths keep tests apart."""
    server = start_openbao(tmp_path_factory.mktemp("openbao"))
    yield server
    server.stop()
