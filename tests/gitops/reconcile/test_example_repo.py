"""The example platform repo, committed to Git, reconciled into its own dev server: applied
once, a hand-made change found as drift, held, then corrected with correct_drift."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from reconciler.gitops.reconcile import ReconcileOptions, Reconciler, RunOutcome
from tests.support.servers import REPO_ROOT, ServerProcess, start_dev_server

EXAMPLE = REPO_ROOT / "examples" / "platform"
APP_SECRET = "secret/data/payments/staging/app"


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A dev server of its own: the example uses fixed paths such as secret/."""
    folder = tmp_path / "server"
    folder.mkdir()
    server = start_dev_server(folder)
    yield server
    server.stop()


def test_example_repo_applies_drifts_and_is_corrected(
    tmp_path: Path, own_server: ServerProcess
) -> None:
    root = tmp_path / "platform"
    shutil.copytree(EXAMPLE, root)
    # The example's audit device names a fixed /tmp file; this run writes its own folder.
    mounts = root / "platform" / "mounts.yaml"
    text = mounts.read_text(encoding="utf-8")
    assert "/tmp/sealkeep-audit.log" in text
    mounts.write_text(text.replace("/tmp/sealkeep-audit.log", str(tmp_path / "audit.log")))
    handle = git.Repo.init(root, initial_branch="main")
    handle.git.add("--all")
    sha = handle.index.commit("the example platform").hexsha
    identity = (EXAMPLE / "demo-age-key.txt").read_text()
    keys = [line for line in identity.splitlines() if line.startswith("AGE-SECRET-KEY-")]

    def options(**more: object) -> ReconcileOptions:
        env = {"VAULT_ADDR": own_server.url, "VAULT_TOKEN": own_server.root_token}
        return ReconcileOptions(repo=str(root), cache_dir=tmp_path / "cache", identities=keys,
                                environ=env, **more)  # type: ignore[arg-type]  # fmt: skip

    first = Reconciler(options())
    applied = first.run_once()
    assert applied.outcome is RunOutcome.APPLIED, applied
    assert applied.commit == sha and applied.counts.applied > 10

    vault = own_server.client()
    vault.write_data(APP_SECRET, data={"data": {"stripe_api_key": "typed-by-hand"}})
    held = first.run_once()
    first.close()
    assert held.counts.drifted == 1 and held.counts.held == 1, held
    assert "typed-by-hand" not in repr(held.encode())
    assert vault.read(APP_SECRET)["data"]["data"] == {"stripe_api_key": "typed-by-hand"}

    fixing = Reconciler(options(correct_drift=True))
    fixed = fixing.run_once()
    fixing.close()
    assert fixed.outcome is RunOutcome.APPLIED and fixed.counts.corrected == 1, fixed
    data = vault.read(APP_SECRET)["data"]["data"]
    assert set(data) == {"stripe_api_key", "webhook_signing_secret"}
    assert data["stripe_api_key"] != "typed-by-hand"
