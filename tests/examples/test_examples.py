"""The example repo loads with no diagnostic, lints with no error, and its secrets decrypt."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.gitops.lint import lint_repo
from reconciler.gitops.manifests import AuditDevice, DatabaseRole, Policy, Secret, load_repo
from reconciler.gitops.sops import decrypt_file, load_creation_rule
from reconciler.gitops.sops.keysources.age import recipient_of

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "platform"
DEMO_KEY = EXAMPLE / "demo-age-key.txt"
TEAMS = ("payments", "search", "identity")
ENVIRONMENTS = ("staging", "prod")


def _identity() -> str:
    lines = DEMO_KEY.read_text(encoding="utf-8").splitlines()
    return next(line for line in lines if line.startswith("AGE-SECRET-KEY-"))


def test_the_example_loads_with_zero_diagnostics() -> None:
    result = load_repo(EXAMPLE)
    assert result.diagnostics == []
    assert result.desired is not None
    names = {o.name for o in result.desired.of_kind(Policy)}
    for team in TEAMS:
        assert {f"{team}-app-staging", f"{team}-app-prod", f"{team}-deploy"} <= names
    assert {r.name for r in result.desired.of_kind(DatabaseRole)} == {f"{t}-app" for t in TEAMS}
    assert result.desired.of_kind(AuditDevice)


def test_the_example_lints_without_errors() -> None:
    report = lint_repo(EXAMPLE)
    assert not report.has_errors, [str(f) for f in report.findings]


def test_the_demo_key_is_marked_and_matches_sops_yaml() -> None:
    assert DEMO_KEY.read_text(encoding="utf-8").startswith("# DEMO ONLY")
    rule = load_creation_rule(EXAMPLE / "teams" / "payments" / "secrets" / "prod.sops.yaml")
    assert rule.age == (recipient_of(_identity()),)


@pytest.mark.parametrize("team", TEAMS)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_secret_decrypts_with_the_demo_key(team: str, env: str) -> None:
    file = EXAMPLE / "teams" / team / "secrets" / f"{env}.sops.yaml"
    doc = decrypt_file(file, [_identity()])
    assert doc.tree["kind"] == Secret.kind
    assert doc.tree["spec"]["path"] == f"{team}/{env}/app"
    assert all(isinstance(v, str) and "DEMO" in v for v in doc.tree["spec"]["data"].values())


def test_each_app_policy_reaches_only_its_own_environment() -> None:
    result = load_repo(EXAMPLE)
    assert result.desired is not None
    for policy in result.desired.of_kind(Policy):
        if policy.name.endswith(("-staging", "-prod")):
            team, _, env = policy.name.partition("-app-")
            kv_paths = [r.path for r in policy.rules if r.path.startswith("secret/")]
            assert all(
                p.startswith(f"secret/data/{team}/{env}/")
                or p.startswith(f"secret/metadata/{team}/{env}/")
                for p in kv_paths
            )
