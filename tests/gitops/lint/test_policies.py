"""SK001 whole-mount wildcards, SK002 sudo, SK003 one policy on many roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.gitops.lint import lint_repo
from reconciler.gitops.lint.policies import covers_whole_mount
from reconciler.gitops.manifests import Severity
from tests.gitops.lint.conftest import APPROLE, only, write


@pytest.mark.parametrize(
    "pattern",
    [
        "*",
        "+/*",
        "secret/*",
        "secret/+/*",
        "secret/data/*",
        "secret/metadata/+/*",
        "secret/+",
        "auth/*",
        "auth/approle/*",
        "sys/*",
        "/secret/*",
    ],
)
def test_patterns_covering_a_whole_mount(pattern: str) -> None:
    assert covers_whole_mount(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "secret/data/app/*",
        "secret/data/app",
        "secret/data/pay*",
        "secret/data/+/api/*",
        "auth/approle/login",
        "database/creds/app",
        "sys/leases/lookup/*",
        "auth/approle/role/app/*",
    ],
)
def test_patterns_limited_below_the_mount(pattern: str) -> None:
    assert not covers_whole_mount(pattern)


def test_yaml_rule_with_a_mount_wildcard_points_at_its_path(clean: Path) -> None:
    write(
        clean,
        "wide.yaml",
        "apiVersion: sealkeep.io/v1\nkind: Policy\nmetadata: {name: wide}\n"
        "spec:\n  rules:\n    - path: secret/app/ok\n      capabilities: [read]\n"
        "    - path: secret/+/*\n      capabilities: [read, list]\n",
    )
    [finding] = only(lint_repo(clean), "SK001")
    assert (finding.path, finding.line, finding.column) == ("wide.yaml", 8, 13)
    assert finding.severity is Severity.ERROR
    assert str(finding) == (
        "wide.yaml:8:13: SK001 error: Policy/wide: path 'secret/+/*' grants [read, list] on a whole mount"
    )


def test_hcl_files_and_embedded_hcl_point_at_the_path_block(clean: Path) -> None:
    write(
        clean, "policies/ops.hcl", '# ops\n\npath "secret/data/*" {\n  capabilities = ["read"]\n}\n'
    )
    write(
        clean,
        "embedded.yaml",
        "apiVersion: sealkeep.io/v1\nkind: Policy\nmetadata: {name: emb}\n"
        'spec:\n  hcl: |\n    path "secret/data/app/*" { capabilities = ["read"] }\n'
        '    path "*" { capabilities = ["list"] }\n',
    )
    found = {(f.path, f.line, f.column) for f in only(lint_repo(clean), "SK001")}
    assert found == {("policies/ops.hcl", 3, 1), ("embedded.yaml", 7, 5)}


def test_deny_rules_are_not_wildcard_grants(clean: Path) -> None:
    write(
        clean,
        "deny.yaml",
        "apiVersion: sealkeep.io/v1\nkind: Policy\nmetadata: {name: deny}\n"
        "spec:\n  rules:\n    - path: secret/*\n      capabilities: [deny]\n",
    )
    assert only(lint_repo(clean), "SK001") == []


def test_sudo_is_a_warning(clean: Path) -> None:
    write(
        clean,
        "policies/break-glass.hcl",
        'path "sys/rotate" {\n  capabilities = ["update", "sudo"]\n}\n',
    )
    [finding] = only(lint_repo(clean), "SK002")
    assert finding.severity is Severity.WARNING
    assert finding.message == "path 'sys/rotate' grants sudo"


def _roles(count: int) -> str:
    return "---\n".join(APPROLE.replace("name: app}", f"name: app{i}}}") for i in range(count))


def test_a_policy_on_more_than_five_roles_is_flagged(clean: Path) -> None:
    write(clean, "many.yaml", _roles(4))
    assert only(lint_repo(clean), "SK003") == []
    write(clean, "many.yaml", _roles(5))
    [finding] = only(lint_repo(clean), "SK003")
    assert finding.path == "policy.yaml"
    assert finding.message.startswith(
        "attached to 6 roles (more than 5): AppRole/app, AppRole/app0"
    )


def test_the_role_threshold_is_configurable(clean: Path) -> None:
    write(
        clean,
        "sealkeep.yaml",
        (clean / "sealkeep.yaml").read_text() + "lint:\n  max_roles_per_policy: 1\n",
    )
    write(clean, "more.yaml", _roles(1))
    [finding] = only(lint_repo(clean), "SK003")
    assert "attached to 2 roles (more than 1)" in finding.message
