"""`sealkeep reconcile` through click, and as a process stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import hvac
import pytest
import requests
from click.testing import CliRunner

from reconciler.cli.reconcile import reconcile
from tests.gitops.reconcile.conftest import Origin
from tests.support.servers import REPO_ROOT, ServerProcess, free_port


@pytest.fixture
def env(origin: Origin, dev_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Origin:
    """VAULT_TOKEN and the repo's age key in the environment, as an operator sets them."""
    monkeypatch.setenv("VAULT_TOKEN", dev_server.root_token)
    monkeypatch.setenv("SOPS_AGE_KEY", origin.repo.key.identity)
    return origin


def _args(origin: Origin, *more: str) -> list[str]:
    return ["--repo", origin.repo.root.as_uri(), "--state-mount", f"{origin.unique}-state",
            "--cache-dir", str(origin.cache), *more]  # fmt: skip


def test_once_applies_then_reports_in_sync(env: Origin, vault: hvac.Client) -> None:
    runner = CliRunner()
    first = runner.invoke(reconcile, _args(env, "--once"))
    assert first.exit_code == 0, first.output
    assert "applied (5 to add" in first.output and "5 applied" in first.output
    assert f"hunter2-{env.unique}" not in first.output
    assert vault.read(f"{env.unique}-kv/data/api/config") is not None
    again = runner.invoke(reconcile, _args(env, "--once", "--dry-run"))
    assert again.exit_code == 0 and ": in-sync (0 to add" in again.output, again.output


def test_once_exits_1_when_the_run_fails(env: Origin) -> None:
    env.configure(f"http://127.0.0.1:{free_port()}")
    env.commit("unreachable store")
    result = CliRunner().invoke(reconcile, _args(env, "--once"))
    assert result.exit_code == 1
    assert "failed: cannot reach" in result.output


def test_bad_options_are_usage_errors(env: Origin) -> None:
    runner = CliRunner()
    assert runner.invoke(reconcile, _args(env, "--interval", "soon")).exit_code == 2
    assert runner.invoke(reconcile, _args(env, "--status-addr", "nowhere")).exit_code == 2


def test_sigterm_stops_the_loop_cleanly(env: Origin) -> None:
    port = free_port()
    code = "from reconciler.cli.reconcile import reconcile; reconcile()"
    args = _args(env, "--interval", "0.2s", "--status-addr", f"127.0.0.1:{port}")
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=REPO_ROOT, env=dict(os.environ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline and process.poll() is None, process.stderr
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "run 1 at" in out and "Status on http://127.0.0.1:" in err
