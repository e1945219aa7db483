"""The CI files: actionlint on the workflows, and the structure actionlint cannot see."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from reconciler.cli.lint import check_secrets
from tests.ci.conftest import REPO, LintProblem

WORKFLOWS = REPO / ".github" / "workflows"
ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
Lint = Callable[..., list[LintProblem]]


def _load(path: Path) -> Any:
    # PyYAML reads the `on:` key as True (YAML 1.1); map it back.
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and True in data:
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_actionlint_passes_on_every_workflow(actionlint: Lint) -> None:
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert {f.name for f in files} >= {"plan.yml", "apply.yml"}
    problems = actionlint(*files)
    assert problems == [], "\n".join(map(str, problems))


def test_actionlint_really_checks(actionlint: Lint, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_field }}\n      - uses: actions/checkout@v4\n"
        "        with: {no-such-input: 1}\n"
    )
    kinds = {p.kind for p in actionlint(broken)}
    assert kinds == {"expression", "action"}


def test_plan_workflow_lints_plans_and_comments_once() -> None:
    workflow = _load(WORKFLOWS / "plan.yml")
    assert "pull_request" in workflow["on"]
    permissions = workflow["jobs"]["plan"]["permissions"]
    assert permissions["id-token"] == "write"
    assert permissions["security-events"] == "write"
    assert permissions["pull-requests"] == "write"
    steps = _steps(workflow)
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("actions/github-script@") for u in uses)
    runs = "\n".join(s.get("run", "") for s in steps)
    for needle in (
        "sealkeep validate",
        "--format sarif",
        "--format markdown",
        "GITHUB_STEP_SUMMARY",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "audience=",
        "/v1/auth/jwt/login",
        "::add-mask::",
    ):
        assert needle in runs, needle
    script = next(
        s["with"]["script"] for s in steps if s.get("uses", "").startswith("actions/github-script@")
    )
    assert "sealkeep-plan" in script and "updateComment" in script and "createComment" in script


def test_apply_workflow_runs_one_at_a_time_on_main() -> None:
    workflow = _load(WORKFLOWS / "apply.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"] == {"group": "sealkeep-apply", "cancel-in-progress": False}
    for job in workflow["jobs"].values():
        assert job["permissions"]["id-token"] == "write"
        [step] = [s for s in job["steps"] if s.get("uses") == "./"]
        assert step["with"]["command"] == "apply"
    assert "--auto-approve" in ACTION.read_text()


def test_the_composite_action_declares_what_it_uses() -> None:
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "uses" in step or step.get("shell") == "bash", step.get("name")
    declared = set(action["inputs"])
    referenced = set(re.findall(r"inputs\.([A-Za-z0-9_-]+)", ACTION.read_text()))
    assert referenced <= declared, referenced - declared
    for output in action["outputs"].values():
        assert output["value"].startswith("${{ steps.run.outputs.")


def test_workflows_pass_only_declared_inputs_to_the_action() -> None:
    declared = set(_load(ACTION)["inputs"])
    for file in WORKFLOWS.glob("*.yml"):
        for step in _steps(_load(file)):
            if step.get("uses") == "./":
                assert set(step.get("with", {})) <= declared, file.name


def test_pre_commit_hooks_are_well_formed() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["sealkeep-validate", "sealkeep-no-cleartext-secrets"]
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python"
        re.compile(hook["files"])
    cleartext = hooks[1]
    assert cleartext["entry"] == f"sealkeep {check_secrets.name}"
    assert cleartext.get("pass_filenames", True)
