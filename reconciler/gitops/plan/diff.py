"""Desired vs live -> ordered Changes, respecting ownership (the inventory).

Order: creates, updates and replacements by dependency tier (mounts, auth methods and audit
devices; policies; auth roles and database connections; secrets and database roles), then
deletes in reverse tier order. An object Git declares that exists live but is not managed is
adopted: updated if it differs (the change says so), recorded in the inventory either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from reconciler.gitops.live.inventory import Inventory, InventoryEntry
from reconciler.gitops.live.model import Fields, Fingerprinter, LiveState, ObjectRef, ObjectState
from reconciler.gitops.live.reader import unmanaged
from reconciler.gitops.live.registry import handler_for
from reconciler.gitops.live.unreturned import complete
from reconciler.gitops.plan.connections import connection_change, recreated
from reconciler.gitops.plan.desired import WRITE_ONLY_KINDS
from reconciler.gitops.plan.fields import field_changes, key_changes, policy_notes
from reconciler.gitops.plan.model import Action, Adoption, Change, KeptMount

EMPTY_DISPLAY = frozenset({'""', "0", "[]", "{}", "null", "false"})


@dataclass(frozen=True)
class DiffResult:
    """What `diff` found; the caller wraps it in a Plan with the run's context."""

    changes: tuple[Change, ...]
    adopt: tuple[Adoption, ...]
    forget: tuple[ObjectRef, ...]
    unmanaged: tuple[ObjectRef, ...]
    orphans: tuple[ObjectRef, ...]
    kept: tuple[KeptMount, ...] = ()


def mount_prefix(ref: ObjectRef) -> str | None:
    """The API path prefix of everything under a mount (None for other kinds)."""
    if ref.kind == "SecretsEngine":
        return ref.address.removeprefix("sys/mounts/").rstrip("/") + "/"
    if ref.kind == "AuthMethod":
        return "auth/" + ref.address.removeprefix("sys/auth/").rstrip("/") + "/"
    return None


def _keep_mounts(
    deletes: list[Change], foreign: Sequence[ObjectRef]
) -> tuple[list[Change], list[KeptMount]]:
    """Drop the deletes of mounts that hold objects nobody manages: prune never takes
    data it does not own with it."""
    kept: list[KeptMount] = []
    remaining: list[Change] = []
    for change in deletes:
        prefix = mount_prefix(change.ref)
        inside = [r for r in foreign if prefix and r.address.startswith(prefix)]
        if inside:
            kept.append(KeptMount(change.ref, len(inside)))
        else:
            remaining.append(change)
    return remaining, kept


def _sort_key(ref: ObjectRef) -> tuple[int, str, str]:
    return (ref.tier, ref.kind, ref.address)


def _object_change(
    want: ObjectState,
    have: ObjectState | None,
    fp: Fingerprinter,
    managed: bool,
    source: str | None,
) -> Change | None:
    after = fp.state(want)
    before = fp.state(have) if have is not None else None
    if have is not None and before == after:
        return None
    fields = field_changes(have.fields if have else None, want.fields)
    fields = [f for f in fields if f.path != "keys"]
    if have is None:
        # A create lists what it sets; empty and zero values are the store's defaults.
        fields = [f for f in fields if f.after not in EMPTY_DISPLAY]
    keys = key_changes(have.secret_values() if have else {}, want.secret_values(), fp)
    notes: list[str] = []
    if want.ref.kind == "Policy":
        notes += policy_notes(want.ref.name, have.fields if have else None, want.fields)
    action = Action.CREATE
    if have is not None:
        replace_on = handler_for(want.ref.kind).replace_on
        forced = sorted({f.path.split(".")[0] for f in fields} & replace_on)
        action = Action.REPLACE if forced else Action.UPDATE
        if forced:
            notes.append(f"replaced because {', '.join(forced)} cannot change in place")
        if want.ref.kind == "TransitKey":
            notes += transit_key_notes(have.fields, want.fields, bool(forced))
        if not managed:
            notes.append("adopts an existing object that is not yet managed")
    return Change(
        action, want.ref, before, after, tuple(fields), tuple(keys), tuple(notes),
        desired=want.fields, source=source, adopt=have is not None and not managed,
    )  # fmt: skip


def transit_key_notes(have: Fields, want: Fields, replaced: bool) -> list[str]:
    """What apply will refuse about a transit key, said in the plan a reviewer reads."""
    notes = []
    if replaced and not have.get("deletion_allowed"):
        notes.append(
            "apply will refuse: the live key has deletion_allowed false "
            "(set deletion_allowed: true and apply that first)"
        )
    for switch in ("exportable", "allow_plaintext_backup"):
        if have.get(switch) and not want.get(switch):
            notes.append(f"{switch} cannot be turned off once on: the store keeps it on")
    return notes


def _replaced_prefixes(changes: Sequence[Change]) -> tuple[str, ...]:
    prefixes = []
    for change in changes:
        if change.action is Action.REPLACE and change.ref.kind == "SecretsEngine":
            prefixes.append(change.ref.address.removeprefix("sys/mounts/") + "/")
        if change.action is Action.REPLACE and change.ref.kind == "AuthMethod":
            prefixes.append("auth/" + change.ref.address.removeprefix("sys/auth/") + "/")
    return tuple(prefixes)


def _recreate(change: Change, want: ObjectState | None, fp: Fingerprinter) -> Change:
    note = "recreated: its mount is replaced"
    change = replace(change, action=Action.CREATE, notes=(*change.notes, note))
    return recreated(change, want, fp)


def _change_for(
    want: ObjectState,
    have: ObjectState | None,
    fp: Fingerprinter,
    entry: InventoryEntry | None,
    source: str | None,
) -> Change | None:
    managed = entry is not None and entry.ref.address == want.ref.address
    if want.ref.kind not in WRITE_ONLY_KINDS:
        return _object_change(want, have, fp, managed, source)
    # Write-only secrets are never read back: diff the fields, then apply the rule.
    change = _object_change(replace(want, secret=None), have, fp, managed, None)
    recorded = entry.secret if managed and entry is not None else None
    return connection_change(change, want, have, fp, managed, recorded, source)


def _desired_changes(
    desired: Mapping[str, ObjectState],
    live: LiveState,
    inventory: Inventory,
    fp: Fingerprinter,
    sources: Mapping[str, str],
) -> tuple[list[Change], list[Adoption], list[ObjectState]]:
    changes: list[Change] = []
    adopt: list[Adoption] = []
    in_sync: list[ObjectState] = []
    for want in sorted(desired.values(), key=lambda s: _sort_key(s.ref)):
        entry = inventory.get(str(want.ref))
        managed = entry is not None and entry.ref.address == want.ref.address
        read = live.get(want.ref.address)
        have = complete(read, want.fields)
        change = _change_for(want, have, fp, entry, sources.get(want.ref.address))
        if change is not None:
            changes.append(change)
        elif not managed:
            # The fingerprint of the read as it came (apply's stale check re-reads it so).
            adopt.append(Adoption(want.ref, fp.state(read if read is not None else want)))
        else:
            in_sync.append(want)
    prefixes = _replaced_prefixes(changes)
    if prefixes:
        changes = [
            _recreate(c, desired.get(c.ref.address), fp)
            if c.action is Action.UPDATE and c.ref.address.startswith(prefixes)
            else c
            for c in changes
        ]
        for state in in_sync:
            if state.ref.address.startswith(prefixes):
                after = fp.state(state)
                change = Change(Action.CREATE, state.ref, after, after, desired=state.fields,
                                source=sources.get(state.ref.address))  # fmt: skip
                changes.append(_recreate(change, state, fp))
        changes.sort(key=lambda c: _sort_key(c.ref))
    return changes, adopt, in_sync


def diff(
    desired: Mapping[str, ObjectState],
    live: LiveState,
    inventory: Inventory,
    fp: Fingerprinter,
    *,
    listed: Sequence[ObjectRef] = (),
    sources: Mapping[str, str] | None = None,
    prune: bool = False,
) -> DiffResult:
    """Compare desired states (by address) with the live ones, under the inventory's rules.

    Managed objects no longer in Git become deletes when `prune`, else orphans; managed
    objects gone from both are forgotten; listed objects nobody manages are unmanaged, and
    a mount holding any of them is kept (never deleted by prune).
    """
    changes, adopt, _ = _desired_changes(desired, live, inventory, fp, sources or {})
    desired_keys = {str(s.ref): s.ref.address for s in desired.values()}
    deletes: list[Change] = []
    forget: list[ObjectRef] = []
    orphans: list[ObjectRef] = []
    for entry in inventory:
        if desired_keys.get(str(entry.ref)) == entry.ref.address:
            continue
        have = live.get(entry.ref.address)
        if have is None:
            forget.append(entry.ref)
        elif prune:
            deletes.append(Change(Action.DELETE, entry.ref, fp.state(have), None))
        else:
            orphans.append(entry.ref)
    deletes.sort(key=lambda c: _sort_key(c.ref), reverse=True)
    known = set(desired) | inventory.addresses()
    foreign = unmanaged(listed, known)
    deletes, kept = _keep_mounts(deletes, foreign)
    return DiffResult(
        tuple(changes + deletes),
        tuple(adopt),
        tuple(forget),
        tuple(foreign),
        tuple(orphans),
        tuple(kept),
    )
