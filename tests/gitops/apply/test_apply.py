"""Apply against the real dev server: stale plans, ownership, prune, a failure that skips only
its dependants, drift, history and import."""

from __future__ import annotations

import hvac
import pytest

from reconciler.gitops.apply.history import read_history
from reconciler.gitops.apply.stale import StalePlan
from reconciler.gitops.live.inventory import load_inventory
from reconciler.gitops.live.statestore import StateStore
from reconciler.gitops.plan.drift import detect_drift
from reconciler.gitops.plan.model import Action
from reconciler.gitops.plan.planfile import plan_hash
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import manifest


def test_stale_plan_is_refused_after_a_policy_is_edited_by_hand(
    reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    reconcile.converge()
    spec = {"rules": [{"path": f"{unique}-kv/data/*", "capabilities": ["read", "list"]}]}
    reconcile.repo.write("policy.yaml", manifest("Policy", f"{unique}-api", spec))
    plan = reconcile.plan()
    vault.sys.create_or_update_policy(
        f"{unique}-api", 'path "elsewhere/*" { capabilities = ["read"] }'
    )
    with pytest.raises(StalePlan, match=f"plan is stale: Policy/{unique}-api"):
        reconcile.apply(plan)
    text = vault.sys.read_policy(f"{unique}-api")["data"]["rules"]
    assert "elsewhere" in text


def test_unmanaged_objects_are_left_alone_and_prune_deletes_only_managed_ones(
    reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    reconcile.converge()
    vault.sys.create_or_update_policy(f"{unique}-hand", 'path "x/*" { capabilities = ["read"] }')
    vault.write_data(f"{unique}-kv/data/api/hand", data={"data": {"k": "v"}})
    plan = reconcile.plan()
    unmanaged = {str(r) for r in plan.unmanaged}
    assert f"Policy/{unique}-hand" in unmanaged
    assert f"Secret/{unique}-kv/api/hand" in unmanaged
    reconcile.repo.remove("roles.yaml")
    kept = reconcile.plan()
    assert [str(r) for r in kept.orphans] == [f"AppRole/{unique}-api"]
    assert kept.changes == ()
    pruned = reconcile.plan(prune=True)
    assert [(c.action, str(c.ref)) for c in pruned.changes] == [
        (Action.DELETE, f"AppRole/{unique}-api")
    ]
    assert reconcile.apply(pruned).ok
    assert vault.read(f"auth/{unique}-approle/role/{unique}-api") is None
    assert vault.sys.read_policy(f"{unique}-hand")
    assert vault.read(f"{unique}-kv/data/api/hand")["data"]["data"] == {"k": "v"}
    assert not reconcile.plan(prune=True).has_changes


def _jwt_method(unique: str, config: dict[str, object]) -> dict[str, object]:
    spec = {"path": f"{unique}-jwt", "type": "jwt", "config": config}
    return manifest("AuthMethod", f"{unique}-ci", spec)


def test_a_failure_skips_only_what_depends_on_it_and_a_rerun_converges(
    reconcile: Reconcile, vault: hvac.Client, unique: str, ec_public_pem: str
) -> None:
    # A public key that is not PEM: the server refuses the config when it is written.
    not_pem = "-----BEGIN PUBLIC KEY-----\nnot-a-key\n-----END PUBLIC KEY-----\n"
    broken = {"jwt_validation_pubkeys": [not_pem], "bound_issuer": "ci"}
    role = {"mount": f"{unique}-jwt", "role_type": "jwt", "user_claim": "sub",
            "bound_audiences": ["ci"], "token_policies": [f"{unique}-api"]}  # fmt: skip
    reconcile.repo.write("jwt.yaml", _jwt_method(unique, broken))
    reconcile.repo.write("jwt-role.yaml", manifest("JWTRole", f"{unique}-deploy", role))
    result = reconcile.apply(reconcile.plan())
    assert not result.ok
    statuses = [(str(o.ref), o.status) for o in result.outcomes]
    assert statuses == [
        (f"AuthMethod/{unique}-approle", "applied"),
        (f"AuthMethod/{unique}-ci", "failed"),
        (f"SecretsEngine/{unique}-kv", "applied"),
        (f"Policy/{unique}-api", "applied"),
        (f"AppRole/{unique}-api", "applied"),
        (f"JWTRole/{unique}-deploy", "not applied"),
        (f"Secret/{unique}-api", "applied"),
    ]
    assert "error parsing public key" in (result.outcomes[1].error or "")
    assert result.outcomes[5].error == (
        f"skipped: depends on AuthMethod/{unique}-ci, which was not applied"
    )
    # Creation is atomic: the method whose config was refused is not left enabled.
    assert f"{unique}-jwt/" not in vault.sys.list_auth_methods()["data"]
    state = StateStore(vault, reconcile.state_mount)
    (record,) = read_history(state)
    assert record.status == "failed"
    assert [(str(o.ref), o.status) for o in record.outcomes] == statuses
    assert f"AuthMethod/{unique}-ci" not in [str(e.ref) for e in load_inventory(state)]
    fixed = {"jwt_validation_pubkeys": [ec_public_pem], "bound_issuer": "ci"}
    reconcile.repo.write("jwt.yaml", _jwt_method(unique, fixed))
    rerun = reconcile.plan()
    assert [(c.action, str(c.ref)) for c in rerun.changes] == [
        (Action.CREATE, f"AuthMethod/{unique}-ci"),
        (Action.CREATE, f"JWTRole/{unique}-deploy"),
    ]
    assert reconcile.apply(rerun).ok
    assert not reconcile.plan().has_changes


def test_drift_detects_a_secret_written_by_hand(
    reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    reconcile.converge()
    assert not detect_drift(vault, reconcile.state_mount).has_drift
    vault.write_data(f"{unique}-kv/data/api/config", data={"data": {"password": "typed-by-hand"}})
    vault.sys.delete_policy(f"{unique}-api")
    report = detect_drift(vault, reconcile.state_mount)
    found = {str(d.ref): d.kind for d in report.drifted}
    assert found == {f"Secret/{unique}-api": "changed", f"Policy/{unique}-api": "deleted"}
    assert "typed-by-hand" not in repr(report)


def test_history_records_each_apply(reconcile: Reconcile, vault: hvac.Client) -> None:
    plan = reconcile.plan()
    result = reconcile.apply(plan)
    (record,) = read_history(StateStore(vault, reconcile.state_mount))
    assert record.apply_id == result.apply_id
    assert record.actor == "tester"
    assert record.plan_hash == plan_hash(plan)
    assert record.status == "ok"
    assert [o.status for o in record.outcomes] == ["applied"] * 5
    assert record.target.endswith(f"({vault.url})")


def test_an_in_sync_existing_object_is_adopted_then_managed(
    reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    vault.sys.create_or_update_policy(
        f"{unique}-api", f'path "{unique}-kv/data/api/*" {{ capabilities = ["read"] }}'
    )
    plan = reconcile.plan()
    assert [str(a.ref) for a in plan.adopt] == [f"Policy/{unique}-api"]
    assert f"Policy/{unique}-api" not in {str(c.ref) for c in plan.changes}
    assert reconcile.apply(plan).ok
    inventory = load_inventory(StateStore(vault, reconcile.state_mount))
    assert inventory.get(f"Policy/{unique}-api") is not None
    assert not reconcile.plan().has_changes
