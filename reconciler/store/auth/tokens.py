"""The token store's core: create, look up, renew and revoke tokens.

Token IDs are never stored: entries live under the HMAC-SHA256 of the ID with a random salt
kept in the barrier, so a copy of the storage cannot be replayed as credentials. Accessors are
random and separate. The `auth/token/` HTTP paths are in `token_backend.py`.
"""

from __future__ import annotations

import heapq
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.store.auth.token_entry import TokenEntry
from reconciler.store.errors import BadRequest
from reconciler.store.ids import base62, service_token
from reconciler.store.logical import Auth
from reconciler.store.storage.view import StorageView
from reconciler.store.timefmt import now, rfc3339nano

RevokeLeases = Callable[[str], None]
MAX_CACHED_ENTRIES = 10_000


@dataclass
class TokenParams:
    """What a new token should be; TTLs in seconds (0 = default)."""

    policies: list[str]
    path: str
    display_name: str
    meta: dict[str, str] = field(default_factory=dict)
    ttl: int = 0
    explicit_max_ttl: int = 0
    max_ttl: int = 0
    period: int = 0
    num_uses: int = 0
    renewable: bool = True
    no_default_policy: bool = False
    parent: TokenEntry | None = None
    entity_id: str = ""
    role: str = ""
    bound_cidrs: list[str] = field(default_factory=list)
    token_id: str = ""
    mount_accessor: str = ""


def normalize_policies(policies: list[str], add_default: bool) -> list[str]:
    """Lower-case, de-duplicate and sort; add `default` unless asked not to or root."""
    clean = {p.strip().lower() for p in policies if p.strip()}
    if add_default and "root" not in clean:
        clean.add("default")
    return sorted(clean)


class TokenStore:
    """Tokens in `sys/token/`: `id/<hash>`, `accessor/<accessor>`, `parent/<hash>/<child>`."""

    def __init__(self, storage: StorageView, default_ttl: int, system_max_ttl: int) -> None:
        self.storage = storage
        self.default_ttl = default_ttl
        self.system_max_ttl = system_max_ttl
        self.revoke_leases: RevokeLeases = lambda _hash: None
        # The runtime plugs identity in: an entity's group policies for lookups.
        self.identity_policies: Callable[[str], tuple[str, ...]] = lambda _entity: ()
        self._salt = self._load_salt()
        self._cache: dict[str, TokenEntry] = {}
        self._expiry: list[tuple[float, str]] = []  # (expire_time, id_hash), a heap
        self._lock = threading.RLock()

    def _load_salt(self) -> bytes:
        salt = self.storage.get("salt")
        if salt is None:
            salt = secrets.token_bytes(32)
            self.storage.put("salt", salt)
        return salt

    def hash_id(self, token_id: str) -> str:
        """The salted hash a token is stored under."""
        return hmac.digest(self._salt, token_id.encode(), "sha256").hex()

    # -- create ----------------------------------------------------------------------------

    def create(self, params: TokenParams) -> tuple[str, TokenEntry]:
        """Persist a new token and return its ID (shown once) and entry."""
        token_id = params.token_id or service_token()
        entry = self._build_entry(token_id, params)
        with self._lock, self.storage.transaction() as txn:
            if txn.get(f"id/{entry.id_hash}") is not None:
                raise BadRequest("cannot create a token with a duplicate ID")
            txn.put_json(f"id/{entry.id_hash}", entry.to_json())
            txn.put_json(f"accessor/{entry.accessor}", {"hash": entry.id_hash})
            if entry.parent_hash:
                txn.put(f"parent/{entry.parent_hash}/{entry.id_hash}", b"")
            if entry.expire_time:  # a token with a TTL is a lease too (token_leases.py)
                txn.put(f"lease/{entry.path.strip('/')}/h{entry.id_hash}", b"")
            self._schedule(entry)
        return token_id, entry

    def _build_entry(self, token_id: str, params: TokenParams) -> TokenEntry:
        policies = normalize_policies(params.policies, not params.no_default_policy)
        created = now()
        ttl = self._effective_ttl(params, policies)
        parent = params.parent
        return TokenEntry(
            id_hash=self.hash_id(token_id),
            accessor=base62(24),
            policies=policies,
            path=params.path,
            display_name=params.display_name,
            meta=dict(params.meta),
            parent_hash=parent.id_hash if parent else "",
            creation_time=created,
            ttl=ttl,
            explicit_max_ttl=params.explicit_max_ttl,
            max_ttl=params.max_ttl,
            period=params.period,
            num_uses=params.num_uses,
            renewable=params.renewable and ttl > 0,
            orphan=parent is None,
            no_default_policy=params.no_default_policy,
            entity_id=params.entity_id,
            role=params.role,
            bound_cidrs=list(params.bound_cidrs),
            expire_time=created + ttl if ttl else 0.0,
            mount_accessor=params.mount_accessor,
        )

    def _effective_ttl(self, params: TokenParams, policies: list[str]) -> int:
        if params.period:
            # Periodic tokens live as long as they are renewed within the period.
            cap = params.explicit_max_ttl or params.period
            return min(params.period, cap)
        if not params.ttl and policies == ["root"]:
            return 0  # a root token without an explicit TTL never expires
        ttl = params.ttl or self.default_ttl
        return min(ttl, self.max_ttl_cap(params.explicit_max_ttl, params.max_ttl))

    def max_ttl_cap(self, explicit_max_ttl: int, max_ttl: int) -> int:
        """The tightest of the explicit max, the method's max and the system max."""
        caps = [c for c in (explicit_max_ttl, max_ttl, self.system_max_ttl) if c > 0]
        return min(caps)

    # -- lookup ----------------------------------------------------------------------------

    def lookup(self, token_id: str) -> TokenEntry | None:
        """The live entry for a token ID, or None if unknown, expired or used up."""
        if not token_id or not _plausible(token_id):
            return None
        return self.lookup_hash(self.hash_id(token_id))

    def lookup_hash(self, id_hash: str) -> TokenEntry | None:
        """The live entry stored under `id_hash`, or None."""
        entry = self._cache.get(id_hash)
        if entry is None:
            doc = self.storage.get_json(f"id/{id_hash}")
            if doc is None:
                return None
            entry = TokenEntry.from_json(doc)
            self._remember(entry)
        if entry.expire_time and entry.expire_time <= now():
            return None
        return entry

    def lookup_accessor(self, accessor: str) -> TokenEntry | None:
        """The entry whose accessor is `accessor`, or None."""
        if not re.fullmatch(r"[A-Za-z0-9.]{1,64}", accessor or ""):
            return None
        doc = self.storage.get_json(f"accessor/{accessor}")
        return None if doc is None else self.lookup_hash(doc["hash"])

    def accessors(self) -> list[str]:
        """Every accessor (for LIST auth/token/accessors)."""
        return self.storage.list("accessor/")

    def use(self, entry: TokenEntry) -> bool:
        """Count one use of a limited-use token; True when that was its last use."""
        if entry.num_uses <= 0:
            return False
        with self._lock:
            entry.num_uses -= 1
            if entry.num_uses == 0:
                return True
            self._save(entry)
        return False

    # -- renew -----------------------------------------------------------------------------

    def renew(self, entry: TokenEntry, increment: int) -> tuple[TokenEntry, list[str]]:
        """Extend a token's TTL within its max; returns the entry and any warnings."""
        if not entry.renewable or entry.ttl == 0:
            raise BadRequest("lease is not renewable")
        current = now()
        warnings: list[str] = []
        if entry.period:
            new_ttl = entry.period
            if entry.explicit_max_ttl:
                new_ttl = min(new_ttl, int(entry.creation_time + entry.explicit_max_ttl - current))
        else:
            wanted = increment or entry.ttl
            cap = self.max_ttl_cap(entry.explicit_max_ttl, entry.max_ttl)
            remaining_max = int(entry.creation_time + cap - current)
            new_ttl = min(wanted, remaining_max)
            if new_ttl < wanted:
                warnings.append(
                    f'TTL of "{wanted}s" exceeded the effective max_ttl of "{remaining_max}s"; '
                    "TTL value is capped accordingly"
                )
        entry.expire_time = current + max(new_ttl, 0)
        entry.last_renewal_time = current
        with self._lock:
            self._save(entry)
        return entry, warnings

    def _save(self, entry: TokenEntry) -> None:
        self.storage.put_json(f"id/{entry.id_hash}", entry.to_json())
        self._remember(entry)
        self._schedule(entry)

    def _remember(self, entry: TokenEntry) -> None:
        if len(self._cache) >= MAX_CACHED_ENTRIES:
            self._cache.pop(next(iter(self._cache)))  # the oldest cached entry
        self._cache[entry.id_hash] = entry

    def _schedule(self, entry: TokenEntry) -> None:
        if entry.expire_time:
            heapq.heappush(self._expiry, (entry.expire_time, entry.id_hash))

    # -- revoke ----------------------------------------------------------------------------

    def revoke_tree(self, id_hash: str) -> None:
        """Revoke a token, every descendant, and all their leases (children first)."""
        with self._lock:
            for child in self.storage.list(f"parent/{id_hash}/"):
                self.revoke_tree(child.rstrip("/"))
            self._revoke_one(id_hash)

    def revoke_orphan(self, id_hash: str) -> None:
        """Revoke one token; its children become orphans."""
        with self._lock:
            for child in self.storage.list(f"parent/{id_hash}/"):
                child_entry = self._raw(child)
                if child_entry is not None:
                    child_entry.parent_hash = ""
                    child_entry.orphan = True
                    self._save(child_entry)
                self.storage.delete(f"parent/{id_hash}/{child}")
            self._revoke_one(id_hash)

    def _raw(self, id_hash: str) -> TokenEntry | None:
        doc = self.storage.get_json(f"id/{id_hash}")
        return None if doc is None else TokenEntry.from_json(doc)

    def _revoke_one(self, id_hash: str) -> None:
        self.revoke_leases(id_hash)
        entry = self._raw(id_hash)
        self._cache.pop(id_hash, None)
        with self.storage.transaction() as txn:
            if entry is not None:
                txn.delete(f"accessor/{entry.accessor}")
                if entry.parent_hash:
                    txn.delete(f"parent/{entry.parent_hash}/{id_hash}")
                if entry.expire_time:
                    txn.delete(f"lease/{entry.path.strip('/')}/h{id_hash}")
            txn.delete(f"id/{id_hash}")

    def load_expiry(self) -> int:
        """Build the expiry schedule from storage, once after unseal; returns its size."""
        with self._lock:
            self._expiry = []
            for name in self.storage.list("id/"):
                doc = self.storage.get_json(f"id/{name}")
                if doc and doc.get("expire_time"):
                    self._expiry.append((float(doc["expire_time"]), name))
            heapq.heapify(self._expiry)
            return len(self._expiry)

    def scheduled_count(self) -> int:
        """How many tokens with a TTL wait in the expiry schedule (`vault.token.count`)."""
        with self._lock:
            return len(self._expiry)

    def expired_hashes(self, limit: int = 1000) -> list[str]:
        """Hashes of tokens whose TTL has run out, from the schedule (no storage scan).

        A renewed token has a later entry in the schedule; its stale one is skipped here.
        """
        current = now()
        out: list[str] = []
        with self._lock:
            while self._expiry and self._expiry[0][0] <= current and len(out) < limit:
                _due, id_hash = heapq.heappop(self._expiry)
                entry = self._raw(id_hash)
                if entry is not None and entry.expire_time and entry.expire_time <= current:
                    out.append(id_hash)
        return out

    def drop_cache(self) -> None:
        """Forget cached entries and the schedule (on seal)."""
        self._cache.clear()
        self._expiry = []


def _plausible(token_id: str) -> bool:
    return len(token_id) <= 256 and token_id.isprintable()


def lookup_data(
    entry: TokenEntry, token_id: str, identity_policies: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Vault's token lookup object; `token_id` is "" when looked up by accessor."""
    current = now()
    data: dict[str, Any] = {
        "accessor": entry.accessor,
        "creation_time": int(entry.creation_time),
        "creation_ttl": entry.ttl,
        "display_name": entry.display_name,
        "entity_id": entry.entity_id,
        "expire_time": rfc3339nano(entry.expire_time) if entry.expire_time else None,
        "explicit_max_ttl": entry.explicit_max_ttl,
        "id": token_id,
        "issue_time": rfc3339nano(entry.creation_time),
        "meta": entry.meta or None,
        "num_uses": entry.num_uses,
        "orphan": entry.orphan,
        "path": entry.path,
        "policies": entry.policies,
        "renewable": entry.renewable,
        "ttl": max(int(entry.expire_time - current), 0) if entry.expire_time else 0,
        "type": entry.token_type,
    }
    if identity_policies:
        data["identity_policies"] = list(identity_policies)
    if entry.role:
        data["role"] = entry.role
    if entry.period:
        data["period"] = entry.period
    if entry.bound_cidrs:
        data["bound_cidrs"] = entry.bound_cidrs
    if entry.last_renewal_time:
        data["last_renewal_time"] = int(entry.last_renewal_time)
        data["last_renewal"] = rfc3339nano(entry.last_renewal_time)
    return data


def fill_auth(auth: Auth, token_id: str, entry: TokenEntry) -> None:
    """Copy a token's identity into an `Auth` block for a response."""
    auth.client_token = token_id
    auth.accessor = entry.accessor
    auth.policies = list(entry.policies)
    auth.token_policies = list(entry.policies)
    auth.metadata = dict(entry.meta)
    auth.lease_duration = entry.ttl
    auth.renewable = entry.renewable
    auth.entity_id = entry.entity_id
    auth.orphan = entry.orphan
    auth.num_uses = entry.num_uses
