"""Plans against the real dev server: order, idempotence, secrets, policy rule diffs."""

from __future__ import annotations

from reconciler.gitops.plan.model import Action
from reconciler.gitops.plan.planfile import dumps_plan
from reconciler.gitops.plan.render_json import render_json
from reconciler.gitops.plan.render_markdown import render_markdown
from reconciler.gitops.plan.render_text import render_text
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import manifest


def test_plan_on_an_empty_store_creates_everything_in_dependency_order(
    reconcile: Reconcile,
) -> None:
    plan = reconcile.plan()
    assert [c.action for c in plan.changes] == [Action.CREATE] * 5
    kinds = [c.ref.kind for c in plan.changes]
    assert kinds == ["AuthMethod", "SecretsEngine", "Policy", "AppRole", "Secret"]
    assert plan.summary().line() == "Plan: 5 to add, 0 to change, 0 to replace, 0 to destroy."
    assert render_text(plan).rstrip().endswith(plan.summary().line())


def test_apply_then_plan_again_finds_no_change(reconcile: Reconcile) -> None:
    reconcile.converge()
    again = reconcile.plan()
    assert again.changes == ()
    assert not again.has_changes
    assert "No changes." in render_text(again)


def test_secret_update_shows_key_names_and_fingerprints_never_values(
    reconcile: Reconcile, unique: str
) -> None:
    repo = reconcile.repo
    reconcile.converge()
    first = reconcile.plan()
    assert not first.has_changes
    new_value = f"correct-horse-{unique}"
    repo.secret(
        f"{unique}-api", f"{unique}-kv", "api/config", {"password": new_value, "user": "app"}
    )
    plan = reconcile.plan()
    (change,) = plan.changes
    assert change.action is Action.UPDATE
    by_key = {k.key: k for k in change.keys}
    assert by_key["password"].change == "changed"
    assert by_key["user"].change == "added"
    assert by_key["port"].change == "removed"
    assert by_key["password"].before != by_key["password"].after
    assert by_key["password"].after.startswith("hmac:")
    for text in (render_text(plan), render_markdown(plan), render_json(plan), dumps_plan(plan)):
        assert new_value not in text
        assert f"hunter2-{unique}" not in text
        assert "5432" not in text
    reconcile.apply(plan)
    repo.secret(f"{unique}-api", f"{unique}-kv", "api/config", {"password": f"hunter2-{unique}"})
    reverted = reconcile.plan()
    (back,) = reverted.changes
    password = next(k for k in back.keys if k.key == "password")
    # Reverting shows the fingerprint the value had before: a reviewer can tell.
    assert password.after == by_key["password"].before


def test_policy_diff_is_rule_by_rule_with_capability_changes_called_out(
    reconcile: Reconcile, unique: str
) -> None:
    reconcile.converge()
    rules = [
        {"path": f"{unique}-kv/data/api/*", "capabilities": ["read", "update"]},
        {"path": f"{unique}-kv/metadata/*", "capabilities": ["list"]},
    ]
    reconcile.repo.write("policy.yaml", manifest("Policy", f"{unique}-api", {"rules": rules}))
    plan = reconcile.plan()
    (change,) = plan.changes
    assert change.action is Action.UPDATE
    assert f"{unique}-api gains update on {unique}-kv/data/api/*" in change.notes
    assert f"{unique}-api gains list on {unique}-kv/metadata/*" in change.notes
    text = render_text(plan)
    assert f'path "{unique}-kv/data/api/*": [read] -> [read, update]' in text
    assert f"gains update on {unique}-kv/data/api/*" in text


def test_role_field_change_is_an_update_of_that_field(reconcile: Reconcile, unique: str) -> None:
    reconcile.converge()
    spec = {"mount": f"{unique}-approle", "token_policies": [f"{unique}-api"], "token_ttl": "2h"}
    reconcile.repo.write("roles.yaml", manifest("AppRole", f"{unique}-api", spec))
    (change,) = reconcile.plan().changes
    assert [(f.path, f.before, f.after) for f in change.fields] == [("token_ttl", "3600", "7200")]


def test_changing_a_mount_type_replaces_it_and_recreates_what_it_holds(
    reconcile: Reconcile, unique: str
) -> None:
    reconcile.converge()
    spec = {"path": f"{unique}-kv", "type": "kv", "version": 1}
    reconcile.repo.write(
        "mounts.yaml",
        manifest("SecretsEngine", f"{unique}-kv", spec),
        manifest(
            "AuthMethod", f"{unique}-approle", {"path": f"{unique}-approle", "type": "approle"}
        ),
    )
    plan = reconcile.plan()
    actions = {str(c.ref): c.action for c in plan.changes}
    assert actions[f"SecretsEngine/{unique}-kv"] is Action.REPLACE
    assert actions[f"Secret/{unique}-api"] is Action.CREATE
    assert "to replace" in plan.summary().line()
    # Replacing a mount deletes what it holds: apply needs a plan made with --allow-destroy.
    assert plan.refused
    assert f"it replaces SecretsEngine {unique}-kv" in plan.destroy_reasons()[0]
