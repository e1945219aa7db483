"""What apply, drift, validate and history tell a user or a CI job (issue 13): outcomes as
they happen naming the file of what failed, drift down to the field and the secret key (never
a value), and versioned JSON. Real server, real repo, real age key, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import hvac
import pytest
from click.testing import CliRunner, Result

from reconciler.cli.main import cli
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import manifest
from tests.support.servers import ServerProcess


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, dev_server: ServerProcess, reconcile: Reconcile) -> None:
    """The CLI's environment, run from the repo root."""
    monkeypatch.setenv("VAULT_ADDR", dev_server.url)
    monkeypatch.setenv("VAULT_TOKEN", dev_server.root_token)
    monkeypatch.setenv("SOPS_AGE_KEY", reconcile.repo.key.identity)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(reconcile.repo.root)


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_drift_names_fields_and_secret_keys_never_values(
    env: None, reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    reconcile.converge()
    state = f"--state-mount={reconcile.state_mount}"
    assert _run("drift", state).exit_code == 0
    vault.write(f"auth/{unique}-approle/role/{unique}-api", token_ttl="2h")
    vault.secrets.kv.v2.create_or_update_secret(
        path="api/config",
        secret={"password": "changed-by-hand", "port": 5432, "extra": "hand-added"},
        mount_point=f"{unique}-kv",
    )
    text = _run("drift", state)
    assert text.exit_code == 2, text.output
    assert "      token_ttl: 3600 -> 7200" in text.output
    assert "      + key extra (added)" in text.output
    assert "      ~ key password (changed)" in text.output
    assert "port" not in text.output
    shown = _run("drift", state, "--format", "json")
    assert shown.exit_code == 2
    for value in ("changed-by-hand", "hand-added", "hunter2"):
        assert value not in text.output and value not in shown.output
    doc = json.loads(shown.output)
    assert (doc["kind"], doc["format_version"], doc["has_drift"]) == ("sealkeep-drift", 1, True)
    by_kind = {d["kind"]: d for d in doc["drifted"]}
    assert by_kind["AppRole"]["fields"] == [{"path": "token_ttl", "old": "3600", "new": "7200"}]
    assert by_kind["Secret"]["keys"] == [
        {"key": "extra", "change": "added"},
        {"key": "password", "change": "changed"},
    ]


def test_apply_streams_outcomes_and_a_refusal_names_the_manifest(
    env: None, reconcile: Reconcile, tmp_path: Path, unique: str
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    device = manifest(
        "AuditDevice", f"{unique}-file",
        {"path": f"{unique}-file", "type": "file",
         "options": {"file_path": str(blocker / "audit.log")}},
    )  # fmt: skip
    reconcile.repo.write("audit.yaml", device)
    result = _run("apply", "--auto-approve", f"--state-mount={reconcile.state_mount}")
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("  FAILED")]
    assert len(failed) == 1 and f"AuditDevice/{unique}-file" in failed[0]
    assert ": manifests/audit.yaml:4:3: InvalidRequest: " in failed[0]
    assert "Apply failed:" in result.output
    history = json.loads(_run("history", f"--state-mount={reconcile.state_mount}",
                              "--format", "json").output)  # fmt: skip
    assert (history["kind"], history["format_version"]) == ("sealkeep-history", 1)
    (change,) = [c for c in history["applies"][0]["changes"] if c["outcome"] == "failed"]
    assert change["error"].startswith("manifests/audit.yaml:4:3: ")


def test_validate_json_from_a_subfolder(env: None, reconcile: Reconcile, unique: str) -> None:
    role = manifest(
        "AppRole", f"{unique}-api",
        {"mount": f"{unique}-approle", "token_policies": [f"{unique}-api"],
         "token_ttl": "2h", "token_max_ttl": "1h"},
    )  # fmt: skip
    reconcile.repo.write("roles.yaml", role)
    sub = reconcile.repo.root / "manifests" / "secrets"
    result = _run("validate", str(sub), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert (doc["kind"], doc["format_version"], doc["ok"]) == ("sealkeep-validate", 1, False)
    (problem,) = doc["diagnostics"]
    assert problem["file"] == "manifests/roles.yaml" and problem["line"] > 1
    assert problem["json_path"] == "spec.token_ttl"
    assert "cannot be greater than token_max_ttl" in problem["message"]
