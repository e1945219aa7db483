"""plan --format github: workflow-command annotations for diagnostics and destructive
changes, the text plan on stdout, and the Markdown plan appended to the step summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.gitops.live.model import ObjectRef
from reconciler.gitops.manifests import Diagnostic, Severity, Span
from reconciler.gitops.plan.model import Action, Change, Plan, TargetInfo
from reconciler.gitops.plan.render_github import Annotation, plan_annotations, render_annotations
from tests.gitops.gitwiring.conftest import GitRepo
from tests.gitops.plan.repo import manifest


def test_annotations_point_at_the_manifest_and_escape_as_the_runner_expects() -> None:
    audit = ObjectRef("AuditDevice", "file", "sys/audit/file")
    gone = ObjectRef("Policy", "old", "sys/policies/acl/old")
    plan = Plan(
        created_at="2025-01-01T00:00:00Z", target=TargetInfo("prod", "https://x"),
        state_mount="s", root="/r",
        changes=(
            Change(Action.REPLACE, audit, "hmac:1", "hmac:2",
                   notes=("replaced because description cannot change in place",)),
            Change(Action.DELETE, gone, "hmac:3", None),
        ),
        locations={"AuditDevice/file": Span("platform/audit.yaml", 12, 1)},
        warnings=(Diagnostic("a, b.yaml", 3, 5, "odd: 100%\nvalue", "Policy", "p",
                             severity=Severity.WARNING),),
    )  # fmt: skip
    lines = render_annotations(plan_annotations(plan, prefix="repo")).splitlines()
    assert lines == [
        "::warning file=repo/a%2C b.yaml,line=3,col=5,title=sealkeep validate::"
        "Policy/p: odd: 100%25%0Avalue",
        # Destroyed objects come first, as in every rendering of a plan.
        "::warning title=sealkeep plan%3A delete::apply deletes Policy/old "
        "(sys/policies/acl/old) (no longer declared in Git)",
        "::warning file=repo/platform/audit.yaml,line=12,title=sealkeep plan%3A replace::"
        "apply deletes and recreates AuditDevice/file (sys/audit/file): "
        "replaced because description cannot change in place",
    ]
    assert Annotation("error", "x").command() == "::error::x"


def test_plan_under_actions_annotates_and_writes_the_step_summary(
    gitrepo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    g, u = gitrepo, gitrepo.unique
    g.ok("apply", "--auto-approve")
    g.git.git.rm(f"manifests/secrets/{u}-api.yaml")
    g.commit("drop the secret")
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(g.root.parent))

    result = g.ok("plan", "--format", "github", "--prune", "--base", "HEAD~1")
    stdout = result.stdout
    assert stdout.startswith(
        f"::warning title=sealkeep plan%3A delete::apply deletes Secret/{u}-api"
    )
    assert f"  - Secret/{u}-api ({u}-kv/data/api/config)" in stdout
    assert "Plan: 0 to add, 0 to change, 0 to replace, 1 to destroy." in stdout
    written = summary.read_text()
    assert written.startswith("# earlier step\n### Sealkeep plan for `env`")
    assert f"| `manifests/secrets/{u}-api.yaml` | deleted |" in written


def test_load_errors_become_error_annotations(
    gitrepo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = gitrepo
    monkeypatch.setenv("GITHUB_WORKSPACE", str(g.root))
    g.repo.write("bad.yaml", manifest("AppRole", "bad", {"token_policies": ["missing"]}))
    result = g.run("plan", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=manifests/bad.yaml,line=")
    assert "policy 'missing' is not declared" in result.stdout
