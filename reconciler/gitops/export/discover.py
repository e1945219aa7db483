"""Read every object of a live server the reconciler can manage (one listing pass, then one
read per object on the bounded connection pool)."""

from __future__ import annotations

from collections.abc import Mapping

import hvac

from reconciler.gitops.live.handlers import ListedEntry
from reconciler.gitops.live.model import LiveState
from reconciler.gitops.live.reader import ROLE_KINDS, ListScope, list_live, read_objects, read_view
from reconciler.gitops.live.statestore import DEFAULT_STATE_MOUNT


def _of_type(mounts: Mapping[str, ListedEntry], kind: str) -> frozenset[str]:
    return frozenset(p for p, e in mounts.items() if str(e.get("type")) == kind)


def discover(
    client: hvac.Client, secrets: bool, state_mount: str = DEFAULT_STATE_MOUNT
) -> LiveState:
    """Every mount, auth method, audit device, policy and quota; the roles of every role-bearing
    auth method; every database object and transit key; and, with `secrets`, every KV secret."""
    view = read_view(client)
    kv = view.kv_mounts()
    scope = ListScope(
        auth_mounts=frozenset(p for p, e in view.auth.items() if str(e.get("type")) in ROLE_KINDS),
        kv_mounts=frozenset(p for p in kv if p != state_mount) if secrets else frozenset(),
        database_mounts=_of_type(view.mounts, "database"),
        transit_mounts=_of_type(view.mounts, "transit"),
        skip_mounts=frozenset({state_mount}),
    )
    view = read_view(client, kv)
    return read_objects(client, list_live(client, view, scope), view)
