"""The lease manager: TTLs, renew, revoke, and expiry in the background.

Leases persist in the barrier (`sys/expire/id/<lease_id>`, with an index by owning token), so
a restart and unseal finds them all and still revokes each on time. A revocation that fails
(the database is down) keeps the lease, records the error and retries with backoff: a lease
is never silently forgotten.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from reconciler.store.errors import BadRequest
from reconciler.store.framework import Backend
from reconciler.store.ids import base62
from reconciler.store.logical import Secret
from reconciler.store.storage.view import StorageView
from reconciler.store.timefmt import now, rfc3339nano

MAX_BACKOFF = 300.0

BackendResolver = Callable[[str], Backend | None]


@dataclass
class Lease:
    """One stored lease. Times are unix seconds; `internal` is the engine's private state."""

    lease_id: str
    mount_prefix: str
    token_hash: str
    issue_time: float
    expire_time: float
    ttl: int
    max_ttl: int
    renewable: bool
    internal: dict[str, Any] = field(default_factory=dict)
    last_renewal: float = 0.0
    attempts: int = 0
    last_error: str = ""
    next_attempt: float = 0.0

    def secret(self) -> Secret:
        """The engine's view of this lease."""
        return Secret(
            ttl=self.ttl,
            max_ttl=self.max_ttl,
            renewable=self.renewable,
            internal=dict(self.internal),
            lease_id=self.lease_id,
        )


def _index_key(token_hash: str, lease_id: str) -> str:
    return f"token/{token_hash}/{hashlib.sha256(lease_id.encode()).hexdigest()}"


class LeaseManager:
    """Registers, renews and revokes leases; `tick()` expires what is due."""

    def __init__(self, storage: StorageView, resolve: BackendResolver) -> None:
        self.storage = storage
        self.resolve = resolve
        self._due: list[tuple[float, str]] = []
        self._lock = threading.RLock()

    def load(self) -> int:
        """Rebuild the expiry schedule from storage (after unseal); returns the count."""
        with self._lock:
            self._due = []
            for key in self.storage.walk("id/"):
                lease = self._get(key[len("id/") :])
                if lease is not None:
                    self._due.append((self._due_time(lease), lease.lease_id))
            heapq.heapify(self._due)
            return len(self._due)

    def scheduled_count(self) -> int:
        """How many leases wait in the expiry schedule (`vault.expire.num_leases`)."""
        with self._lock:
            return len(self._due)

    @staticmethod
    def _due_time(lease: Lease) -> float:
        return max(lease.expire_time, lease.next_attempt)

    def _get(self, lease_id: str) -> Lease | None:
        if ".." in lease_id.split("/"):
            return None
        doc = self.storage.get_json(f"id/{lease_id}")
        return None if doc is None else Lease(**doc)

    def _put(self, lease: Lease) -> None:
        with self.storage.transaction() as txn:
            txn.put_json(f"id/{lease.lease_id}", asdict(lease))
            txn.put(_index_key(lease.token_hash, lease.lease_id), lease.lease_id.encode())

    def _delete(self, lease: Lease) -> None:
        with self.storage.transaction() as txn:
            txn.delete(f"id/{lease.lease_id}")
            txn.delete(_index_key(lease.token_hash, lease.lease_id))

    # -- register / renew ------------------------------------------------------------------

    def register(
        self, path: str, mount_prefix: str, secret: Secret, token_hash: str, limits: tuple[int, int]
    ) -> Secret:
        """Persist a lease for `secret` issued at `path`; returns it with lease_id and TTL."""
        default_ttl, mount_max = limits
        max_ttl = min(c for c in (secret.max_ttl, mount_max) if c > 0) if mount_max else 0
        ttl = secret.ttl or default_ttl
        if max_ttl:
            ttl = min(ttl, max_ttl)
        issued = now()
        lease = Lease(
            lease_id=f"{path.rstrip('/')}/{base62(24)}",
            mount_prefix=mount_prefix,
            token_hash=token_hash,
            issue_time=issued,
            expire_time=issued + ttl,
            ttl=ttl,
            max_ttl=max_ttl,
            renewable=secret.renewable,
            internal=secret.internal,
        )
        with self._lock:
            self._put(lease)
            heapq.heappush(self._due, (lease.expire_time, lease.lease_id))
        secret.lease_id, secret.ttl = lease.lease_id, ttl
        return secret

    def lookup(self, lease_id: str) -> dict[str, Any]:
        """Vault's sys/leases/lookup data; unknown -> 400 `invalid lease`."""
        lease = self._get(lease_id)
        if lease is None:
            raise BadRequest("invalid lease")
        data: dict[str, Any] = {
            "id": lease.lease_id,
            "issue_time": rfc3339nano(lease.issue_time),
            "expire_time": rfc3339nano(lease.expire_time),
            "last_renewal": rfc3339nano(lease.last_renewal) if lease.last_renewal else None,
            "renewable": lease.renewable,
            "ttl": max(int(lease.expire_time - now()), 0),
        }
        if lease.last_error:
            data["revocation_error"] = lease.last_error
            data["revocation_attempts"] = lease.attempts
        return data

    def renew(self, lease_id: str, increment: int) -> tuple[Lease, list[str]]:
        """Extend a lease within its max TTL (measured from issue time)."""
        with self._lock:
            lease = self._get(lease_id)
            if lease is None:
                raise BadRequest("lease not found")
            if not lease.renewable:
                raise BadRequest("lease is not renewable")
            current = now()
            if lease.expire_time <= current:
                raise BadRequest("lease expired")
            wanted = increment or lease.ttl
            new_ttl, warnings = wanted, []
            if lease.max_ttl:
                remaining = int(lease.issue_time + lease.max_ttl - current)
                if wanted > remaining:
                    new_ttl = remaining
                    warnings.append(
                        f'TTL of "{wanted}s" exceeded the effective max_ttl of "{remaining}s"; '
                        "TTL value is capped accordingly"
                    )
            backend = self.resolve(lease.mount_prefix)
            if backend is not None:
                secret = lease.secret()
                secret.ttl = new_ttl
                backend.renew_secret(secret, new_ttl)
            lease.expire_time, lease.last_renewal = current + new_ttl, current
            self._put(lease)
            heapq.heappush(self._due, (lease.expire_time, lease.lease_id))
            return lease, warnings

    # -- revoke ----------------------------------------------------------------------------

    def revoke(self, lease_id: str, force: bool = False) -> None:
        """Revoke one lease now; unknown leases are ignored (Vault answers 204)."""
        with self._lock:
            lease = self._get(lease_id)
            if lease is not None:
                self._revoke(lease, force)

    def _revoke(self, lease: Lease, force: bool) -> None:
        backend = self.resolve(lease.mount_prefix)
        try:
            if backend is not None:
                backend.revoke_secret(lease.secret())
        except Exception as exc:  # the engine failed: keep the lease unless forced
            if not force:
                self._record_failure(lease, exc)
                raise BadRequest(f"failed to revoke lease {lease.lease_id}: {exc}") from None
        self._delete(lease)

    def _record_failure(self, lease: Lease, exc: Exception) -> None:
        lease.attempts += 1
        lease.last_error = str(exc)[:500]
        lease.next_attempt = now() + min(2.0**lease.attempts, MAX_BACKOFF)
        self._put(lease)
        heapq.heappush(self._due, (lease.next_attempt, lease.lease_id))

    def revoke_prefix(self, prefix: str, force: bool = False) -> int:
        """Revoke every lease whose ID starts with `prefix`; returns how many."""
        count = 0
        folder = prefix.rstrip("/") + "/" if prefix else ""
        for key in list(self.storage.walk(f"id/{folder}")):
            self.revoke(key[len("id/") :], force)
            count += 1
        return count

    def revoke_for_token(self, token_hash: str) -> None:
        """Revoke every lease issued to a token; failures stay scheduled for retry."""
        for name in self.storage.list(f"token/{token_hash}/"):
            raw = self.storage.get(f"token/{token_hash}/{name}")
            if raw is None:
                continue
            try:
                self.revoke(raw.decode())
            except BadRequest:
                continue  # recorded on the lease; the expiry loop retries it

    def list(self, prefix: str) -> list[str]:
        """Immediate children of a lease prefix (for LIST sys/leases/lookup/<prefix>)."""
        return self.storage.list(f"id/{prefix}")

    # -- background ------------------------------------------------------------------------

    def tick(self) -> int:
        """Revoke every lease that is due; returns how many were revoked."""
        revoked = 0
        current = now()
        while True:
            with self._lock:
                if not self._due or self._due[0][0] > current:
                    return revoked
                due, lease_id = heapq.heappop(self._due)
                lease = self._get(lease_id)
                if lease is None or self._due_time(lease) > due + 1e-6:
                    continue  # revoked already, or renewed: a newer heap entry exists
                try:
                    self._revoke(lease, force=False)
                    revoked += 1
                except BadRequest:
                    continue

    def clear(self) -> None:
        """Forget the in-memory schedule (on seal)."""
        with self._lock:
            self._due = []
