"""The package map holds: a handful of parts, each saying its job and rule, and the import
rules of pyproject.toml hold (a wrong-way import fails this test)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reconciler"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _parts() -> list[Path]:
    return sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    if not LINT_IMPORTS.exists():
        pytest.fail("lint-imports is missing: install the test extra (pip install -e '.[test]')")
    env = {"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_at_most_eight_parts_each_with_its_job_and_rule() -> None:
    parts = _parts()
    assert 3 <= len(parts) <= 8, [p.name for p in parts]
    for part in parts:
        docstring = ast.get_docstring(ast.parse((part / "__init__.py").read_text())) or ""
        assert "Rule:" in docstring, f"{part.name}/__init__.py must say its import rule"


def test_import_rules_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_wrong_way_import_breaks_the_build(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "reconciler", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    barrier = tmp_path / "reconciler" / "store" / "sealing" / "barrier.py"
    barrier.write_text(barrier.read_text() + "\nimport reconciler.server.app  # noqa\n")
    plan = tmp_path / "reconciler" / "gitops" / "plan" / "model.py"
    plan.write_text(plan.read_text() + "\nimport reconciler.gitops.apply.runner  # noqa\n")

    result = _lint_imports(tmp_path)

    assert result.returncode != 0
    assert "reconciler.store.sealing.barrier -> reconciler.server.app" in result.stdout
    assert "reconciler.gitops.plan.model -> reconciler.gitops.apply.runner" in result.stdout
