"""Deletion safety (issue 13): no repo, no apply; a mount holding data nobody manages is never
pruned; deleting a mount, an auth method or a large share of what is managed needs a plan
made with --allow-destroy. Real server, real repo folders, real age keys, the real CLI."""

from __future__ import annotations

from pathlib import Path

import git
import hvac
import pytest
from click.testing import CliRunner, Result

from reconciler.cli.main import cli
from reconciler.gitops.apply.runner import DestroyRefused
from reconciler.gitops.plan.model import Action
from reconciler.gitops.plan.render_text import render_text
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import manifest
from tests.support.servers import ServerProcess


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, dev_server: ServerProcess, reconcile: Reconcile) -> None:
    """The CLI's environment: the dev server, its root token, the repo's age identity."""
    monkeypatch.setenv("VAULT_ADDR", dev_server.url)
    monkeypatch.setenv("VAULT_TOKEN", dev_server.root_token)
    monkeypatch.setenv("SOPS_AGE_KEY", reconcile.repo.key.identity)
    monkeypatch.setenv("NO_COLOR", "1")


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _managed_in_place(reconcile: Reconcile, vault: hvac.Client, unique: str) -> None:
    """Everything the first apply made is still there, and nothing is left to do."""
    assert f"{unique}-kv/" in vault.sys.list_mounted_secrets_engines()["data"]
    assert f"{unique}-approle/" in vault.sys.list_auth_methods()["data"]
    assert not reconcile.plan().has_changes


@pytest.mark.parametrize("where", ["no-repo", "subfolder-of-another-repo"])
def test_apply_prune_from_outside_a_repo_changes_nothing(
    env: None,
    reconcile: Reconcile,
    vault: hvac.Client,
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    reconcile.converge()
    folder = tmp_path / "elsewhere"
    if where == "subfolder-of-another-repo":
        git.Repo.init(folder)
        folder = folder / "deploy" / "ci"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    state = f"--state-mount={reconcile.state_mount}"
    commands = (
        ["apply", "--prune", "--auto-approve", state],
        ["plan", "--prune", state],
        ["validate"],
        ["drift", state],
        ["history", state],
    )
    for args in commands:
        result = _run(*args)
        assert result.exit_code == 1, result.output
        assert f"no sealkeep.yaml found in {folder}" in result.output
        assert "Hint:" in result.output
    _managed_in_place(reconcile, vault, unique)


def test_commands_find_the_repo_from_a_subfolder(
    env: None, reconcile: Reconcile, monkeypatch: pytest.MonkeyPatch
) -> None:
    reconcile.converge()
    monkeypatch.chdir(reconcile.repo.root / "manifests" / "secrets")
    validated = _run("validate")
    # From the subfolder, validate reads the whole repo: no false reference errors.
    assert validated.exit_code == 0, validated.output
    assert validated.output.startswith("OK: 5 object(s) valid")
    planned = _run("plan", f"--state-mount={reconcile.state_mount}", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output


def _drop_kv_mount(reconcile: Reconcile, unique: str) -> None:
    """Git no longer declares the kv mount nor its secret (the auth method stays)."""
    auth = manifest(
        "AuthMethod", f"{unique}-approle", {"path": f"{unique}-approle", "type": "approle"}
    )
    reconcile.repo.write("mounts.yaml", auth)
    (reconcile.repo.root / "manifests" / "secrets" / f"{unique}-api.yaml").unlink()


def test_a_mount_holding_unmanaged_data_is_never_pruned(
    reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    reconcile.converge()
    mount = f"{unique}-kv"
    vault.secrets.kv.v2.create_or_update_secret(
        path="made/by-hand", secret={"token": "hand-made-value"}, mount_point=mount
    )
    _drop_kv_mount(reconcile, unique)
    plan = reconcile.plan(prune=True, allow_destroy=True)
    deleted = [(c.action, c.ref.kind) for c in plan.changes]
    assert deleted == [(Action.DELETE, "Secret")]
    assert [(str(k.ref), k.unmanaged) for k in plan.kept] == [(f"SecretsEngine/{mount}", 1)]
    assert f"Secret/{mount}/made/by-hand" in [str(r) for r in plan.unmanaged]
    text = render_text(plan)
    assert f"SecretsEngine/{mount} (sys/mounts/{mount}): 1 unmanaged object(s)" in text
    assert "holds data the reconciler does not manage; not deleted" in text
    assert reconcile.apply(plan).ok
    left = vault.secrets.kv.v2.read_secret_version(
        path="made/by-hand", mount_point=mount, raise_on_deleted_version=True
    )
    assert left["data"]["data"] == {"token": "hand-made-value"}


def test_deleting_a_mount_needs_a_plan_made_with_allow_destroy(
    env: None,
    reconcile: Reconcile,
    vault: hvac.Client,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reconcile.converge()
    _drop_kv_mount(reconcile, unique)
    refused = reconcile.plan(prune=True)
    assert refused.refused and [c.ref.kind for c in refused.deletes] == [
        "Secret",
        "SecretsEngine",
    ]
    text = render_text(refused)
    # Destroyed objects come first; the verdict follows the summary.
    lines = text.splitlines()
    assert lines[2].startswith(f"  - Secret/{unique}-api")
    assert lines[3].startswith(f"  - SecretsEngine/{unique}-kv")
    assert f"Apply will refuse this plan: it deletes SecretsEngine {unique}-kv" in text
    with pytest.raises(DestroyRefused, match="nothing was changed"):
        reconcile.apply(refused)
    assert f"{unique}-kv/" in vault.sys.list_mounted_secrets_engines()["data"]

    monkeypatch.chdir(reconcile.repo.root)
    state = f"--state-mount={reconcile.state_mount}"
    planned = _run("plan", "--prune", state, "--out", "plan.json", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "Exit 2: changes planned (2 to destroy, 0 to add" in planned.output
    assert "apply will refuse it without --allow-destroy" in planned.output
    applied = _run("apply", "plan.json")
    assert applied.exit_code == 1, applied.output
    assert "apply refused, nothing was changed" in applied.output
    assert f"{unique}-kv/" in vault.sys.list_mounted_secrets_engines()["data"]

    allowed = _run("plan", "--prune", "--allow-destroy", state, "--out", "plan.json")
    assert allowed.exit_code == 0, allowed.output
    assert "Destroy allowed (--allow-destroy)" in allowed.output
    done = _run("apply", "plan.json")
    assert done.exit_code == 0, done.output
    assert f"ok       delete   SecretsEngine/{unique}-kv" in done.output
    assert f"{unique}-kv/" not in vault.sys.list_mounted_secrets_engines()["data"]


def test_a_repo_emptied_by_mistake_cannot_prune_the_store(
    reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    reconcile.converge()
    for rel in ("roles.yaml", "policy.yaml", f"secrets/{unique}-api.yaml"):
        reconcile.repo.remove(rel)
    plan = reconcile.plan(prune=True)
    assert len(plan.deletes) == 3 and plan.refused
    assert "it deletes 3 of 5 managed object(s), more than 25%" in plan.destroy_reasons()[-1]
    with pytest.raises(DestroyRefused):
        reconcile.apply(plan)
    assert len(reconcile.plan().orphans) == 3  # still there, still managed
    assert vault.read(f"auth/{unique}-approle/role/{unique}-api") is not None
