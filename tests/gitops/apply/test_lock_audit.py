"""Two real processes and the lock; the correlation id in the store's audit log; import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import hvac
import pytest

from reconciler.gitops.apply.adopt import AdoptError, ImportRequest, import_objects
from reconciler.gitops.apply.lock import LockHeld
from reconciler.gitops.live.inventory import load_inventory
from reconciler.gitops.live.statestore import StateStore
from reconciler.gitops.manifests import load_repo
from reconciler.gitops.plan.model import Action
from tests.conftest import ServerProcess
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import basic_repo
from tests.support.servers import REPO_ROOT, start_dev_server

HOLDER = textwrap.dedent(
    """
    import sys, time, hvac
    from reconciler.gitops.apply.lock import ApplyLock, LockHolder
    from reconciler.gitops.live.statestore import StateStore
    url, token, mount = sys.argv[1:4]
    state = StateStore(hvac.Client(url=url, token=token), mount)
    with ApplyLock(state, LockHolder(owner="other-ci-job", apply_id="holder-1", commit="c0ffee"), 10):
        print("locked", flush=True)
        sys.stdin.readline()
    """
)


def test_apply_fails_naming_the_holder_while_another_process_holds_the_lock(
    reconcile: Reconcile, dev_server: ServerProcess
) -> None:
    plan = reconcile.plan()
    args = [
        sys.executable,
        "-c",
        HOLDER,
        dev_server.url,
        dev_server.root_token,
        reconcile.state_mount,
    ]
    holder = subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockHeld, match=r"held by other-ci-job@.*apply holder-1, commit c0ffee"):
            reconcile.apply(plan, lock_timeout=0.5)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=20)
    # Once the holder released it, the same plan applies.
    assert reconcile.apply(plan, lock_timeout=5).ok


def test_every_request_of_an_apply_carries_the_correlation_id_into_the_audit_log(
    tmp_path: Path, unique: str
) -> None:
    server = start_dev_server(tmp_path)
    try:
        client = server.client()
        log = tmp_path / "audit.log"
        client.sys.enable_audit_device("file", path="file", options={"file_path": str(log)})
        repo = basic_repo(tmp_path / "repo", unique)
        result = Reconcile(repo, client, "state").converge()
    finally:
        server.stop()
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    tagged = [
        e for e in entries
        if (e.get("request") or {}).get("headers", {}).get("x-sealkeep-correlation-id") == [result.apply_id]
    ]  # fmt: skip
    paths = {e["request"]["path"] for e in tagged}
    assert f"sys/policies/acl/{unique}-api" in paths
    assert f"{unique}-kv/data/api/config" in paths
    assert "state/data/lock" in paths


def test_import_adopts_existing_objects_so_the_next_plan_updates_them(
    reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    vault.sys.create_or_update_policy(f"{unique}-api", 'path "old/*" { capabilities = ["read"] }')
    desired = load_repo(reconcile.repo.root).desired
    assert desired is not None
    request = ImportRequest([f"Policy/{unique}-api"], reconcile.state_mount, "tester")
    (entry,) = import_objects(vault, desired, request, reconcile.repo.root)
    assert entry.ref.address == f"sys/policies/acl/{unique}-api"
    assert load_inventory(StateStore(vault, reconcile.state_mount)).get(f"Policy/{unique}-api")
    change = next(c for c in reconcile.plan().changes if c.ref.kind == "Policy")
    assert change.action is Action.UPDATE and not change.adopt
    with pytest.raises(AdoptError, match="not found in the store"):
        import_objects(
            vault,
            desired,
            ImportRequest([f"AppRole/{unique}-api"], reconcile.state_mount, "t"),
            reconcile.repo.root,
        )
