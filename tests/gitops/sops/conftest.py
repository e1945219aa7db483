"""Fixtures for the SOPS tests: real age keys, a sandboxed HOME, the committed sops vectors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyrage import x25519

VECTORS = Path(__file__).resolve().parent / "vectors"


def vectors_dir() -> Path:
    """Files the real sops tool wrote for this project (see vectors/make_vectors.py)."""
    return VECTORS


@dataclass(frozen=True)
class AgeKey:
    """A freshly generated age key pair."""

    identity: str
    recipient: str


def new_key() -> AgeKey:
    """Generate a real age X25519 key pair."""
    identity = x25519.Identity.generate()
    return AgeKey(str(identity), str(identity.to_public()))


@pytest.fixture
def age_key() -> AgeKey:
    """One age key pair."""
    return new_key()


@pytest.fixture
def other_key() -> AgeKey:
    """A second, unrelated age key pair."""
    return new_key()


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """HOME and XDG_CONFIG_HOME in temp folders, no SOPS_AGE_* from the caller's environment."""
    base = tmp_path / "sops-sandbox"
    home = base / "home"
    config = base / "xdg"
    home.mkdir(parents=True)
    config.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    for name in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    work = base / "repo"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


def install_default_key(key: AgeKey) -> Path:
    """Write the key where sops looks by default ($XDG_CONFIG_HOME/sops/age/keys.txt)."""
    import os

    keys = Path(os.environ["XDG_CONFIG_HOME"]) / "sops" / "age" / "keys.txt"
    keys.parent.mkdir(parents=True, exist_ok=True)
    keys.write_text(f"# public key: {key.recipient}\n{key.identity}\n", encoding="utf-8")
    return keys
