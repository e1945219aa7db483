"""Database connections and roles made by hand in a declared database mount are reported."""

from __future__ import annotations

from pathlib import Path

import hvac

from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import Repo, manifest


def test_hand_made_database_objects_are_listed_as_unmanaged(
    tmp_path: Path, vault: hvac.Client, unique: str
) -> None:
    repo = Repo(tmp_path / "repo")
    mount = f"{unique}-db"
    repo.write("db.yaml", manifest("SecretsEngine", mount, {"path": mount, "type": "database"}))
    rec = Reconcile(repo, vault, f"{unique}-state")
    assert rec.apply(rec.plan()).ok
    vault.write_data(
        f"{mount}/config/by-hand",
        data={
            "plugin_name": "postgresql-database-plugin",
            "connection_url": "postgresql://{{username}}@127.0.0.1:5432/postgres",
            "username": "nobody",
            "verify_connection": False,
            "allowed_roles": "*",
        },
    )
    vault.write_data(
        f"{mount}/roles/by-hand-role",
        data={"db_name": "by-hand", "creation_statements": ["SELECT 1"]},
    )
    plan = rec.plan()
    found = {(r.kind, r.address) for r in plan.unmanaged}
    assert ("DatabaseConnection", f"{mount}/config/by-hand") in found
    assert ("DatabaseRole", f"{mount}/roles/by-hand-role") in found
    assert not plan.has_changes, "unmanaged objects are reported and left alone"
