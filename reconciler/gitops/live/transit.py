"""Transit keys at `<mount>/keys/<name>`.

A key is created with its fixed fields (`type`, `derived`, `convergent_encryption`) and then
configured (`<mount>/keys/<name>/config`) with the ones that may change. Deleting a key
destroys its material for good, so the handler refuses unless the live key itself says
`deletion_allowed` (the plan also counts it as a destroy, behind `--allow-destroy`).
"""

from __future__ import annotations

from typing import ClassVar, cast

import hvac

from reconciler.gitops.live.handlers import StoreView, read_data
from reconciler.gitops.live.model import Fields, ObjectRef, ObjectState
from reconciler.gitops.live.normalise import FieldTable, as_bool, as_int, as_str, project
from reconciler.gitops.manifests import kinds as k
from reconciler.vocabulary.durations import parse_duration

# The fields fixed when the key is made: a change means a new key (the old one destroyed).
CREATE_ONLY = frozenset({"type", "derived", "convergent_encryption"})
CONFIG_FIELDS = (
    "exportable",
    "allow_plaintext_backup",
    "deletion_allowed",
    "min_decryption_version",
    "min_encryption_version",
    "auto_rotate_period",
)


def as_seconds(value: object) -> int:
    """A period as whole seconds (a store may answer 3600 or "1h")."""
    if isinstance(value, str) and not value.isdigit():
        return parse_duration(value)
    return int(cast(int, value))


TRANSIT_KEY_FIELDS: FieldTable = {
    "type": ("aes256-gcm96", as_str),
    "derived": (False, as_bool),
    "convergent_encryption": (False, as_bool),
    "exportable": (False, as_bool),
    "allow_plaintext_backup": (False, as_bool),
    "deletion_allowed": (False, as_bool),
    "min_decryption_version": (1, as_int),
    "min_encryption_version": (0, as_int),
    "auto_rotate_period": (0, as_seconds),
}


class KeyDeletionRefused(ValueError):
    """A transit key would be destroyed while its live `deletion_allowed` is false."""


class TransitKeyHandler:
    """A transit key; `type`, `derived` and `convergent_encryption` force a replace."""

    kind: ClassVar[str] = "TransitKey"
    replace_on: ClassVar[frozenset[str]] = CREATE_ONLY

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """`<mount>/keys/<key name>`."""
        key = cast(k.TransitKey, obj)
        return ObjectRef(self.kind, obj.name, f"{key.mount}/keys/{key.key_name or key.name}")

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """Every managed field, with the store's defaults for what the manifest leaves out."""
        key = cast(k.TransitKey, obj)
        raw = {name: getattr(key, name) for name in TRANSIT_KEY_FIELDS}
        return ObjectState(ref, project(raw, TRANSIT_KEY_FIELDS))

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """One GET of the key (settings only; the store never returns private material)."""
        data = read_data(client, ref.address)
        if data is None:
            return None
        return ObjectState(ref, project(data, TRANSIT_KEY_FIELDS))

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Create the key when new, then set its changeable fields."""
        f = state.fields
        if not exists:
            created = {name: f[name] for name in ("type", "derived", "convergent_encryption")}
            created |= {n: f[n] for n in ("exportable", "allow_plaintext_backup")}
            created["auto_rotate_period"] = f"{f['auto_rotate_period']}s"
            client.write_data(state.ref.address, data=created)
        config = {name: f[name] for name in CONFIG_FIELDS}
        config["auto_rotate_period"] = f"{f['auto_rotate_period']}s"
        # exportable / allow_plaintext_backup false is sent as it is: a store ignores it once
        # the switch is on (as OpenBao), and the plan says so each time.
        client.write_data(f"{state.ref.address}/config", data=config)

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Delete the key, only when the live key allows it (its material is destroyed)."""
        data = read_data(client, ref.address)
        if data is None:
            return
        if not data.get("deletion_allowed"):
            raise KeyDeletionRefused(
                f"transit key {ref.address} has deletion_allowed false: set "
                "deletion_allowed: true in Git and apply that first, then delete or replace it"
            )
        client.delete(ref.address)
