"""The GitOps story end to end, on a real Git repo and a real server of its own: Sealkeep's,
a stock OpenBao and an OpenBao with the audit device declared in its config (tests/e2e/conftest).

The example repo is committed; plan and apply; an app logs in with AppRole and reads only
its own team's secrets; a branch changes a policy and a secret, and `plan --ref --base`
shows exactly those changes and files; merge and apply; a hand-made change is reported by
`drift` and corrected by `reconcile --once --correct-drift`; two branches editing different
values of one SOPS manifest merge through the merge driver.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import git
import hvac
import hvac.exceptions
import psycopg
import pymysql
import pytest
from click.testing import CliRunner, Result
from psycopg import sql

from reconciler.gitops.mergedriver import install
from reconciler.gitops.sops import decrypt_file
from reconciler.gitops.sops.manifest import set_value
from tests.support.databases import unavailable
from tests.support.targets import Target

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "platform"
PAYMENTS_SECRET = "teams/payments/secrets/staging.sops.yaml"
PAYMENTS_POLICIES = "teams/payments/policies.yaml"
COMMANDS = (
    ("reconciler.cli.export", "export"),
    ("reconciler.cli.history", "history"),
    ("reconciler.cli.validate", "validate"),
    ("reconciler.cli.plan", "plan"),
    ("reconciler.cli.apply", "apply"),
    ("reconciler.cli.drift", "drift"),
    ("reconciler.cli.reconcile", "reconcile"),
)


class Story:
    """The example repo under Git in a temporary folder, and the sealkeep commands in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.git = git.Repo(root)
        self.cli = click.Group()
        for module, attribute in COMMANDS:
            self.cli.add_command(getattr(importlib.import_module(module), attribute))

    def run(self, *args: str) -> Result:
        """`sealkeep ARGS` in the repo root."""
        return CliRunner().invoke(self.cli, list(args), catch_exceptions=False)

    def ok(self, *args: str, code: int = 0) -> Result:
        """Run, requiring exit `code`."""
        result = self.run(*args)
        assert result.exit_code == code, result.output
        return result

    def commit(self, message: str) -> str:
        """Commit everything; the SHA."""
        self.git.git.add(A=True)
        return self.git.index.commit(message).hexsha

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace `old` (which must be there) by `new` in a file."""
        file = self.root / relative
        text = file.read_text(encoding="utf-8")
        assert old in text, relative
        file.write_text(text.replace(old, new, 1), encoding="utf-8")


def _local_copy(top: Path, audit_log: Path) -> None:
    """The example, made to run on one machine: loopback CIDRs, an audit log in tmp."""
    shutil.copytree(EXAMPLE, top)
    for roles in top.glob("teams/*/roles.yaml"):
        text = roles.read_text(encoding="utf-8")
        text = re.sub(r"(_bound_cidrs): \[[^\]]*\]", r"\1: [127.0.0.0/8]", text)
        roles.write_text(text, encoding="utf-8")
    mounts = top / "platform" / "mounts.yaml"
    text = mounts.read_text(encoding="utf-8").replace("/tmp/sealkeep-audit.log", str(audit_log))
    mounts.write_text(text, encoding="utf-8")


@pytest.fixture
def story(tmp_path: Path, target: Target, monkeypatch: pytest.MonkeyPatch) -> Story:
    """The example committed on main, the env pointing at the target and the demo key."""
    top = tmp_path / "platform"
    _local_copy(top, target.audit_log)
    repo = git.Repo.init(top, initial_branch="main")
    command = f"{sys.executable} -m reconciler.cli.mergedriver %O %A %B %P"
    install(top, command=command)
    monkeypatch.setenv("VAULT_ADDR", target.url)
    monkeypatch.setenv("VAULT_TOKEN", target.root_token)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(EXAMPLE / "demo-age-key.txt"))
    monkeypatch.chdir(top)
    found = Story(top)
    found.commit("the platform repo")
    assert repo.head.commit.hexsha == found.git.head.commit.hexsha
    return found


def _app_login(vault: hvac.Client, url: str, role: str) -> hvac.Client:
    role_id = vault.read(f"auth/approle/role/{role}/role-id")["data"]["role_id"]
    secret_id = vault.write(f"auth/approle/role/{role}/secret-id")["data"]["secret_id"]
    app = hvac.Client(url=url)
    app.auth.approle.login(role_id=role_id, secret_id=secret_id)
    return app


def _by_hand(target: Target, path: str, **values: str) -> None:
    """Write a KV secret outside Git: with the real `bao` CLI on OpenBao, hvac on Sealkeep."""
    if target.is_openbao:
        target.bao("kv", "put", "-mount=secret", path, *(f"{k}={v}" for k, v in values.items()))
        return
    target.client().secrets.kv.v2.create_or_update_secret(
        path=path, mount_point="secret", secret=values
    )


def _read(client: hvac.Client, path: str) -> dict[str, object]:
    found = client.secrets.kv.v2.read_secret_version(
        path=path, mount_point="secret", raise_on_deleted_version=True
    )
    return dict(found["data"]["data"])


def _plan_json(story: Story, *args: str) -> dict[str, object]:
    return dict(json.loads(story.ok("plan", "--format", "json", *args).output))


def _changes(raw: dict[str, object]) -> list[tuple[str, str]]:
    return [(c["action"], f"{c['kind']}/{c['name']}") for c in raw["changes"]]  # type: ignore[attr-defined]


def test_the_gitops_story(story: Story, target: Target, tmp_path: Path) -> None:
    vault = target.client()
    assert "OK:" in story.ok("validate").output

    # Plan and apply the whole repo; kinds this reconciler does not manage are listed.
    first = story.ok("plan", "--detailed-exitcode", code=2).output
    assert "DEMO" not in first
    # Database kinds are either planned or listed as not reconciled, never silently dropped.
    assert "DatabaseConnection/platform-pg" in first
    applied = story.ok("apply", "--auto-approve").output
    assert "Apply complete" in applied
    assert "No changes." in story.ok("plan").output

    # An app logs in with AppRole and reads only its own team's secrets.
    app = _app_login(vault, target.url, "payments-staging")
    assert set(_read(app, "payments/staging/app")) == {"stripe_api_key", "webhook_signing_secret"}
    for other in ("search/staging/app", "payments/prod/app"):
        with pytest.raises(hvac.exceptions.Forbidden):
            _read(app, other)

    # A branch changes a policy and a secret.
    story.git.git.switch("-c", "rotate-payments")
    story.edit(
        PAYMENTS_POLICIES,
        "    - path: secret/metadata/payments/staging/*\n      capabilities: [list]",
        "    - path: secret/metadata/payments/staging/*\n      capabilities: [list, read]",
    )
    set_value(story.root / PAYMENTS_SECRET, "stripe_api_key", "sk_test_rotated_DEMO")
    branch_head = story.commit("payments: rotate the Stripe key, read staging metadata")
    story.git.git.switch("main")

    raw = _plan_json(story, "--ref", "rotate-payments", "--base", "main")
    assert _changes(raw) == [
        ("~", "Policy/payments-app-staging"),
        ("~", "Secret/payments-staging"),
    ]
    [key_change] = raw["changes"][1]["keys"]  # type: ignore[index]
    assert key_change["key"] == "stripe_api_key" and key_change["change"] == "changed"
    files = raw["files_changed"]["files"]  # type: ignore[index]
    assert [(f["path"], f["status"]) for f in files] == [
        (PAYMENTS_POLICIES, "modified"),
        (PAYMENTS_SECRET, "modified"),
    ]
    assert raw["source"]["commit"] == branch_head  # type: ignore[index]
    assert "sk_test_rotated" not in json.dumps(raw)

    # Merge and apply.
    story.git.git.merge("rotate-payments", "--ff-only")
    merged = story.ok("apply", "--auto-approve").output
    assert "Apply complete: 2 change(s) applied" in merged
    assert _read(vault, "payments/staging/app")["stripe_api_key"] == "sk_test_rotated_DEMO"

    # A hand-made change (with the `bao` CLI on OpenBao): drift reports it, reconcile corrects it.
    _by_hand(target, "payments/staging/app", stripe_api_key="by-hand")
    drift = story.ok("drift", code=2).output
    assert "Secret/payments-staging" in drift and "by-hand" not in drift
    corrected = story.run(
        "reconcile", "--repo", str(story.root), "--branch", "main", "--once",
        "--correct-drift", "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert corrected.exit_code == 0, corrected.output
    assert _read(vault, "payments/staging/app")["stripe_api_key"] == "sk_test_rotated_DEMO"
    assert "No drift" in story.ok("drift").output


def test_two_branches_editing_one_secret_merge_through_the_driver(story: Story) -> None:
    for branch, key, value in (
        ("rotate-stripe", "stripe_api_key", "sk_test_new_DEMO"),
        ("rotate-webhook", "webhook_signing_secret", "whsec_new_DEMO"),
    ):
        story.git.git.switch("-c", branch, "main")
        set_value(story.root / PAYMENTS_SECRET, key, value)
        story.commit(f"{branch}: {key}")
    story.git.git.switch("rotate-stripe")
    story.git.git.merge("rotate-webhook", "--no-edit")
    data = decrypt_file(story.root / PAYMENTS_SECRET).tree["spec"]["data"]
    assert data == {
        "stripe_api_key": "sk_test_new_DEMO",
        "webhook_signing_secret": "whsec_new_DEMO",
    }
    raw = _plan_json(story, "--ref", "rotate-stripe", "--base", "main")
    files = raw["files_changed"]["files"]  # type: ignore[index]
    assert [(f["path"], f["status"]) for f in files] == [(PAYMENTS_SECRET, "modified")]


MARIADB_AND_STATIC = """\
apiVersion: sealkeep.io/v1
kind: DatabaseConnection
metadata:
  name: platform-my
  owner: team-platform
spec:
  mount: database
  plugin_name: mysql-database-plugin
  connection_url: "{{{{username}}}}:{{{{password}}}}@tcp(127.0.0.1:3306)/"
  username: root
  allowed_roles: [reports-app]
---
apiVersion: sealkeep.io/v1
kind: DatabaseRole
metadata:
  name: reports-app
  owner: team-platform
spec:
  mount: database
  db_name: platform-my
  creation_statements:
    - CREATE USER '{{{{name}}}}'@'%' IDENTIFIED BY '{{{{password}}}}';
  revocation_statements:
    - DROP USER IF EXISTS '{{{{name}}}}'@'%';
  default_ttl: 5m
  max_ttl: 1h
---
apiVersion: sealkeep.io/v1
kind: DatabaseStaticRole
metadata:
  name: pg-reporter
  owner: team-platform
spec:
  mount: database
  db_name: platform-pg
  username: {pg_user}
  rotation_period: 24h
"""


@pytest.fixture
def pg_user(unique: str) -> Iterator[str]:
    """A PostgreSQL login for a static role, dropped at the end."""
    name = f"sk_story_{unique}"
    try:
        admin = psycopg.connect(
            host="127.0.0.1", user="postgres", dbname="test", autocommit=True, connect_timeout=5
        )
    except psycopg.Error as exc:
        unavailable("PostgreSQL at 127.0.0.1:5432", exc)
    with admin:
        admin.execute(sql.SQL("CREATE ROLE {0} LOGIN").format(sql.Identifier(name)))
        yield name
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {0}").format(sql.Identifier(name)))


@pytest.fixture
def mariadb() -> None:
    """MariaDB on loopback answers (else skip, or fail under SEALKEEP_REQUIRE_SERVICES=1)."""
    try:
        pymysql.connect(host="127.0.0.1", port=3306, user="root", connect_timeout=5).close()
    except pymysql.MySQLError as exc:
        unavailable("MariaDB at 127.0.0.1:3306", exc)


def _as_ci(story: Story, target: Target, monkeypatch: pytest.MonkeyPatch) -> Result:
    """`plan --detailed-exitcode` with a token holding only the example's `sealkeep-plan`."""
    token = target.client().auth.token.create(policies=["sealkeep-plan"], ttl="10m")
    monkeypatch.setenv("VAULT_TOKEN", token["auth"]["client_token"])
    try:
        return story.run("plan", "--detailed-exitcode")
    finally:
        monkeypatch.setenv("VAULT_TOKEN", target.root_token)


def _database_logins(vault: hvac.Client) -> None:
    """Dynamic logins on PostgreSQL and MariaDB work (then are revoked); the static role's
    password was rotated by the server."""
    for role in ("payments-app", "reports-app"):
        creds = vault.read(f"database/creds/{role}")
        assert creds["data"]["username"]
        vault.sys.revoke_lease(creds["lease_id"])
    static = vault.read("database/static-creds/pg-reporter")["data"]
    assert static["password"] and static["username"].startswith("sk_story_")


def test_operations_on_every_target(
    story: Story,
    target: Target,
    tmp_path: Path,
    pg_user: str,
    mariadb: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vault = target.client()
    (story.root / "platform" / "mariadb.yaml").write_text(
        MARIADB_AND_STATIC.format(pg_user=pg_user), encoding="utf-8"
    )
    story.edit(
        "platform/database.yaml",
        "allowed_roles: [payments-app, search-app, identity-app]",
        "allowed_roles: [payments-app, search-app, identity-app, pg-reporter]",
    )
    story.commit("databases: MariaDB and a static PostgreSQL login")

    # Apply; a second plan right after is empty (the server-defaulted fields, the root
    # password and the config-managed audit device included), also for the CI identity.
    applied = story.ok("apply", "--auto-approve").output
    assert "Apply complete" in applied
    if target.name == "openbao":
        assert "managed in server config" in applied
    second = story.ok("plan", "--detailed-exitcode").output
    assert "No changes." in second
    ci = _as_ci(story, target, monkeypatch)
    assert ci.exit_code == 0, ci.output
    _database_logins(vault)

    # Hand edits (the bao CLI on OpenBao) are drift; apply puts Git's state back.
    if target.is_openbao:
        target.bao("write", "auth/approle/role/payments-staging", "token_ttl=5m")
    else:
        vault.write("auth/approle/role/payments-staging", token_ttl="5m")
    _by_hand(target, "search/prod/app", indexer_token="by-hand")
    drift = story.ok("drift", code=2).output
    assert "AppRole/payments-staging" in drift and "Secret/search-prod" in drift
    assert "by-hand" not in drift
    story.ok("apply", "--auto-approve")
    assert "No drift" in story.ok("drift").output

    # A saved plan is applied as saved; prune deletes what Git no longer declares.
    (story.root / "policies" / "auditor.hcl").unlink()
    story.commit("auditor: retired")
    saved = tmp_path / "prune.plan.json"
    planned = story.ok("plan", "--prune", "--out", str(saved), "--detailed-exitcode", code=2)
    assert "- Policy/auditor" in planned.output
    story.ok("apply", str(saved))
    assert "auditor" not in vault.sys.list_acl_policies()["data"]["keys"]
    story.ok("plan", "--prune", "--detailed-exitcode")

    # History names every apply, newest first, with its changes (the module's server may
    # hold the other story's applies too).
    history = json.loads(story.ok("history", "--format", "json", "--changes").output)
    applies = history["applies"][:3]
    assert all(a["status"] == "ok" for a in applies), [a["status"] for a in applies]
    assert any(c["name"] == "auditor" for c in applies[0]["changes"])

    # Export the server into a new repo: a plan of it right after changes nothing.
    _export_then_plan(story, target, tmp_path / "exported")


def _export_then_plan(story: Story, target: Target, into: Path) -> None:
    """`export --secrets` (values encrypted for the repo's recipients), then plan it."""
    into.mkdir()
    shutil.copy(story.root / ".sops.yaml", into / ".sops.yaml")
    vault = target.client()  # a transit key made by hand, outside Git: export finds it
    vault.sys.enable_secrets_engine("transit", path="transit")
    vault.write("transit/keys/payments-signing", type="ed25519")
    exported = story.ok("export", "--to", str(into), "--secrets").output
    assert "payments-signing" in (into / "transit" / "transit.yaml").read_text(encoding="utf-8")
    assert "placeholder  DatabaseConnection/platform-pg: root password" in exported
    value = _read(target.client(), "payments/staging/app")["stripe_api_key"]
    texts = [f.read_text(encoding="utf-8") for f in into.rglob("*") if f.is_file()]
    assert not any(str(value) in text for text in texts)
    assert (into / "policies" / "payments-app-staging.hcl").exists()
    repo = git.Repo.init(into, initial_branch="main")
    repo.git.add(A=True)
    repo.index.commit("exported")
    planned = CliRunner().invoke(
        story.cli, ["plan", "--format", "json", str(into)], catch_exceptions=False
    )
    assert planned.exit_code == 0, planned.output
    raw = json.loads(planned.output)
    assert raw["changes"] == [], _changes(raw)
    # Applying it adopts what it found (the database connection too, on OpenBao, which never
    # returns verify_connection), and changes nothing.
    adopted = CliRunner().invoke(
        story.cli, ["apply", "--auto-approve", "--repo", str(into)], catch_exceptions=False
    )
    assert adopted.exit_code == 0, adopted.output
