"""The contract every kind implements to be read, written and deleted over the Vault API.

A `Handler` is the HTTP edge for one kind: raw API data stays inside it, and what crosses out
is an `ObjectState` in the same normalised shape as the desired side.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypedDict

import hvac
import hvac.exceptions

from reconciler.gitops.live.model import Fields, ObjectRef, ObjectState
from reconciler.gitops.manifests.kinds import Manifest


class ListedEntry(TypedDict, total=False):
    """One entry of `sys/mounts`, `sys/auth` or `sys/audit` as the Vault API lists it.

    The fields the reconciler reads; a store may send more, or omit any (so every reader
    checks), which is why the type is not total.
    """

    type: str
    description: str
    options: Mapping[str, Any] | None
    config: Mapping[str, Any] | None
    local: bool
    seal_wrap: bool
    accessor: str


RawEntries = Mapping[str, ListedEntry]
"""A listing keyed by path without the trailing slash."""


def kv_version_of(entry: ListedEntry) -> int | None:
    """1 or 2 for a kv mount entry of `sys/mounts`, None for any other engine."""
    kind = entry.get("type")
    if kind == "kv-v2":
        return 2
    if kind != "kv":
        return None
    options = entry.get("options") or {}
    return 2 if str(options.get("version", "1")) == "2" else 1


@dataclass(frozen=True)
class StoreView:
    """Listings read once per run (`sys/mounts`, `sys/auth`, `sys/audit`), keyed by path
    without the trailing slash, plus the kv versions of mounts the desired state declares.

    Invariant: raw entries never leave the `live` package; handlers turn them into states.
    """

    mounts: RawEntries = field(default_factory=dict)
    auth: RawEntries = field(default_factory=dict)
    audit: RawEntries = field(default_factory=dict)
    desired_kv: Mapping[str, int] = field(default_factory=dict)

    def kv_mounts(self) -> dict[str, int]:
        """Every kv mount path -> version: live ones, overridden by what Git declares."""
        found: dict[str, int] = {}
        for path, entry in self.mounts.items():
            version = kv_version_of(entry)
            if version is not None:
                found[path] = version
        found.update(self.desired_kv)
        return found

    def kv_mount_of(self, address: str) -> tuple[str, int] | None:
        """The kv mount (path, version) that holds `address`: the longest matching prefix."""
        best: tuple[str, int] | None = None
        for path, version in self.kv_mounts().items():
            if address.startswith(path + "/") and (best is None or len(path) > len(best[0])):
                best = (path, version)
        return best


class Handler(Protocol):
    """Reads, writes and deletes one kind; `replace_on` names fields a change of which
    means destroy-and-recreate rather than update in place."""

    kind: ClassVar[str]
    replace_on: ClassVar[frozenset[str]]

    def ref(self, obj: Manifest, view: StoreView) -> ObjectRef:
        """Where the desired object lives in the store."""
        ...

    def desired(self, obj: Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """The normalised desired state; `secret` holds decrypted values for sensitive kinds."""
        ...

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """The normalised live state at `ref.address`, or None when absent."""
        ...

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Create (`exists` False) or update the object to `state`."""
        ...

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Remove the object."""
        ...


def read_data(client: hvac.Client, path: str) -> Mapping[str, Any] | None:
    """`data` of a GET on `path`, or None on 404."""
    response = client.read(path)
    if not response:
        return None
    data = response.get("data")
    return data if isinstance(data, Mapping) else None


def list_keys(client: hvac.Client, path: str) -> list[str]:
    """The `keys` of a LIST on `path` (empty on 404)."""
    response = client.list(path)
    if not response:
        return []
    return [str(k) for k in (response.get("data") or {}).get("keys") or []]


KV_UPGRADING = "Upgrading from non-versioned to versioned data"
KV_READY_TIMEOUT = 30.0


def await_kv_ready(client: hvac.Client, mount: str, timeout: float = KV_READY_TIMEOUT) -> None:
    """Wait until a KV v2 mount just created answers: Vault and OpenBao refuse its requests
    ("Upgrading from non-versioned to versioned data") for a moment after the mount."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.read(f"{mount}/config")
            return
        except hvac.exceptions.VaultError as exc:
            if KV_UPGRADING not in str(exc):
                return  # it answers (this token may not read its config: no matter)
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)
