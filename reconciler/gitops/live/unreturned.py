"""Fields a server accepts on write but may never return on read: one declared table per kind.

OpenBao (and Vault) never return a DatabaseConnection's `verify_connection`: it only steers
the write. Sealkeep's server returns it. A read that lacks such a field cannot disagree with
Git, so the field is left out of the live state and taken from the state it is compared with
(Git's on a plan, the last apply's on drift). A field the server does return is diffed as any
other. This is the one rule for such fields; no handler special-cases them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from reconciler.gitops.live.model import Fields, FieldValue, ObjectState

UNRETURNED: Mapping[str, frozenset[str]] = {
    "DatabaseConnection": frozenset({"verify_connection"}),
}


def drop_unreturned(
    kind: str, raw: Mapping[str, object], fields: Mapping[str, FieldValue]
) -> dict[str, FieldValue]:
    """`fields` (a projected live read) without the declared fields `raw` did not carry."""
    missing = {name for name in UNRETURNED.get(kind, ()) if raw.get(name) is None}
    return {name: value for name, value in fields.items() if name not in missing}


def complete(have: ObjectState | None, reference: Fields | None) -> ObjectState | None:
    """`have` with each declared field it lacks taken from `reference` (what it is compared
    with), so a field the server never returned shows no difference."""
    if have is None or reference is None:
        return have
    missing = [n for n in UNRETURNED.get(have.ref.kind, ()) if n not in have.fields]
    if not missing:
        return have
    fields = dict(have.fields)
    for name in missing:
        if name in reference:
            fields[name] = reference[name]
    return replace(have, fields=fields)
