"""SK004 KV database passwords, SK005 no audit device, SK012 single node without snapshots."""

from __future__ import annotations

from pathlib import Path

from reconciler.gitops.lint import lint_repo
from reconciler.gitops.manifests import Severity
from tests.gitops.lint.conftest import CONFIG, MOUNTS, only, write, write_secret

DATABASE = """apiVersion: sealkeep.io/v1
kind: SecretsEngine
metadata: {name: database}
spec: {path: database, type: database}
---
apiVersion: sealkeep.io/v1
kind: DatabaseConnection
metadata: {name: orders-pg}
spec:
  plugin_name: postgresql-database-plugin
  connection_url: postgresql://{{username}}@127.0.0.1:5432/ledger
  allowed_roles: [orders-ro]
---
apiVersion: sealkeep.io/v1
kind: DatabaseRole
metadata: {name: orders-ro}
spec:
  db_name: orders-pg
  creation_statements: ["CREATE ROLE x"]
  max_ttl: 1h
"""


def test_no_finding_without_a_declared_connection(clean: Path, recipient: str) -> None:
    write_secret(clean, "db.yaml", "db", "app/db", {"db_password": "x"}, recipient)
    assert only(lint_repo(clean), "SK004") == []


def test_a_db_password_key_is_flagged_once_a_connection_exists(clean: Path, recipient: str) -> None:
    write(clean, "database.yaml", DATABASE)
    write_secret(clean, "db.yaml", "db", "app/db", {"user": "u", "db_password": "x"}, recipient)
    [finding] = only(lint_repo(clean), "SK004")
    assert finding.severity is Severity.WARNING
    assert (finding.path, finding.line, finding.column) == ("db.yaml", 10, 5)
    assert finding.message == (
        "spec.data.db_password looks like a static database password; a DatabaseRole issues "
        "short-lived logins instead (e.g. database/creds/orders-ro)"
    )
    assert "x" not in finding.message.split()


def test_a_password_in_a_secret_named_after_the_database(clean: Path, recipient: str) -> None:
    write(clean, "database.yaml", DATABASE)
    write_secret(clean, "a.yaml", "ledger-creds", "app/a", {"password": "x"}, recipient)
    write_secret(clean, "b.yaml", "b", "app/orders-pg", {"admin_password": "x"}, recipient)
    write_secret(clean, "c.yaml", "c", "app/feedback", {"password": "x"}, recipient)
    found = {(f.subject, f.message.split()[0]) for f in only(lint_repo(clean), "SK004")}
    assert found == {
        ("Secret/ledger-creds", "spec.data.password"),
        ("Secret/b", "spec.data.admin_password"),
    }


def test_no_audit_device_is_an_error_at_the_config(clean: Path) -> None:
    write(
        clean, "mounts.yaml", MOUNTS.split("---\napiVersion: sealkeep.io/v1\nkind: AuditDevice")[0]
    )
    [finding] = only(lint_repo(clean), "SK005")
    assert (finding.path, finding.line, finding.severity) == ("sealkeep.yaml", 1, Severity.ERROR)


def test_single_node_without_snapshot_schedule(clean: Path) -> None:
    write(clean, "sealkeep.yaml", "manifests: [.]\nstore:\n  nodes: 1\n")
    [finding] = only(lint_repo(clean), "SK012")
    assert (finding.path, finding.line, finding.column) == ("sealkeep.yaml", 2, 1)
    write(clean, "sealkeep.yaml", "manifests: [.]\nstore:\n  nodes: 3\n")
    assert only(lint_repo(clean), "SK012") == []
    write(clean, "sealkeep.yaml", CONFIG)
    assert only(lint_repo(clean), "SK012") == []


def test_a_repo_without_config_anchors_at_the_first_manifest(clean: Path) -> None:
    (clean / "sealkeep.yaml").unlink()
    [finding] = only(lint_repo(clean), "SK012")
    assert finding.path == "app-secret.yaml"


def test_lint_from_a_subfolder_lints_the_whole_repo(clean: Path) -> None:
    sub = clean / "deep" / "er"
    sub.mkdir(parents=True)
    assert lint_repo(sub).findings == lint_repo(clean).findings
    assert lint_repo(sub).root == clean.resolve()
