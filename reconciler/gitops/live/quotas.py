"""Rate-limit quotas at `sys/quotas/rate-limit/<name>`.

The store keeps a quota's path in its own form (a mount gets a trailing slash, a path under a
mount does not), so both sides compare the path with its slashes trimmed; the rate compares as
a number (`5` and `5.0` are one rate).
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import hvac

from reconciler.gitops.live.handlers import StoreView, read_data
from reconciler.gitops.live.model import Fields, FieldValue, ObjectRef, ObjectState
from reconciler.gitops.live.normalise import FieldTable, as_int, as_str, project
from reconciler.gitops.manifests import kinds as k

QUOTAS = "sys/quotas/rate-limit"


def as_rate(value: Any) -> FieldValue:
    """A rate as a whole number when it is one, else a float."""
    rate = float(value)
    return int(rate) if rate.is_integer() else rate


def as_quota_path(value: Any) -> FieldValue:
    """A quota path without leading or trailing slashes ("" is global)."""
    return str(value or "").strip("/")


QUOTA_FIELDS: FieldTable = {
    "rate": (0, as_rate),
    "path": ("", as_quota_path),
    "interval": (1, as_int),
    "block_interval": (0, as_int),
    "role": ("", as_str),
}


class RateLimitQuotaHandler:
    """A quota; every field is updated in place (a write replaces the quota whole)."""

    kind: ClassVar[str] = "RateLimitQuota"
    replace_on: ClassVar[frozenset[str]] = frozenset()

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """`sys/quotas/rate-limit/<name>`."""
        return ObjectRef(self.kind, obj.name, f"{QUOTAS}/{obj.name}")

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """Rate, path, interval (1 s unless set), block interval and role."""
        quota = cast(k.RateLimitQuota, obj)
        raw = {
            "rate": quota.rate,
            "path": quota.path,
            "interval": quota.interval or None,
            "block_interval": quota.block_interval,
            "role": quota.role,
        }
        return ObjectState(ref, project(raw, QUOTA_FIELDS))

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """One GET of the quota."""
        data = read_data(client, ref.address)
        if data is None:
            return None
        return ObjectState(ref, project(data, QUOTA_FIELDS))

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Create or replace the quota (Vault's write sets every field)."""
        f = state.fields
        body = {
            "rate": f["rate"],
            "path": f["path"],
            "interval": f["interval"],
            "block_interval": f["block_interval"],
        }
        if f["role"]:
            body["role"] = f["role"]
        client.write_data(state.ref.address, data=body)

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Delete the quota."""
        client.delete(ref.address)
