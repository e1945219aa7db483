"""End to end through the CLI commands: validate, plan --out, apply the saved plan, plan,
drift, history, apply without a plan file; exit codes as the CLI contract says."""

from __future__ import annotations

import importlib
from pathlib import Path

import click
import hvac
import pytest
from click.testing import CliRunner

from tests.conftest import ServerProcess
from tests.gitops.plan.repo import basic_repo, manifest

COMMANDS = (
    ("reconciler.cli.validate", "validate"),
    ("reconciler.cli.plan", "plan"),
    ("reconciler.cli.apply", "apply"),
    ("reconciler.cli.drift", "drift"),
    ("reconciler.cli.history", "history"),
    ("reconciler.cli.importcmd", "import_"),
)


@pytest.fixture
def cli() -> click.Group:
    """A group with the reconcile commands, as the main COMMANDS table registers them."""
    group = click.Group()
    for module, attribute in COMMANDS:
        group.add_command(getattr(importlib.import_module(module), attribute))
    return group


def test_reconcile_through_the_cli(
    cli: click.Group, tmp_path: Path, dev_server: ServerProcess, vault: hvac.Client,
    unique: str, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    repo = basic_repo(tmp_path / "repo", unique)
    monkeypatch.setenv("VAULT_ADDR", dev_server.url)
    monkeypatch.setenv("VAULT_TOKEN", dev_server.root_token)
    monkeypatch.setenv("SOPS_AGE_KEY", repo.key.identity)
    monkeypatch.setenv("SEALKEEP_STATE_MOUNT", f"{unique}-state")
    monkeypatch.chdir(repo.root)
    runner = CliRunner()

    assert runner.invoke(cli, ["validate"]).exit_code == 0
    out = tmp_path / "plan.json"
    planned = runner.invoke(cli, ["plan", "--out", str(out), "--detailed-exitcode"])
    assert planned.exit_code == 2, planned.output
    assert "Plan: 5 to add, 0 to change, 0 to replace, 0 to destroy." in planned.output
    assert f"hunter2-{unique}" not in planned.output + out.read_text()

    applied = runner.invoke(cli, ["apply", str(out)])
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 5 change(s) applied" in applied.output
    again = runner.invoke(cli, ["plan", "--detailed-exitcode", "--format", "json"])
    assert again.exit_code == 0, again.output
    assert '"add": 0' in again.output

    assert runner.invoke(cli, ["drift"]).exit_code == 0
    vault.write_data(f"{unique}-kv/data/api/config", data={"data": {"password": "by-hand"}})
    drifted = runner.invoke(cli, ["drift"])
    assert drifted.exit_code == 2 and f"Secret/{unique}-api" in drifted.output
    assert "by-hand" not in drifted.output

    history = runner.invoke(cli, ["history", "--changes"])
    assert (
        history.exit_code == 0
        and "ok" in history.output
        and f"Secret/{unique}-api" in history.output
    )

    repo.write(
        "policy.yaml",
        manifest("Policy", f"{unique}-api", {"rules": [{"path": "x/*", "capabilities": ["read"]}]}),
    )
    declined = runner.invoke(cli, ["apply"], input="n\n")
    assert declined.exit_code == 1 and "cancelled" in declined.output
    fixed = runner.invoke(cli, ["apply", "--auto-approve"])
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(cli, ["plan", "--detailed-exitcode"]).exit_code == 0


def test_validate_and_plan_report_every_problem_and_exit_1(
    cli: click.Group, tmp_path: Path, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = basic_repo(tmp_path / "repo", unique)
    repo.write(
        "bad.yaml",
        manifest("AppRole", "broken", {"token_policies": ["missing-policy"], "token_ttl": "soon"}),
    )
    monkeypatch.setenv("VAULT_ADDR", "http://127.0.0.1:9")
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(repo.root)])
    assert result.exit_code == 1
    assert "manifests/bad.yaml:" in result.output
    planned = runner.invoke(cli, ["plan", str(repo.root)])
    assert planned.exit_code == 1
    assert "nothing was changed" in planned.output
