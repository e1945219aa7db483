"""KV secrets: `<mount>/data/<path>` on kv v2 mounts, `<mount>/<path>` on kv v1.

The values are wrapped in `Sensitive` as soon as they are read; the only non-sensitive
field is the sorted list of key names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

import hvac

from reconciler.gitops.live.handlers import StoreView, read_data
from reconciler.gitops.live.model import Fields, FieldValue, ObjectRef, ObjectState, Sensitive
from reconciler.gitops.live.normalise import frozen, plain
from reconciler.gitops.manifests import kinds as k


def secret_address(mount: str, path: str, version: int) -> str:
    """The API path that reads a secret's current data."""
    path = path.strip("/")
    return f"{mount}/data/{path}" if version == 2 else f"{mount}/{path}"


def metadata_address(address: str, view: StoreView) -> str:
    """For a kv v2 data address, the metadata address that removes every version."""
    found = view.kv_mount_of(address)
    if found is None or found[1] != 2:
        return address
    mount = found[0]
    return f"{mount}/metadata/" + address.removeprefix(f"{mount}/data/")


def _state(ref: ObjectRef, values: Mapping[str, Any]) -> ObjectState:
    data: dict[str, FieldValue] = {str(a): frozen(b) for a, b in values.items()}
    return ObjectState(ref, {"keys": tuple(sorted(data))}, Sensitive(data))


class SecretHandler:
    """A KV secret; `fields` holds only the key names, the values are `Sensitive`."""

    kind: ClassVar[str] = "Secret"
    replace_on: ClassVar[frozenset[str]] = frozenset()

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """The data path on the secret's kv mount (v2 unless the mount says v1)."""
        secret = cast(k.Secret, obj)
        version = view.kv_mounts().get(secret.mount, 2)
        return ObjectRef(self.kind, secret.name, secret_address(secret.mount, secret.path, version))

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """Key names, and the decrypted values (which the caller must supply)."""
        if secret is None:
            raise ValueError(f"{ref}: the decrypted values are needed")
        return _state(ref, secret)

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """One GET; a deleted or destroyed latest version reads as absent."""
        found = view.kv_mount_of(ref.address)
        if found is None:
            return None
        data = read_data(client, ref.address)
        if data is None:
            return None
        values = data.get("data") if found[1] == 2 else data
        if not isinstance(values, Mapping):
            return None
        return _state(ref, values)

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Write the values as a new version (kv v2) or in place (kv v1)."""
        values = {a: plain(b) for a, b in state.secret_values().items()}
        found = view.kv_mount_of(state.ref.address)
        body = {"data": values} if found is None or found[1] == 2 else values
        client.write_data(state.ref.address, data=body)

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Remove the secret with every version."""
        client.delete(metadata_address(ref.address, view))
