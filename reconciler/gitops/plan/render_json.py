"""The machine view of a Plan: the plan file's JSON (schemas/plan.schema.json)."""

from __future__ import annotations

import json

from reconciler.gitops.plan.model import Plan
from reconciler.gitops.plan.planfile import encode_plan, plan_hash


def render_json(plan: Plan) -> str:
    """The plan as indented JSON, with its hash (the same document `--out` saves)."""
    return json.dumps({**encode_plan(plan), "hash": plan_hash(plan)}, indent=2) + "\n"
