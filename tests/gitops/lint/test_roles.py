"""SK006 token and credential lifetimes, SK007 AppRole secret ID expiry, SK008 CIDR binding."""

from __future__ import annotations

from pathlib import Path

from reconciler.gitops.lint import lint_repo
from reconciler.gitops.lint.roles import human_duration
from tests.gitops.lint.conftest import APPROLE, only, write


def _approle(**spec: str) -> str:
    lines = [f"  {key}: {value}" for key, value in spec.items()]
    return (
        "apiVersion: sealkeep.io/v1\nkind: AppRole\nmetadata: {name: app}\nspec:\n"
        + "\n".join(lines)
        + "\n"
    )


def test_human_durations() -> None:
    assert [human_duration(s) for s in (0, 45, 5400, 90000)] == ["0s", "45s", "1h30m", "25h"]


def test_a_role_without_max_ttl(clean: Path) -> None:
    write(clean, "approle.yaml", APPROLE.replace("  token_max_ttl: 4h\n", ""))
    [finding] = only(lint_repo(clean), "SK006")
    assert finding.message.startswith("no token_max_ttl")
    assert (finding.path, finding.line) == ("approle.yaml", 3)


def test_a_role_with_a_long_max_ttl_points_at_the_field(clean: Path) -> None:
    write(clean, "approle.yaml", APPROLE.replace("token_max_ttl: 4h", "token_max_ttl: 72h"))
    [finding] = only(lint_repo(clean), "SK006")
    assert finding.message == "token_max_ttl 72h is longer than 24h"
    assert (finding.line, finding.column) == (7, 18)


def test_the_ttl_limit_is_configurable(clean: Path) -> None:
    write(clean, "sealkeep.yaml", (clean / "sealkeep.yaml").read_text() + "lint:\n  max_ttl: 2h\n")
    [finding] = only(lint_repo(clean), "SK006")
    assert finding.message == "token_max_ttl 4h is longer than 2h"


def test_periodic_tokens_need_an_explicit_max(clean: Path) -> None:
    write(clean, "approle.yaml", APPROLE + "  token_period: 1h\n")
    [finding] = only(lint_repo(clean), "SK006")
    assert "token_explicit_max_ttl" in finding.message
    write(clean, "approle.yaml", APPROLE + "  token_period: 1h\n  token_explicit_max_ttl: 8h\n")
    assert only(lint_repo(clean), "SK006") == []


def test_jwt_kubernetes_and_database_roles_are_checked(clean: Path) -> None:
    write(
        clean,
        "more.yaml",
        """apiVersion: sealkeep.io/v1
kind: AuthMethod
metadata: {name: kubernetes}
spec: {path: kubernetes, type: kubernetes, config: {kubernetes_host: "https://10.0.0.1"}}
---
apiVersion: sealkeep.io/v1
kind: KubernetesRole
metadata: {name: worker}
spec:
  bound_service_account_names: [worker]
  bound_service_account_namespaces: [apps]
  token_policies: [app]
---
apiVersion: sealkeep.io/v1
kind: SecretsEngine
metadata: {name: database}
spec: {path: database, type: database}
---
apiVersion: sealkeep.io/v1
kind: DatabaseConnection
metadata: {name: pg}
spec:
  plugin_name: postgresql-database-plugin
  connection_url: postgresql://{{username}}@127.0.0.1:5432/app
  allowed_roles: [ro, forever]
---
apiVersion: sealkeep.io/v1
kind: DatabaseRole
metadata: {name: ro}
spec:
  db_name: pg
  creation_statements: ["CREATE ROLE x"]
  max_ttl: 48h
---
apiVersion: sealkeep.io/v1
kind: DatabaseRole
metadata: {name: forever}
spec:
  db_name: pg
  creation_statements: ["CREATE ROLE x"]
""",
    )
    found = {(f.subject, f.message) for f in only(lint_repo(clean), "SK006")}
    assert found == {
        (
            "KubernetesRole/worker",
            "no token_max_ttl: tokens live as long as the mount allows (32 days by default)",
        ),
        ("DatabaseRole/ro", "max_ttl 48h is longer than 24h"),
        (
            "DatabaseRole/forever",
            "no max_ttl: credentials can be renewed up to the mount's maximum",
        ),
    }


def test_approle_secret_ids_must_expire_and_be_required(clean: Path) -> None:
    write(clean, "approle.yaml", APPROLE.replace("  secret_id_ttl: 24h\n", ""))
    [finding] = only(lint_repo(clean), "SK007")
    assert finding.message == "no secret_id_ttl: a leaked secret ID works forever"
    write(clean, "approle.yaml", APPROLE + "  bind_secret_id: false\n")
    [finding] = only(lint_repo(clean), "SK007")
    assert finding.message == "bind_secret_id is false: the role_id alone logs in"
    assert finding.line == 10


def test_approles_need_a_cidr_binding(clean: Path) -> None:
    write(clean, "approle.yaml", APPROLE.replace("  secret_id_bound_cidrs: [10.0.0.0/8]\n", ""))
    [finding] = only(lint_repo(clean), "SK008")
    assert finding.subject == "AppRole/app"
    write(clean, "approle.yaml", APPROLE.replace("secret_id_bound_cidrs", "token_bound_cidrs"))
    assert only(lint_repo(clean), "SK008") == []
