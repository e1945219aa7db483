"""The stale-root rule on its own: diff, the plan file and apply's bookkeeping, no server.

Real fingerprints (HMAC with a real key), real inventories and real plan files; the states
are what the handlers produce, built directly.
"""

from __future__ import annotations

import os
from dataclasses import replace

from reconciler.gitops.apply.writeonly import adopted_entry, applied_entry, state_to_write
from reconciler.gitops.live.inventory import Inventory, InventoryEntry
from reconciler.gitops.live.model import Fingerprinter, LiveState, ObjectRef, ObjectState, Sensitive
from reconciler.gitops.plan.connections import KEPT, NO_PASSWORD, RECORDED, SENT, sends_password
from reconciler.gitops.plan.diff import diff
from reconciler.gitops.plan.model import Action, Adoption, Change, Plan, TargetInfo
from reconciler.gitops.plan.planfile import dumps_plan
from reconciler.gitops.plan.render_markdown import render_markdown
from reconciler.gitops.plan.render_text import render_text

PASSWORD = "git-root-password-Zq81"
OTHER = "changed-root-password-Kd27"
REF = ObjectRef("DatabaseConnection", "pg", "database/config/pg")
FIELDS = {
    "plugin_name": "postgresql-database-plugin",
    "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:5432/test",
    "username": "root",
    "allowed_roles": ("app",),
    "verify_connection": True,
    "max_open_connections": 4,
    "password_policy": "",
    "root_rotation_statements": (),
}
FP = Fingerprinter(os.urandom(32))


def _want(password: str | None = PASSWORD, **fields: object) -> ObjectState:
    secret = Sensitive({"password": password}) if password is not None else None
    return ObjectState(REF, {**FIELDS, **fields}, secret)  # type: ignore[arg-type]


def _live(**fields: object) -> ObjectState:
    return ObjectState(REF, {**FIELDS, **fields})  # type: ignore[arg-type]


def _inventory(secret: str | None, managed: bool = True) -> Inventory:
    inventory = Inventory()
    if managed:
        inventory.put(InventoryEntry(REF, FP.state(_live()), "c0ffee", "now", secret))
    return inventory


def _diff(want: ObjectState, have: ObjectState | None, inventory: Inventory) -> list[Change]:
    live = LiveState({} if have is None else {have.ref.address: have})
    found = diff({want.ref.address: want}, live, inventory, FP, sources={REF.address: "db.yaml"})
    assert not found.adopt
    return list(found.changes)


def _plan(changes: list[Change]) -> Plan:
    return Plan("2024-01-01T00:00:00Z", TargetInfo("t", "http://x"), "state", "/r", tuple(changes))


def _assert_hidden(changes: list[Change]) -> None:
    plan = _plan(changes)
    for text in (render_text(plan), render_markdown(plan), dumps_plan(plan)):
        assert PASSWORD not in text and OTHER not in text


def test_a_create_sends_the_password_from_git() -> None:
    (change,) = _diff(_want(), None, Inventory())
    assert change.action is Action.CREATE and sends_password(change)
    assert [(k.key, k.change, k.after) for k in change.keys] == [
        ("password", "added", FP.value(PASSWORD))
    ]
    assert change.source == "db.yaml" and change.after == FP.state(_want())
    _assert_hidden([change])


def test_in_sync_with_the_recorded_password_is_no_change() -> None:
    assert _diff(_want(), _live(), _inventory(FP.value(PASSWORD))) == []


def test_a_field_change_after_rotation_never_sends_the_password() -> None:
    want = _want(allowed_roles=("app", "report"))
    (change,) = _diff(want, _live(), _inventory(FP.value(PASSWORD)))
    assert change.action is Action.UPDATE and not sends_password(change)
    assert [f.path for f in change.fields] == ["allowed_roles"] and change.keys == ()
    assert KEPT in change.notes
    written = state_to_write(change, want)
    assert written is not None and written.secret is None
    _assert_hidden([change])


def test_a_password_changed_in_git_is_sent_once_and_shown_by_fingerprint() -> None:
    (change,) = _diff(_want(OTHER), _live(), _inventory(FP.value(PASSWORD)))
    assert change.action is Action.UPDATE and sends_password(change) and change.fields == ()
    (key,) = change.keys
    assert (key.change, key.before, key.after) == ("changed", FP.value(PASSWORD), FP.value(OTHER))
    assert SENT in change.notes
    written = state_to_write(change, _want(OTHER))
    assert written is not None and written.secret_values() == {"password": OTHER}
    _assert_hidden([change])
    # Apply records the new value, so the next plan is quiet again.
    entry = applied_entry(change, _want(OTHER), FP, "c0ffee", "now")
    inventory = Inventory()
    inventory.put(entry)
    assert _diff(_want(OTHER), _live(), inventory) == []


def test_a_password_added_to_a_connection_that_had_none_is_sent() -> None:
    (change,) = _diff(_want(), _live(), _inventory(NO_PASSWORD))
    assert sends_password(change) and change.keys[0].change == "added"


def test_adopting_an_existing_connection_records_the_password_without_sending_it() -> None:
    (change,) = _diff(_want(), _live(), _inventory(None, managed=False))
    assert change.action is Action.UPDATE and change.adopt and not sends_password(change)
    assert RECORDED in change.notes and change.source == "db.yaml"
    entry = applied_entry(change, _want(), FP, None, "now")
    assert entry.secret == FP.value(PASSWORD)
    # The inventory fingerprint is the one the store's read gives: drift stays quiet.
    assert entry.fingerprint == FP.state(_live())


def test_an_imported_connection_records_first_and_sends_later_changes() -> None:
    (change,) = _diff(_want(), _live(), _inventory(None))
    assert not change.adopt and not sends_password(change) and RECORDED in change.notes


def test_without_a_password_in_git_a_connection_is_an_ordinary_object() -> None:
    found = diff(
        {REF.address: _want(None)}, LiveState({REF.address: _live()}), Inventory(), FP, sources={}
    )
    assert found.changes == () and found.adopt == (Adoption(REF, FP.state(_live())),)
    assert adopted_entry(found.adopt[0], None, "now").secret == NO_PASSWORD
    (change,) = _diff(_want(None, username="other"), _live(), _inventory(NO_PASSWORD))
    assert change.source is None and not sends_password(change)
    assert applied_entry(change, _want(None), FP, None, "now").secret == NO_PASSWORD


def test_a_connection_recreated_with_its_mount_sends_and_shows_the_password() -> None:
    mount = ObjectRef("SecretsEngine", "db", "sys/mounts/database")
    engine = {"type": "database", "kv_version": None, "description": "", "options": {},
              "default_lease_ttl": 0, "max_lease_ttl": 0}  # fmt: skip
    want_mount = ObjectState(mount, engine)
    have_mount = ObjectState(mount, {**engine, "type": "kv"})
    inventory = _inventory(FP.value(PASSWORD))
    inventory.put(InventoryEntry(mount, FP.state(have_mount)))
    found = diff(
        {mount.address: want_mount, REF.address: _want()},
        LiveState({mount.address: have_mount, REF.address: _live()}),
        inventory, FP, sources={REF.address: "db.yaml"},
    )  # fmt: skip
    replaced, recreated = found.changes
    assert replaced.action is Action.REPLACE and recreated.action is Action.CREATE
    assert sends_password(recreated) and recreated.keys[0].key == "password"
    assert recreated.source == "db.yaml"


def test_entries_round_trip_with_the_recorded_fingerprint() -> None:
    entry = InventoryEntry(REF, "hmac:00", None, "now", FP.value(PASSWORD))
    assert InventoryEntry.decode(entry.encode()) == entry
    plain = replace(entry, secret=None)
    assert "secret" not in plain.encode() and InventoryEntry.decode(plain.encode()) == plain
