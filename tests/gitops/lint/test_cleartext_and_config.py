"""SK013 cleartext values (and check_files for pre-commit), SK000, and the lint: settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.gitops.lint import UnknownRuleError, check_files, lint_repo
from reconciler.gitops.manifests import Severity
from tests.gitops.lint.conftest import ids, only, write

CLEAR = """apiVersion: sealkeep.io/v1
kind: Secret
metadata: {name: clear}
spec:
  mount: secret
  path: app/clear
  data:
    api_key: hunter2
    empty: ""
"""


def test_a_cleartext_value_is_refused_without_showing_it(clean: Path) -> None:
    write(clean, "clear.yaml", CLEAR)
    report = lint_repo(clean)
    [finding] = only(report, "SK013")
    assert (finding.path, finding.line, finding.column) == ("clear.yaml", 8, 5)
    assert finding.message == "spec.data.api_key is in clear: encrypt it (sealkeep secret set/edit)"
    assert all("hunter2" not in str(f) for f in report.findings)
    assert "SK000" in ids(report)


def test_check_files_checks_only_the_given_yaml_files(tmp_path: Path) -> None:
    clear = write(tmp_path, "clear.yaml", CLEAR)
    other = write(tmp_path, "notes.txt", "api_key: hunter2\n")
    connection = write(
        tmp_path,
        "db.yaml",
        "apiVersion: sealkeep.io/v1\nkind: DatabaseConnection\n"
        "metadata: {name: pg}\nspec:\n  plugin_name: postgresql-database-plugin\n"
        "  connection_url: postgresql://x\n  password: letmein\n",
    )
    found = check_files([clear, other, connection], base=tmp_path)
    assert [(f.path, f.line, f.subject) for f in found] == [
        ("clear.yaml", 8, "Secret/clear"),
        ("db.yaml", 7, "DatabaseConnection/pg"),
    ]


def test_check_files_passes_encrypted_secrets(clean: Path) -> None:
    assert check_files([clean / "app-secret.yaml", clean / "policy.yaml"]) == []


def test_load_problems_are_sk000_and_rules_needing_manifests_skip(clean: Path) -> None:
    write(
        clean,
        "broken.yaml",
        "apiVersion: sealkeep.io/v1\nkind: Policy\nmetadata: {name: b}\nspec: {}\n",
    )
    write(clean, "policies/wide.hcl", 'path "*" { capabilities = ["read"] }\n')
    report = lint_repo(clean)
    assert "SK001" not in ids(report)
    [finding] = only(report, "SK000")
    assert finding.path == "broken.yaml"
    assert finding.severity is Severity.ERROR


def test_disable_and_severity_from_sealkeep_yaml(clean: Path) -> None:
    write(clean, "policies/wide.hcl", 'path "*" { capabilities = ["sudo", "read"] }\n')
    assert {(f.rule_id, f.severity) for f in lint_repo(clean).findings} == {
        ("SK001", Severity.ERROR),
        ("SK002", Severity.WARNING),
    }
    config = (clean / "sealkeep.yaml").read_text()
    write(
        clean, "sealkeep.yaml", config + "lint:\n  disable: [SK002]\n  severity: {SK001: warning}\n"
    )
    report = lint_repo(clean)
    assert [(f.rule_id, f.severity) for f in report.findings] == [("SK001", Severity.WARNING)]
    assert not report.has_errors


def test_only_runs_the_named_rules(clean: Path) -> None:
    write(clean, "policies/wide.hcl", 'path "*" { capabilities = ["sudo", "read"] }\n')
    write(clean, "clear.yaml", CLEAR)
    assert ids(lint_repo(clean, only=["SK013"])) == ["SK013"]
    with pytest.raises(UnknownRuleError, match="unknown lint rule SK999"):
        lint_repo(clean, only=["SK999"])


def test_an_invalid_lint_setting_is_a_config_problem(clean: Path) -> None:
    config = (clean / "sealkeep.yaml").read_text()
    write(clean, "sealkeep.yaml", config + "lint:\n  max_roles_per_policy: 0\n")
    [finding] = only(lint_repo(clean), "SK000")
    assert finding.path == "sealkeep.yaml"
