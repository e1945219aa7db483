"""Read the secrets a command needs: KV v1/v2 values and dynamic credentials, once per path.

Each path is read once, so `DB_USER=database/creds/app#username` and
`DB_PASSWORD=database/creds/app#password` come from the same credential. What is kept of a
read is what tells a later poll whether it changed (a KV v2 version, a fingerprint of a KV v1
secret) and the lease to renew; values only go into the child's environment.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import hvac

from reconciler.client.errors import ClientError, ClientInputError, ClientNotFound
from reconciler.client.kv import locate
from reconciler.client.launcher.refs import SecretRef
from reconciler.client.results import as_json


@dataclass
class Source:
    """One path read: how to tell it changed, and its lease (dynamic credentials).

    Invariant: `lease_id` is set exactly for a leased (dynamic) secret.
    """

    path: str
    kind: str  # "kv1", "kv2" or "leased"
    mount: str = ""
    key: str = ""
    stamp: str = ""  # KV v2 version, or a fingerprint of a KV v1 secret
    lease_id: str = ""
    lease_duration: int = 0
    renewable: bool = False
    renew_at: float = field(default=float("inf"))
    first_duration: int = 0

    def schedule(self, duration: int) -> None:
        """Renew (or replace) the lease when two thirds of `duration` have passed."""
        self.lease_duration = duration
        self.first_duration = self.first_duration or duration
        self.renew_at = time.monotonic() + duration * 2 / 3 if duration else float("inf")


@dataclass
class Fetched:
    """What was read, by path: each path's Source and its data (kept in memory only)."""

    sources: dict[str, Source]
    data: dict[str, dict[str, Any]]

    def env(self, refs: list[SecretRef]) -> dict[str, str]:
        """The child's secret variables."""
        env: dict[str, str] = {}
        for ref in refs:
            data = self.data[ref.path]
            if ref.field not in data:
                raise ClientInputError(f"{ref.env}: {ref.path} has no field {ref.field!r}")
            value = data[ref.field]
            env[ref.env] = value if isinstance(value, str) else json.dumps(value)
        return env

    def leased(self) -> list[Source]:
        """The sources with a lease."""
        return [source for source in self.sources.values() if source.lease_id]


def _fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _mount_of(client: hvac.Client, path: str) -> tuple[str, str]:
    try:
        answer = client.read(f"sys/internal/ui/mounts/{path}")
    except (hvac.exceptions.Forbidden, hvac.exceptions.InvalidRequest):
        return "", ""
    data = (answer or {}).get("data") or {}
    return str(data.get("type", "")), str(data.get("path", "")).strip("/")


def read_source(client: hvac.Client, path: str) -> tuple[Source, dict[str, Any]]:
    """Read one path: its Source and its data (the values, for the environment only)."""
    kind, mount = _mount_of(client, path)
    if kind in ("kv", "generic", ""):
        return _read_kv(client, path)
    answer = as_json(client.read(path))
    if not answer or answer.get("data") is None:
        raise ClientNotFound(f"no value found at {path}")
    source = Source(path, "leased" if answer.get("lease_id") else "kv1", mount)
    source.lease_id = str(answer.get("lease_id") or "")
    source.renewable = bool(answer.get("renewable"))
    source.schedule(int(answer.get("lease_duration") or 0))
    source.stamp = "" if source.lease_id else _fingerprint(answer["data"])
    return source, dict(answer["data"])


def _read_kv(client: hvac.Client, path: str) -> tuple[Source, dict[str, Any]]:
    loc = locate(client, path)
    try:
        if loc.version == 1:
            raw = as_json(client.secrets.kv.v1.read_secret(loc.path, mount_point=loc.mount))
            data = dict(raw.get("data") or {})
            return Source(path, "kv1", loc.mount, loc.path, _fingerprint(data)), data
        raw = as_json(
            client.secrets.kv.v2.read_secret_version(
                loc.path, mount_point=loc.mount, raise_on_deleted_version=True
            )
        )
    except hvac.exceptions.InvalidPath:
        raise ClientNotFound(f"no value found at {path}") from None
    body = raw.get("data") or {}
    version = str((body.get("metadata") or {}).get("version", ""))
    return Source(path, "kv2", loc.mount, loc.path, version), dict(body.get("data") or {})


def fetch(client: hvac.Client, refs: list[SecretRef]) -> Fetched:
    """Read every referenced path once; check that each referenced field is there."""
    fetched = Fetched({}, {})
    try:
        for ref in refs:
            if ref.path not in fetched.sources:
                source, data = read_source(client, ref.path)
                fetched.sources[ref.path], fetched.data[ref.path] = source, data
        fetched.env(refs)
    except BaseException:
        revoke_all(client, fetched.leased())
        raise
    return fetched


def revoke_all(client: hvac.Client, sources: list[Source]) -> list[str]:
    """Revoke the leases of `sources` (best effort); the paths whose lease was revoked."""
    done = []
    for source in sources:
        try:
            client.sys.revoke_lease(source.lease_id)
        except (hvac.exceptions.VaultError, ClientError, OSError):
            continue
        done.append(source.path)
    return done


def current_stamp(client: hvac.Client, source: Source) -> str:
    """What a KV source's stamp is now: its latest v2 version, or a v1 fingerprint.

    The data path is read, not the metadata: an application's policy usually allows only that.
    """
    return read_source(client, source.path)[0].stamp
