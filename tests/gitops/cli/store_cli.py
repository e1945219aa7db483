"""Run `sealkeep` store commands in-process through the real exit-code handler, or as a process.

In-process runs go through `run_with_exit_codes`, as the console entry does, so server errors
show as their message and exit code, exactly as a user sees them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from click.testing import CliRunner

from reconciler.cli.errors import run_with_exit_codes
from reconciler.cli.main import cli
from tests.support.servers import REPO_ROOT, ServerProcess, free_port


@dataclass(frozen=True)
class Outcome:
    """What a run printed and its exit code."""

    code: int
    stdout: str
    stderr: str


def env_for(server: ServerProcess, token: str | None = None) -> dict[str, str]:
    """VAULT_ADDR / VAULT_TOKEN for `server` (root token unless told otherwise)."""
    return {"VAULT_ADDR": server.url, "VAULT_TOKEN": server.root_token if token is None else token}


def unreachable_address() -> str:
    """An http URL on a loopback port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


def run(args: list[str], env: dict[str, str] | None = None, stdin: str | None = None) -> Outcome:
    """Run `sealkeep ARGS` in this process with `env` set and `stdin` as its input."""
    runner = CliRunner()
    saved = sys.argv
    with runner.isolation(input=stdin, env=env) as (out, err, _):
        sys.argv = ["sealkeep", *args]
        try:
            code = run_with_exit_codes(cli)
        finally:
            sys.argv = saved
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return Outcome(code, stdout, stderr)


def run_process(
    args: list[str], env: dict[str, str] | None = None, stdin: str | None = None
) -> Outcome:
    """Run `python -m reconciler.cli.main ARGS` as a real process (the console entry)."""
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "reconciler.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=full_env,
        timeout=60,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)
