"""Database kinds through plan and apply against the real PostgreSQL, with the stale-root rule.

The test creates its own superuser to be the connection's root (so rotate-root changes a real
password without touching the machine's postgres user) and an existing user for the static
role; both are dropped at the end, and no issued user is left behind. The machine's
PostgreSQL trusts loopback logins, so passwords are checked against the stored SCRAM
verifiers, and what a write sent is read from the store's audit log.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import hvac
import psycopg
import pytest
from psycopg import sql

from reconciler.gitops.plan.drift import detect_drift
from reconciler.gitops.plan.model import Action, Plan
from reconciler.gitops.plan.planfile import dumps_plan
from reconciler.gitops.plan.render_markdown import render_markdown
from reconciler.gitops.plan.render_text import render_text
from tests.gitops.database.support import audit_writes, write_connection, write_roles
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import Repo, manifest
from tests.store.engines.database.support import (
    pg_password_is,
    pg_role,
    pg_select_one,
)
from tests.store.engines.database.support import (
    unique as unique_user,
)
from tests.support.servers import ServerProcess

ROOT_PASSWORD = "Root-" + secrets.token_hex(12)


def _drop(admin: psycopg.Connection, name: str) -> None:
    ident = sql.Identifier(name)
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                  (name,))  # fmt: skip
    if pg_role(admin, name) is not None:
        admin.execute(sql.SQL("DROP OWNED BY {0}").format(ident))
        admin.execute(sql.SQL("DROP ROLE {0}").format(ident))


@pytest.fixture
def db_users(pg_admin: psycopg.Connection) -> Iterator[tuple[str, str]]:
    """(root superuser with ROOT_PASSWORD, existing user for the static role); dropped after."""
    root, static = unique_user("root"), unique_user("static")
    pg_admin.execute(
        sql.SQL("CREATE ROLE {0} LOGIN SUPERUSER PASSWORD {1}").format(
            sql.Identifier(root), sql.Literal(ROOT_PASSWORD)
        )
    )
    pg_admin.execute(sql.SQL("CREATE ROLE {0} LOGIN PASSWORD 'initial'").format(
        sql.Identifier(static)))  # fmt: skip
    try:
        yield root, static
    finally:
        _drop(pg_admin, static)
        _drop(pg_admin, root)


def _names(plan: Plan) -> list[tuple[str, str]]:
    return [(c.action.value, c.ref.kind) for c in plan.changes]


def _assert_hidden(plan: Plan, *values: str) -> None:
    texts = [render_text(plan), render_markdown(plan), dumps_plan(plan)]
    for value in values:
        assert all(value not in text for text in texts)


class Scenario:
    """The repo, its names and the clients of one test run."""

    def __init__(self, tmp: Path, server: ServerProcess, log: Path, users: tuple[str, str]):
        self.u = "t" + secrets.token_hex(4)
        self.mount, self.conn = f"{self.u}-db", f"{self.u}-pg"
        self.role, self.static = f"{self.u}-app", f"{self.u}-report"
        self.root_user, self.static_user = users
        self.client: hvac.Client = server.client()
        self.log = log
        self.repo = Repo(tmp / "repo")
        self.reconcile = Reconcile(self.repo, self.client, f"{self.u}-state")
        engine = manifest("SecretsEngine", self.mount, {"path": self.mount, "type": "database"})
        self.repo.write("database/mount.yaml", engine)
        self.connection([self.role, self.static])
        write_roles(self.repo, self.mount, self.conn, self.role, self.static, self.static_user)

    def connection(self, allowed: list[str], password: str = ROOT_PASSWORD) -> None:
        """(Re)write the connection's SOPS file."""
        write_connection(self.repo, self.mount, self.conn, self.root_user, password, allowed)

    @property
    def config_path(self) -> str:
        """The connection's API path."""
        return f"{self.mount}/config/{self.conn}"

    def config_writes(self) -> list[dict[str, object]]:
        """What each write of the connection carried (audit log, values HMAC'd)."""
        return audit_writes(self.log, self.config_path)

    def creds(self) -> tuple[str, str, str]:
        """(username, password, lease id) issued by the dynamic role."""
        out = self.client.secrets.database.generate_credentials(self.role, mount_point=self.mount)
        return out["data"]["username"], out["data"]["password"], out["lease_id"]

    def static_password(self) -> str:
        """The static role's current password (read only to check it never leaks)."""
        out = self.client.secrets.database.get_static_credentials(self.static, self.mount)
        return str(out["data"]["password"])


@pytest.fixture
def scenario(
    tmp_path: Path,
    audited_server: tuple[ServerProcess, Path],
    db_users: tuple[str, str],
) -> Scenario:
    """A fresh repo against an audited server of the test's own."""
    server, log = audited_server
    return Scenario(tmp_path, server, log, db_users)


def _hmac(s: Scenario, value: str) -> str:
    return str(s.client.sys.calculate_hash("file", value)["data"]["hash"])


def _first_apply(s: Scenario, pg_admin: psycopg.Connection) -> list[tuple[str, str]]:
    plan = s.reconcile.plan()
    assert _names(plan) == [
        ("+", "SecretsEngine"), ("+", "DatabaseConnection"),
        ("+", "DatabaseRole"), ("+", "DatabaseStaticRole"),
    ]  # fmt: skip
    assert plan.skipped == ()
    create = plan.changes[1]
    assert [k.key for k in create.keys] == ["password"] and create.keys[0].change == "added"
    _assert_hidden(plan, ROOT_PASSWORD)
    assert s.reconcile.apply(plan).ok
    (write,) = s.config_writes()
    assert write["password"] == _hmac(s, ROOT_PASSWORD) and ROOT_PASSWORD not in str(write)
    assert pg_password_is(pg_admin, s.root_user, ROOT_PASSWORD)
    user, password, lease = s.creds()
    assert pg_select_one(user, password) == 1
    assert pg_password_is(pg_admin, user, password)
    static = s.static_password()
    assert pg_password_is(pg_admin, s.static_user, static)
    _assert_hidden(plan, static)
    return [(user, lease)]


def _rotate_and_replan(
    s: Scenario, pg_admin: psycopg.Connection, issued: list[tuple[str, str]]
) -> None:
    s.client.secrets.database.rotate_root_credentials(s.conn, mount_point=s.mount)
    assert not pg_password_is(pg_admin, s.root_user, ROOT_PASSWORD)
    verifier = pg_admin.execute(
        "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (s.root_user,)
    ).fetchone()
    plan = s.reconcile.plan()
    assert plan.changes == () and not plan.has_changes
    assert s.reconcile.apply(plan).ok
    assert len(s.config_writes()) == 1
    # A rotation is not drift: the inventory fingerprints only what the store returns.
    assert not detect_drift(s.client, s.reconcile.state_mount).has_drift
    # allowed_roles changes in Git: one update, without the password.
    s.connection([s.role, s.static, f"{s.u}-extra"])
    plan = s.reconcile.plan()
    (change,) = plan.changes
    assert change.action is Action.UPDATE and change.ref.kind == "DatabaseConnection"
    assert [f.path for f in change.fields] == ["allowed_roles"] and change.keys == ()
    assert any("not sent" in note for note in change.notes)
    _assert_hidden(plan, ROOT_PASSWORD, s.static_password())
    assert s.reconcile.apply(plan).ok
    last = s.config_writes()[-1]
    assert "password" not in last and "allowed_roles" in last
    # The rotated root password is untouched, and the store still issues working logins.
    assert (
        pg_admin.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (s.root_user,)
        ).fetchone()
        == verifier
    )
    user, password, lease = s.creds()
    issued.append((user, lease))
    assert pg_select_one(user, password) == 1 and pg_password_is(pg_admin, user, password)
    assert s.reconcile.plan().changes == ()


def _prune_role(s: Scenario) -> None:
    write_roles(s.repo, s.mount, s.conn, None, s.static, s.static_user)
    kept = s.reconcile.plan()
    assert kept.changes == () and [str(r) for r in kept.orphans] == [f"DatabaseRole/{s.role}"]
    plan = s.reconcile.plan(prune=True)
    assert _names(plan) == [("-", "DatabaseRole")]
    assert s.reconcile.apply(plan).ok
    assert s.client.read(f"{s.mount}/roles/{s.role}") is None


def test_database_kinds_reconcile_and_a_rotated_root_is_never_sent_again(
    scenario: Scenario, pg_admin: psycopg.Connection
) -> None:
    s = scenario
    issued = _first_apply(s, pg_admin)
    assert s.reconcile.plan().changes == ()
    _rotate_and_replan(s, pg_admin, issued)
    _prune_role(s)
    # Deleting the role leaves its leases; revoking them drops the users it issued.
    for user, lease in issued:
        assert pg_role(pg_admin, user) is not None
        s.client.sys.revoke_lease(lease)
        assert pg_role(pg_admin, user) is None
    # Removing everything from Git with prune deletes in reverse order: roles, connection, mount.
    for rel in ("database/roles.yaml", "database/connection.sops.yaml", "database/mount.yaml"):
        (s.repo.root / "manifests" / rel).unlink()
    plan = s.reconcile.plan(prune=True, allow_destroy=True)
    assert _names(plan) == [
        ("-", "DatabaseStaticRole"), ("-", "DatabaseConnection"), ("-", "SecretsEngine"),
    ]  # fmt: skip
    assert s.reconcile.apply(plan).ok
    assert s.reconcile.plan(prune=True).changes == ()


def test_a_password_changed_in_git_after_rotation_is_sent_once(
    scenario: Scenario, pg_admin: psycopg.Connection
) -> None:
    s = scenario
    s.reconcile.converge()
    s.client.secrets.database.rotate_root_credentials(s.conn, mount_point=s.mount)
    # A DBA sets a new root password and commits it; the plan shows it by fingerprint only.
    new = "Dba-" + secrets.token_hex(12)
    pg_admin.execute(sql.SQL("ALTER ROLE {0} PASSWORD {1}").format(
        sql.Identifier(s.root_user), sql.Literal(new)))  # fmt: skip
    s.connection([s.role, s.static], password=new)
    plan = s.reconcile.plan()
    (change,) = plan.changes
    assert change.action is Action.UPDATE and change.fields == ()
    assert [(k.key, k.change) for k in change.keys] == [("password", "changed")]
    _assert_hidden(plan, new, ROOT_PASSWORD)
    assert s.reconcile.apply(plan).ok
    assert s.config_writes()[-1]["password"] == _hmac(s, new)
    assert s.reconcile.plan().changes == ()
    # The store owns it again: rotating works, and the next plan still sends nothing.
    s.client.secrets.database.rotate_root_credentials(s.conn, mount_point=s.mount)
    assert not pg_password_is(pg_admin, s.root_user, new)
    assert s.reconcile.plan().changes == ()
    writes = len(s.config_writes())
    for rel in ("database/roles.yaml", "database/connection.sops.yaml", "database/mount.yaml"):
        (s.repo.root / "manifests" / rel).unlink()
    assert s.reconcile.apply(s.reconcile.plan(prune=True, allow_destroy=True)).ok
    assert len(s.config_writes()) == writes


def test_a_connection_the_store_refuses_fails_with_no_secret_in_the_error(
    scenario: Scenario,
) -> None:
    s = scenario
    bad = "Wrong-" + secrets.token_hex(12)
    # A port nothing listens on: the store's connection check fails and nothing is saved.
    write_connection(s.repo, s.mount, s.conn, s.root_user, bad, [s.role], port=9)
    (s.repo.root / "manifests" / "database" / "roles.yaml").unlink()
    result = s.reconcile.apply(s.reconcile.plan())
    failed = [o for o in result.outcomes if o.status == "failed"]
    assert [o.ref.kind for o in failed] == ["DatabaseConnection"]
    assert failed[0].error and bad not in failed[0].error
    assert s.client.read(s.config_path) is None
