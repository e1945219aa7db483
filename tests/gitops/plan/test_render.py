"""Golden renderings of one plan (text, Markdown, JSON), the plan file, and truncation."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import click
import jsonschema
import pytest

from reconciler.gitops.live.inventory import Inventory, InventoryEntry
from reconciler.gitops.live.model import Fingerprinter, LiveState, ObjectRef, ObjectState, Sensitive
from reconciler.gitops.manifests.source import Span
from reconciler.gitops.plan.diff import diff
from reconciler.gitops.plan.model import DestroyGuard, Plan, TargetInfo
from reconciler.gitops.plan.planfile import PlanFileError, dumps_plan, load_plan, save_plan
from reconciler.gitops.plan.render_json import render_json
from reconciler.gitops.plan.render_markdown import render_markdown
from reconciler.gitops.plan.render_text import render_text

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "plan.schema.json"
FP = Fingerprinter(b"k" * 32)
PLAINTEXT = "s3cr3t-plaintext"


def _rules(**caps: list[str]) -> dict[str, object]:
    empty: dict[str, object] = {}
    return {
        "rules": {
            path.replace("_", "/") + "/*": {
                "capabilities": tuple(c),
                "allowed_parameters": empty,
                "denied_parameters": empty,
                "required_parameters": (),
                "min_wrapping_ttl": 0,
                "max_wrapping_ttl": 0,
            }
            for path, c in caps.items()
        }
    }


def _state(
    kind: str, name: str, address: str, fields: dict, secret: dict | None = None
) -> ObjectState:
    return ObjectState(
        ObjectRef(kind, name, address), fields, Sensitive(secret) if secret is not None else None
    )


def sample_plan() -> Plan:
    """One plan with a create, an update with a secret, a policy change and a delete."""
    mount = _state("SecretsEngine", "apps", "sys/mounts/apps", {"type": "kv", "kv_version": 2})
    policy_old = _state(
        "Policy",
        "payments-api",
        "sys/policies/acl/payments-api",
        _rules(secret_data_payments=["read"]),
    )
    policy_new = _state(
        "Policy", "payments-api", "sys/policies/acl/payments-api",
        _rules(secret_data_payments=["read", "update"], secret_metadata=["list"]),
    )  # fmt: skip
    secret_old = _state(
        "Secret", "api", "apps/data/api", {"keys": ("a", "b")}, {"a": PLAINTEXT, "b": "x"}
    )
    secret_new = _state(
        "Secret", "api", "apps/data/api", {"keys": ("a", "c")}, {"a": "new-" + PLAINTEXT, "c": 1}
    )
    gone = _state("AppRole", "old", "auth/approle/role/old", {"token_ttl": 60})
    inventory = Inventory()
    for state in (policy_old, secret_old, gone):
        inventory.put(InventoryEntry(state.ref, FP.state(state)))
    live = LiveState({s.ref.address: s for s in (policy_old, secret_old, gone)})
    desired = {s.ref.address: s for s in (mount, policy_new, secret_new)}
    unmanaged = [ObjectRef("Policy", "hand-made", "sys/policies/acl/hand-made")]
    found = diff(desired, live, inventory, FP, listed=unmanaged, prune=True,
                 sources={"apps/data/api": "manifests/api.yaml"})  # fmt: skip
    return Plan(
        created_at="2025-01-01T00:00:00Z", target=TargetInfo("prod", "https://vault.example:8200"),
        state_mount="sealkeep-state", root="/repo", changes=found.changes, adopt=found.adopt,
        forget=found.forget, unmanaged=found.unmanaged, orphans=found.orphans,
        commit="0123456789abcdef0123456789abcdef01234567", prune=True,
        destroy=DestroyGuard(managed=len(inventory)),
        locations={"Secret/api": Span("manifests/api.yaml", 1, 1)},
    )  # fmt: skip


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SEALKEEP_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("plan.txt", lambda p: render_text(p)),
        ("plan.md", lambda p: render_markdown(p)),
        ("plan.json", lambda p: render_json(p)),
    ],
)
def test_golden_renderings(name: str, render: object) -> None:
    text = render(sample_plan())  # type: ignore[operator]
    assert PLAINTEXT not in text
    _golden(name, text)


def test_summary_and_order_of_the_sample() -> None:
    plan = sample_plan()
    assert plan.summary().line() == "Plan: 1 to add, 2 to change, 0 to replace, 1 to destroy."
    assert [c.action.value for c in plan.changes] == ["+", "~", "~", "-"]


def test_json_rendering_matches_its_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(render_json(sample_plan())), schema)


def test_colour_only_when_asked() -> None:
    assert "\x1b[" not in render_text(sample_plan())
    assert "\x1b[" in render_text(sample_plan(), color=True)


def test_plan_file_round_trips_and_refuses_edits(tmp_path: Path) -> None:
    plan = sample_plan()
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    assert load_plan(path) == plan
    raw = json.loads(path.read_text())
    raw["changes"][0]["desired"]["type"] = "database"
    path.write_text(json.dumps(raw))
    with pytest.raises(PlanFileError, match="hash does not match"):
        load_plan(path)
    raw["format_version"] = 99
    path.write_text(json.dumps(raw))
    with pytest.raises(PlanFileError, match="format version 99"):
        load_plan(path)
    assert PLAINTEXT not in dumps_plan(plan)


def test_markdown_stays_under_the_comment_limit_and_says_it_truncated() -> None:
    plan = sample_plan()
    many = Plan(**{**plan.__dict__, "changes": plan.changes * 400})
    text = render_markdown(many, limit=5_000)
    assert len(text) <= 5_000
    assert "more change(s) not shown" in text
    full = render_markdown(many)
    assert len(full) <= 65_536


@pytest.mark.parametrize(
    "edit",
    [
        lambda raw: raw["summary"].update(destroy=0),
        lambda raw: raw["destroy"].update(allowed=True),
        lambda raw: raw["destroy"].update(refused=["edited"]),
    ],
    ids=["summary-count", "allow-destroy", "refusal-reasons"],
)
def test_plan_hash_covers_the_summary_and_the_deletion_guard(tmp_path: Path, edit: object) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    raw = json.loads(path.read_text())
    edit(raw)  # type: ignore[operator]
    path.write_text(json.dumps(raw))
    with pytest.raises(PlanFileError, match="hash does not match"):
        load_plan(path)


def test_destroyed_objects_come_first_in_red_with_the_guard_verdict() -> None:
    plan = sample_plan()
    refused = replace(plan, destroy=DestroyGuard(managed=4, max_share=0.0))
    text = render_text(refused, color=True)
    first = text.splitlines()[2]
    assert first == click.style("  - AppRole/old (auth/approle/role/old)", fg="red", bold=True)
    assert "Apply will refuse this plan: it deletes 1 of 4" not in text  # one object is not mass
    many = replace(refused, changes=(*plan.changes, replace(plan.changes[-1], ref=ObjectRef(
        "AppRole", "older", "auth/approle/role/older"))))  # fmt: skip
    verdict = render_text(many)
    assert (
        "Apply will refuse this plan: it deletes 2 of 4 managed object(s), more than 0%" in verdict
    )
    assert many.refused and "refused" in render_json(many)
    assert "Apply will refuse this plan" in render_markdown(many)
