"""load_repo: typed objects, every problem of every file in one run, duplicates, file lists."""

from __future__ import annotations

from pathlib import Path

from reconciler.gitops.manifests import (
    AppRole,
    AuditDevice,
    AuthMethod,
    AwsAuthRole,
    DatabaseConnection,
    DatabaseStaticRole,
    JwtAuthConfig,
    JWTRole,
    KubernetesAuthConfig,
    KubernetesRole,
    ObjectKey,
    Policy,
    Secret,
    SecretsEngine,
    Span,
    load_repo,
)
from tests.gitops.manifests.conftest import CASES, HEADER, WriteFiles

FULL = CASES / "positive" / "full-repo"
ENC = (
    "ENC[AES256_GCM,data:mHeXsmQ=,iv:vUMpILz3xchORqkzDFvgwENY7EqIHHGJdEF6C8xqbFE=,"
    "tag:IroV7hykADvD0IUaq6kikA==,type:str]"
)


def _policy(name: str, path: str = "secret/data/*") -> str:
    return (
        f"{HEADER}kind: Policy\nmetadata:\n  name: {name}\nspec:\n  rules:\n"
        f"    - path: {path}\n      capabilities: [read]\n"
    )


def test_full_repo_builds_typed_objects() -> None:
    desired = load_repo(FULL).desired
    assert desired is not None
    role = desired.get("AppRole", "payments-api")
    assert isinstance(role, AppRole)
    assert role.mount == "approle"
    assert role.token.policies == ("payments-api", "default")
    assert (role.token.ttl, role.token.max_ttl, role.secret_id_ttl) == (3600, 14400, 86400)
    assert role.secret_id_bound_cidrs == ("10.0.0.0/8",)
    engine = desired.get("SecretsEngine", "secret")
    assert isinstance(engine, SecretsEngine)
    assert (engine.kv_version, engine.max_lease_ttl) == (2, 768 * 3600)


def test_full_repo_auth_configs_and_roles() -> None:
    desired = load_repo(FULL).desired
    assert desired is not None
    jwt = desired.get("AuthMethod", "ci")
    assert isinstance(jwt, AuthMethod) and isinstance(jwt.config, JwtAuthConfig)
    assert jwt.config.oidc_discovery_url == "https://token.actions.githubusercontent.com"
    k8s = desired.get("AuthMethod", "kubernetes")
    assert isinstance(k8s, AuthMethod) and isinstance(k8s.config, KubernetesAuthConfig)
    deploy = desired.get("JWTRole", "payments-deploy")
    assert isinstance(deploy, JWTRole)
    assert deploy.bound_claims == {
        "repository": "acme/payments",
        "ref": ("refs/heads/main", "refs/heads/release"),
    }
    worker = desired.get("KubernetesRole", "payments-worker")
    assert isinstance(worker, KubernetesRole)
    assert worker.mount == "kubernetes" and worker.token.ttl == 3600
    batch = desired.get("AwsAuthRole", "payments-batch")
    assert isinstance(batch, AwsAuthRole)
    assert batch.mount == "aws" and batch.token.ttl == 1800
    assert batch.bound_iam_principal_arn[1] == "arn:aws:iam::123456789012:role/payments-jobs-*"


def test_full_repo_secrets_stay_encrypted() -> None:
    desired = load_repo(FULL).desired
    assert desired is not None
    secret = desired.get("Secret", "payments-api")
    assert isinstance(secret, Secret)
    assert (secret.mount, secret.path) == ("secret", "payments/api")
    assert all(v.startswith("ENC[AES256_GCM,") for v in secret.data.values())
    connection = desired.get("DatabaseConnection", "payments-pg")
    assert isinstance(connection, DatabaseConnection)
    assert connection.password is not None and connection.password.startswith("ENC[")
    static = desired.get("DatabaseStaticRole", "payments-reporting")
    assert isinstance(static, DatabaseStaticRole) and static.rotation_period == 86400


def test_full_repo_policies_from_yaml_and_hcl() -> None:
    desired = load_repo(FULL).desired
    assert desired is not None
    names = [p.name for p in desired.of_kind(Policy)]
    assert names == ["ops-readonly", "payments-admin", "payments-api"]
    from_file = desired.get("Policy", "ops-readonly")
    assert isinstance(from_file, Policy) and from_file.hcl is not None and not from_file.rules
    assert desired.spans[ObjectKey("Policy", "ops-readonly")] == Span(
        "policies/ops-readonly.hcl", 1, 1
    )
    rules = desired.get("Policy", "payments-api")
    assert isinstance(rules, Policy)
    assert rules.rules[1].allowed_parameters == {"version": ()}
    audit = desired.get("AuditDevice", "file")
    assert isinstance(audit, AuditDevice) and audit.options["log_raw"] == "false"


def test_span_points_at_metadata_name() -> None:
    desired = load_repo(FULL).desired
    assert desired is not None
    span = desired.spans[ObjectKey("AppRole", "payments-api")]
    assert span == Span("teams/payments/roles.yaml", 4, 3)


def test_one_run_reports_every_file(write_repo: WriteFiles) -> None:
    root = write_repo(
        {
            "a.yaml": "kind: [\n",
            "b.yaml": _policy("b").replace("[read]", "[reed]"),
            "c/d.yaml": f"{HEADER}kind: AppRole\nmetadata:\n  name: r\nspec:\n  token_ttl: soon\n",
        }
    )
    result = load_repo(root)
    assert result.desired is None
    assert sorted({d.path for d in result.diagnostics}) == ["a.yaml", "b.yaml", "c/d.yaml"]
    assert [d.path for d in result.diagnostics] == sorted(d.path for d in result.diagnostics)


def test_duplicates_across_files_name_the_first(write_repo: WriteFiles) -> None:
    root = write_repo({"one.yaml": _policy("dup"), "two/two.yaml": _policy("dup", "x/*")})
    lines = [str(d) for d in load_repo(root).diagnostics]
    assert lines == [
        "two/two.yaml:4:3: Policy/dup: duplicate Policy/dup: already defined at one.yaml:4:3"
    ]


def test_files_argument_limits_what_is_loaded(write_repo: WriteFiles) -> None:
    root = write_repo(
        {
            "keep.yaml": _policy("keep"),
            "broken.yaml": "kind: [\n",
            ".hidden/x.yaml": "kind: [\n",
            "notes.txt": "not a manifest",
        }
    )
    files = [Path("keep.yaml"), root / ".hidden/x.yaml", Path("notes.txt"), Path("/elsewhere.yaml")]
    result = load_repo(root, files)
    assert result.diagnostics == []
    assert result.desired is not None
    assert [o.key for o in result.desired] == [ObjectKey("Policy", "keep")]


def test_manifest_folders_from_config(write_repo: WriteFiles) -> None:
    root = write_repo(
        {
            "sealkeep.yaml": "manifests: [infra]\n",
            "infra/p.yaml": _policy("inside"),
            "docs/example.yaml": "kind: [\n",
        }
    )
    result = load_repo(root)
    assert result.diagnostics == []
    assert result.desired is not None and result.desired.get("Policy", "inside") is not None


def test_missing_manifest_folder_is_reported(write_repo: WriteFiles) -> None:
    root = write_repo({"sealkeep.yaml": "manifests: [nowhere]\n"})
    lines = [str(d) for d in load_repo(root).diagnostics]
    assert lines == ["sealkeep.yaml:1:1: manifests[0]: manifest folder 'nowhere' does not exist"]


def test_reference_to_object_with_schema_error_is_not_doubly_reported(
    write_repo: WriteFiles,
) -> None:
    broken = _policy("needed").replace("[read]", "[reed]")
    role = (
        f"{HEADER}kind: AuthMethod\nmetadata: {{name: approle}}\n"
        "spec: {path: approle, type: approle}\n"
        f"---\n{HEADER}kind: AppRole\nmetadata: {{name: r}}\nspec: {{token_policies: [needed]}}\n"
    )
    root = write_repo({"p.yaml": broken, "r.yaml": role})
    lines = [str(d) for d in load_repo(root).diagnostics]
    assert len(lines) == 1 and lines[0].startswith("p.yaml:8:22: Policy/needed:")


def test_secret_in_kv_mount_declared_with_trailing_slash(write_repo: WriteFiles) -> None:
    sops = 'sops:\n  lastmodified: "2024-01-01T00:00:00Z"\n  mac: x\n'
    root = write_repo(
        {
            "kv.yaml": f"{HEADER}kind: SecretsEngine\nmetadata: {{name: kv}}\n"
            "spec: {path: apps/, type: kv}\n",
            "s.yaml": f"{HEADER}kind: Secret\nmetadata: {{name: s}}\n"
            f"spec:\n  mount: apps\n  path: a/b\n  data:\n    k: {ENC}\n{sops}",
        }
    )
    result = load_repo(root)
    assert result.diagnostics == []
