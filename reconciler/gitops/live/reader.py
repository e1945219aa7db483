"""Read the live state: three listings, then one read per object the run cares about.

Only the objects the desired state names, plus those the inventory manages, are read (one
GET each, from a small pool of threads each holding its own HTTP session), so a plan costs
about what the unavoidable reads cost. Listings find unmanaged objects in the same places.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import click
import hvac

from reconciler.gitops.live.handlers import ListedEntry, StoreView, list_keys, read_data
from reconciler.gitops.live.model import LiveState, ObjectRef, ObjectState
from reconciler.gitops.live.policies import BUILTIN_POLICIES
from reconciler.gitops.live.quotas import QUOTAS
from reconciler.gitops.live.registry import handler_for
from reconciler.gitops.live.secrets import secret_address
from reconciler.gitops.live.session import connections, per_thread

SYSTEM_MOUNTS = frozenset({"sys", "cubbyhole", "identity"})
SYSTEM_AUTH = frozenset({"token"})
ROLE_KINDS = {
    "approle": "AppRole",
    "jwt": "JWTRole",
    "kubernetes": "KubernetesRole",
    "aws": "AwsAuthRole",
}
PROGRESS_THRESHOLD = 500


def _entries(data: Mapping[str, Any] | None) -> dict[str, ListedEntry]:
    return {
        str(path).rstrip("/"): cast(ListedEntry, entry)
        for path, entry in (data or {}).items()
        if isinstance(entry, Mapping)
    }


def read_view(client: hvac.Client, desired_kv: Mapping[str, int] | None = None) -> StoreView:
    """The `sys/mounts`, `sys/auth` and `sys/audit` listings (three requests)."""
    return StoreView(
        mounts=_entries(read_data(client, "sys/mounts")),
        auth=_entries(read_data(client, "sys/auth")),
        audit=_entries(read_data(client, "sys/audit")),
        desired_kv=dict(desired_kv or {}),
    )


@contextmanager
def _progress(total: int, label: str, show: bool) -> Iterator[Callable[[int], None]]:
    if not show or total < PROGRESS_THRESHOLD:
        yield lambda n: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def read_objects(
    client: hvac.Client, refs: Sequence[ObjectRef], view: StoreView, progress: bool = False
) -> LiveState:
    """Read each ref once, on a bounded pool of connections (`SEALKEEP_CONNECTIONS`, default
    8), in the order given; absent objects are left out of the result."""
    get_client = per_thread(client)

    def one(ref: ObjectRef) -> ObjectState | None:
        return handler_for(ref.kind).read(get_client(), ref, view)

    found: dict[str, ObjectState] = {}
    with (
        _progress(len(refs), "Reading live state", progress) as advance,
        ThreadPoolExecutor(max_workers=connections()) as pool,
    ):
        for state in pool.map(one, refs):
            advance(1)
            if state is not None:
                found[state.ref.address] = state
    return LiveState(found)


@dataclass(frozen=True)
class ListScope:
    """Where to look for unmanaged objects: the auth, kv and database mounts Git declares."""

    auth_mounts: frozenset[str] = frozenset()
    kv_mounts: frozenset[str] = frozenset()
    database_mounts: frozenset[str] = frozenset()
    transit_mounts: frozenset[str] = frozenset()
    skip_mounts: frozenset[str] = field(default_factory=frozenset)


def _list_secrets(client: hvac.Client, mount: str, version: int) -> Iterator[ObjectRef]:
    base = f"{mount}/metadata" if version == 2 else mount
    folders = [""]
    while folders:
        prefix = folders.pop()
        for key in list_keys(client, f"{base}/{prefix}".rstrip("/")):
            if key.endswith("/"):
                folders.append(prefix + key)
            else:
                name = prefix + key
                yield ObjectRef("Secret", f"{mount}/{name}", secret_address(mount, name, version))


def _list_roles(client: hvac.Client, view: StoreView, mount: str) -> Iterator[ObjectRef]:
    entry = view.auth.get(mount)
    kind = ROLE_KINDS.get(str(entry.get("type"))) if entry else None
    if kind is None:
        return
    for name in list_keys(client, f"auth/{mount}/role"):
        yield ObjectRef(kind, name, f"auth/{mount}/role/{name}")


def list_live(client: hvac.Client, view: StoreView, scope: ListScope) -> list[ObjectRef]:
    """Every live object found by listing within `scope` (built-in objects left out)."""
    refs: list[ObjectRef] = []
    skip = SYSTEM_MOUNTS | scope.skip_mounts
    refs += [ObjectRef("SecretsEngine", p, f"sys/mounts/{p}") for p in view.mounts if p not in skip]
    refs += [ObjectRef("AuthMethod", p, f"sys/auth/{p}") for p in view.auth if p not in SYSTEM_AUTH]
    refs += [ObjectRef("AuditDevice", p, f"sys/audit/{p}") for p in view.audit]
    policies = list_keys(client, "sys/policies/acl")
    refs += [
        ObjectRef("Policy", n, f"sys/policies/acl/{n}")
        for n in policies
        if n not in BUILTIN_POLICIES
    ]
    quotas = list_keys(client, QUOTAS)
    refs += [ObjectRef("RateLimitQuota", n, f"{QUOTAS}/{n}") for n in quotas]
    for mount in sorted(scope.auth_mounts):
        refs += _list_roles(client, view, mount)
    kv = view.kv_mounts()
    for mount in sorted(scope.kv_mounts):
        if mount in view.mounts and mount in kv:
            refs += _list_secrets(client, mount, kv[mount])
    for mount in sorted(scope.database_mounts):
        if str(view.mounts.get(mount, {}).get("type")) == "database":
            refs += _list_database(client, mount)
    for mount in sorted(scope.transit_mounts):
        if str(view.mounts.get(mount, {}).get("type")) == "transit":
            refs += [
                ObjectRef("TransitKey", n, f"{mount}/keys/{n}")
                for n in list_keys(client, f"{mount}/keys")
            ]
    return refs


DATABASE_LISTINGS = (
    ("config", "DatabaseConnection"),
    ("roles", "DatabaseRole"),
    ("static-roles", "DatabaseStaticRole"),
)


def _list_database(client: hvac.Client, mount: str) -> list[ObjectRef]:
    """Connections, roles and static roles of one database mount."""
    return [
        ObjectRef(kind, name, f"{mount}/{segment}/{name}")
        for segment, kind in DATABASE_LISTINGS
        for name in list_keys(client, f"{mount}/{segment}")
        if not name.endswith("/")
    ]


def unmanaged(listed: Iterable[ObjectRef], known_addresses: set[str]) -> list[ObjectRef]:
    """Listed objects whose address is neither desired nor in the inventory."""
    return sorted(
        (r for r in listed if r.address not in known_addresses),
        key=lambda r: (r.tier, r.kind, r.address),
    )
