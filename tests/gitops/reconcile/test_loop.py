"""The reconcile loop against a real Git repo and the dev server."""

from __future__ import annotations

import threading

import hvac

from reconciler.gitops.apply.history import read_history
from reconciler.gitops.live.statestore import StateStore
from reconciler.gitops.reconcile import Reconciler, RunOutcome
from tests.gitops.plan.repo import manifest
from tests.gitops.reconcile.conftest import Origin


def _secret(vault: hvac.Client, u: str) -> dict[str, object]:
    return dict(vault.read(f"{u}-kv/data/api/config")["data"]["data"])


def test_once_applies_the_branch_head(origin: Origin, vault: hvac.Client) -> None:
    u = origin.unique
    reconciler = Reconciler(origin.options(max_runs=1))
    result = reconciler.run(threading.Event())
    assert result is not None and result.outcome is RunOutcome.APPLIED, result
    assert result.commit == origin.git.head.commit.hexsha
    assert result.counts.add == 5 and result.counts.applied == 5
    assert _secret(vault, u)["password"] == f"hunter2-{u}"
    records = read_history(StateStore(vault, f"{u}-state"))
    assert records[0].commit == result.commit and records[0].actor == "sealkeep-reconcile"
    assert f"hunter2-{u}" not in repr(result.encode())


def test_a_new_commit_is_picked_up_on_the_next_run(origin: Origin, vault: hvac.Client) -> None:
    u = origin.unique
    reconciler = Reconciler(origin.options())
    assert reconciler.run_once().outcome is RunOutcome.APPLIED
    assert reconciler.run_once().outcome is RunOutcome.IN_SYNC
    rules = [{"path": f"{u}-kv/data/other/*", "capabilities": ["read", "list"]}]
    origin.repo.write("policy.yaml", manifest("Policy", f"{u}-api", {"rules": rules}))
    sha = origin.commit("widen the api policy")
    result = reconciler.run_once()
    reconciler.close()
    assert result.outcome is RunOutcome.APPLIED and result.commit == sha
    assert result.counts.change == 1 and result.counts.applied == 1
    policy = vault.sys.read_policy(f"{u}-api")["data"]["rules"]
    assert f"{u}-kv/data/other/*" in policy


def test_dry_run_changes_nothing(origin: Origin, vault: hvac.Client) -> None:
    u = origin.unique
    result = Reconciler(origin.options(dry_run=True, max_runs=1)).run(threading.Event())
    assert result is not None and result.outcome is RunOutcome.PLANNED
    assert result.counts.add == 5 and result.counts.applied == 0
    mounts = vault.sys.list_mounted_secrets_engines()["data"]
    assert f"{u}-kv/" not in mounts and f"{u}-state/" not in mounts
    assert f"{u}-api" not in vault.sys.list_policies()["data"]["policies"]


def test_drift_is_reported_then_corrected(origin: Origin, vault: hvac.Client) -> None:
    u = origin.unique
    first = Reconciler(origin.options())
    assert first.run_once().outcome is RunOutcome.APPLIED
    vault.write_data(f"{u}-kv/data/api/config", data={"data": {"password": "by-hand"}})

    held = first.run_once()
    first.close()
    assert held.outcome is RunOutcome.IN_SYNC, held
    assert held.counts.drifted == 1 and held.counts.held == 1 and held.counts.applied == 0
    assert held.drifted == (f"Secret/{u}-api ({u}-kv/data/api/config): changed",)
    assert _secret(vault, u)["password"] == "by-hand"
    assert "by-hand" not in repr(held.encode())

    fixing = Reconciler(origin.options(correct_drift=True))
    fixed = fixing.run_once()
    assert fixed.outcome is RunOutcome.APPLIED, fixed
    assert fixed.counts.drifted == 1 and fixed.counts.corrected == 1
    assert _secret(vault, u)["password"] == f"hunter2-{u}"
    again = fixing.run_once()
    fixing.close()
    assert again.outcome is RunOutcome.IN_SYNC and again.counts.drifted == 0


def test_manifest_errors_fail_the_run_and_name_the_file(origin: Origin) -> None:
    (origin.repo.root / "manifests" / "broken.yaml").write_text("kind: [unclosed\n")
    origin.commit("break the manifests")
    reconciler = Reconciler(origin.options())
    result = reconciler.run_once()
    reconciler.close()
    assert result.outcome is RunOutcome.FAILED and result.counts.diagnostics >= 1
    assert any("manifests/broken.yaml" in p for p in result.problems), result.problems


def test_an_unknown_branch_fails_with_a_clear_error(origin: Origin) -> None:
    reconciler = Reconciler(origin.options(branch="release"))
    result = reconciler.run_once()
    assert result.outcome is RunOutcome.FAILED
    assert result.error is not None and "branch 'release' not found" in result.error


def test_a_broken_cache_folder_is_cloned_again(origin: Origin) -> None:
    options = origin.options()
    folder = options.mirror_dir()
    folder.mkdir(parents=True)
    (folder / "leftover.txt").write_text("an interrupted clone")
    reconciler = Reconciler(options)
    result = reconciler.run_once()
    reconciler.close()
    assert result.outcome is RunOutcome.APPLIED, result
    assert not (folder / "leftover.txt").exists()
