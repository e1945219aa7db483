"""Shared helpers for the manifest tests: case folders and a scratch repo writer."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "cases"
HEADER = "apiVersion: sealkeep.io/v1\n"

WriteFiles = Callable[[dict[str, str]], Path]


def policy_parser_present() -> bool:
    """True once the store's HCL policy parser exists."""
    try:
        return importlib.util.find_spec("reconciler.vocabulary.policy.parser") is not None
    except ModuleNotFoundError:
        return False


def needs_policy_parser(case: Path) -> bool:
    """True when a case folder holds HCL (inline or in a file) that the parser must check."""
    if any(case.rglob("*.hcl")):
        return True
    return any("hcl:" in p.read_text(encoding="utf-8") for p in case.rglob("*.yaml"))


@pytest.fixture
def write_repo(tmp_path: Path) -> WriteFiles:
    """Write {relative path: text} under a fresh repo root and return the root."""

    def write(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            target = tmp_path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return tmp_path

    return write
