"""The README's main command: `sealkeep demo examples/platform` tells the whole story."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.servers import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "platform"


def test_demo_reconciles_logs_in_reads_is_refused_and_audited(tmp_path: Path) -> None:
    env = {**os.environ, "SOPS_AGE_KEY_FILE": str(EXAMPLE / "demo-age-key.txt")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler.cli.main",
            "demo",
            str(EXAMPLE),
            "--data-dir",
            str(tmp_path / "store"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Plan: " in out and "Apply complete:" in out
    assert "App logged in with AppRole approle/payments-staging" in out
    assert (
        "read secret/payments/staging/app: ok, keys stripe_api_key, webhook_signing_secret" in out
    )
    assert "read secret/identity/staging/app: refused (permission denied)" in out
    # 3c: apps/payments-api runs under `sealkeep run` with a PostgreSQL login of its own,
    # revoked when it exits.
    assert "payments-api: connected to PostgreSQL as v-approle-payments-" in out
    assert "the app exited with 0; database leases left: 0" in out
    audit_lines = [line for line in out.splitlines() if " from 127.0.0.1: " in line]
    assert any(
        "secret/data/payments/staging/app" in line and line.endswith(": ok") for line in audit_lines
    )
    assert any(
        "secret/data/identity/staging/app" in line and line.endswith(": denied")
        for line in audit_lines
    )
    assert (tmp_path / "store" / "store.db").exists(), (
        "the embedded store is the default SQLite store"
    )
    # The repo's audit device names /tmp/sealkeep-audit.log for a real server; the demo's
    # throwaway store writes its own folder, so runs never share a log (issue 13).
    audit_log = tmp_path / "store" / "audit.log"
    assert f"== 4. The audit log ({audit_log}) recorded both" in out
    assert "secret/data/payments/staging/app" in audit_log.read_text()


def test_demo_never_prints_a_secret_value(tmp_path: Path) -> None:
    env = {**os.environ, "SOPS_AGE_KEY_FILE": str(EXAMPLE / "demo-age-key.txt")}
    done = subprocess.run(
        [sys.executable, "-m", "reconciler.cli.main", "demo", str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    from reconciler.gitops.sops import decrypt_file

    identities = [
        line
        for line in (EXAMPLE / "demo-age-key.txt").read_text().splitlines()
        if line.startswith("AGE-SECRET-KEY")
    ]
    for secret in EXAMPLE.glob("teams/*/secrets/*.sops.yaml"):
        data = decrypt_file(secret, identities).tree["spec"]["data"]
        for value in data.values():
            assert str(value) not in done.stdout and str(value) not in done.stderr


def test_demo_without_the_age_key_fails_clearly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_AGE")}
    env["HOME"] = str(tmp_path)
    env["XDG_CONFIG_HOME"] = str(tmp_path / ".config")
    done = subprocess.run(
        [sys.executable, "-m", "reconciler.cli.main", "demo", str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=180,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "sops.yaml" in done.stderr or "age" in done.stderr.lower()
