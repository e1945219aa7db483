"""Rate-limit quotas, as Vault has them: a token bucket per client address per quota.

A quota names a `rate` (requests per `interval`) for a scope: one API path (`secret/data/x`), a
glob (`secret/data/*`), a mount (`secret/`), or everything (`""`). The most specific quota that
covers a request is the only one charged (exact path > longest glob > mount > global), as in
Vault. A client over its bucket is refused with 429 until the bucket's window ends, or for
`block_interval` when one is set.

`QuotaManager.enforce` runs before the token lookup and the core lock, so a flood of requests
(unauthenticated ones included) is refused cheaply; with no quota configured it is one
attribute check. Rules and the config live in the barrier (`sys/quotas/`); buckets are memory
only, as Vault's are.

Differences from OpenBao 2.7, on purpose: raw endpoints (`sys/health`, `sys/seal-status`,
`sys/unseal`, `sys/init`) are never limited, so an operator can always unseal (OpenBao
limits `sys/health` under a global quota although its default exempt list names it); a role
quota reads back with the role it was given even when no such role exists yet.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from reconciler.store.errors import StoreError
from reconciler.store.logical import Request
from reconciler.store.mounts import Mount, MountTable
from reconciler.store.storage.view import StorageView

DEFAULT_EXEMPT_PATHS = (
    "sys/generate-recovery-token/attempt",
    "sys/generate-recovery-token/update",
    "sys/generate-root/attempt",
    "sys/generate-root/update",
    "sys/health",
    "sys/seal-status",
    "sys/unseal",
)
# Vault's bucket table is bounded too; past this, the least recently seen clients are dropped.
MAX_BUCKETS = 100_000


class RateLimited(StoreError):
    """429: the client used up its quota; `headers` carry Retry-After and X-Ratelimit-*."""

    status = 429

    def __init__(self, path: str, headers: dict[str, str]) -> None:
        super().__init__(f'request path "{path}": rate limit quota exceeded')
        self.headers = headers


@dataclass(frozen=True)
class RateLimitRule:
    """One stored quota. `path` is normalised: "" (global), a mount ("secret/"), a path under
    a mount without trailing slash ("secret/data/x") or a glob ending in `*`. `interval` and
    `block_interval` are seconds; `rate` is positive."""

    name: str
    rate: float
    path: str = ""
    interval: int = 1
    block_interval: int = 0
    role: str = ""
    inheritable: bool = False

    def to_json(self) -> dict[str, Any]:
        """The read shape (`sys/quotas/rate-limit/<name>`), also the stored form."""
        return {
            "block_interval": self.block_interval,
            "inheritable": self.inheritable,
            "interval": self.interval,
            "name": self.name,
            "path": self.path,
            "rate": _number(self.rate),
            "role": self.role,
            "type": "rate-limit",
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RateLimitRule:
        """Decode the stored form."""
        return cls(
            name=str(doc["name"]),
            rate=float(doc["rate"]),
            path=str(doc.get("path", "")),
            interval=int(doc.get("interval", 1)),
            block_interval=int(doc.get("block_interval", 0)),
            role=str(doc.get("role", "")),
            inheritable=bool(doc.get("inheritable", False)),
        )


@dataclass
class QuotaConfig:
    """`sys/quotas/config`."""

    enable_rate_limit_audit_logging: bool = False
    enable_rate_limit_response_headers: bool = False
    rate_limit_exempt_paths: list[str] = field(default_factory=lambda: list(DEFAULT_EXEMPT_PATHS))

    def to_json(self) -> dict[str, Any]:
        """The read shape, also the stored form."""
        return {
            "enable_rate_limit_audit_logging": self.enable_rate_limit_audit_logging,
            "enable_rate_limit_response_headers": self.enable_rate_limit_response_headers,
            "rate_limit_exempt_paths": sorted(self.rate_limit_exempt_paths),
        }

    def __post_init__(self) -> None:
        # Looked up on every request while a quota exists: a set and a tuple, not a scan.
        entries = self.rate_limit_exempt_paths
        self._exact = frozenset(e.rstrip("/") for e in entries if not e.endswith("*"))
        self._prefixes = tuple(e[:-1] for e in entries if e.endswith("*"))

    def exempt(self, path: str) -> bool:
        """True for a path no quota applies to (exact, or a prefix entry ending in `*`)."""
        return path.rstrip("/") in self._exact or path.startswith(self._prefixes)


def _number(rate: float) -> float | int:
    return int(rate) if rate.is_integer() else rate


@dataclass
class _Bucket:
    """go-limiter's bucket: `tokens` refill all at once at each `interval` since `start`."""

    start: float
    tick: int = 0
    available: int = 0
    blocked_until: float = 0.0


class _Limiter:
    """The buckets of one rule, keyed by client address."""

    def __init__(self, rule: RateLimitRule) -> None:
        self.rule = rule
        # Go's math.Round (half away from zero), not Python's round (half to even): 2.5 is 3.
        self.tokens = max(1, math.floor(rule.rate + 0.5))
        self.buckets: dict[str, _Bucket] = {}

    def take(self, client: str, now: float) -> _Verdict:
        """Spend one of `client`'s tokens, if it has one left and is not blocked."""
        rule = self.rule
        bucket = self.buckets.get(client)
        if bucket is None:
            if len(self.buckets) >= MAX_BUCKETS:
                self.buckets.pop(next(iter(self.buckets)))
            bucket = self.buckets[client] = _Bucket(start=now, available=self.tokens)
        if bucket.blocked_until > now:
            return _Verdict(False, 0, 0, int(bucket.blocked_until - now), blocked=True)
        tick = int((now - bucket.start) // rule.interval)
        if tick > bucket.tick:
            bucket.tick, bucket.available = tick, self.tokens
        reset = int(bucket.start + (tick + 1) * rule.interval - now)
        if bucket.available > 0:
            bucket.available -= 1
            return _Verdict(True, bucket.available, reset, 0)
        retry_after = reset
        if rule.block_interval > 0:
            bucket.blocked_until = now + rule.block_interval
            retry_after = rule.block_interval
        return _Verdict(False, 0, reset, retry_after)

    def headers(self, verdict: _Verdict) -> dict[str, str]:
        """The headers Vault sends with a verdict (when the quota config enables them)."""
        if verdict.blocked:
            return {"Retry-After": str(verdict.retry_after)}
        headers = {
            "X-Ratelimit-Limit": str(self.tokens),
            "X-Ratelimit-Remaining": str(verdict.remaining),
            "X-Ratelimit-Reset": str(verdict.reset),
        }
        if not verdict.allowed:
            headers["Retry-After"] = str(verdict.retry_after)
        return headers


class _Verdict(NamedTuple):
    """One request's outcome against its bucket (seconds as whole numbers)."""

    allowed: bool
    remaining: int
    reset: int
    retry_after: int
    blocked: bool = False


class _RuleIndex:
    """The rules arranged for lookup by specificity; rebuilt whole on every change."""

    def __init__(self, rules: dict[str, RateLimitRule], previous: _RuleIndex | None) -> None:
        self.by_name: dict[str, _Limiter] = {}
        self.exact: dict[str, _Limiter] = {}
        self.mounts: dict[str, _Limiter] = {}
        self.globs: list[tuple[str, _Limiter]] = []
        self.roles: dict[tuple[str, str], _Limiter] = {}
        self.everything: _Limiter | None = None
        for rule in rules.values():
            kept = previous.by_name.get(rule.name) if previous else None
            # An unchanged rule keeps its buckets: editing one quota must not reset the others.
            limiter = kept if kept is not None and kept.rule == rule else _Limiter(rule)
            self.by_name[rule.name] = limiter
            if rule.role:  # a login naming this role on this auth mount
                self.roles[(rule.path, rule.role)] = limiter
            elif rule.path == "":
                self.everything = limiter
            elif rule.path.endswith("*"):
                self.globs.append((rule.path[:-1], limiter))
            elif rule.path.endswith("/"):
                self.mounts[rule.path] = limiter
            else:
                self.exact[rule.path] = limiter
        self.globs.sort(key=lambda pair: len(pair[0]), reverse=True)

    def find(self, path: str, mount: Mount | None, req: Request) -> _Limiter | None:
        """The most specific limiter covering `req` (a login's role first), if any."""
        mount_prefix = mount.route_prefix if mount is not None else None
        if self.roles and mount is not None and mount.entry.mount_class == "auth":
            role = mount.backend.login_role(req, path[len(mount.route_prefix) :])
            if role is not None and (mount_prefix, role) in self.roles:
                return self.roles[(mount_prefix, role)]
        found = self.exact.get(path.rstrip("/"))
        if found is not None:
            return found
        for prefix, limiter in self.globs:
            if path.startswith(prefix):
                return limiter
        if mount_prefix is not None and mount_prefix in self.mounts:
            return self.mounts[mount_prefix]
        return self.everything


class QuotaManager:
    """Stored rate-limit rules and the config; `enforce` charges a request to its quota."""

    def __init__(
        self,
        storage: StorageView,
        mounts: MountTable,
        audit: Callable[[Request, str | None], None] | None = None,
    ) -> None:
        self.storage = storage
        self.mounts = mounts
        self.audit = audit
        self.config = QuotaConfig()
        self._rules: dict[str, RateLimitRule] = {}
        self._index: _RuleIndex | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the rules and the config from the barrier (at unseal)."""
        doc = self.storage.get_json("config")
        if doc is not None:
            self.config = QuotaConfig(**doc)
        for name in self.storage.list("rate-limit/"):
            rule = RateLimitRule.from_json(self.storage.get_json(f"rate-limit/{name}"))
            self._rules[rule.name] = rule
        self._reindex()

    # -- rules -----------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every quota name, sorted."""
        return sorted(self._rules)

    def get(self, name: str) -> RateLimitRule | None:
        """The quota called `name`, if any."""
        return self._rules.get(name)

    def rules(self) -> list[RateLimitRule]:
        """Every quota."""
        return list(self._rules.values())

    def put(self, rule: RateLimitRule) -> None:
        """Create or replace a quota (stored first, then live); its buckets start afresh."""
        self.storage.put_json(f"rate-limit/{rule.name}", rule.to_json())
        self._rules[rule.name] = rule
        self._reindex()

    def delete(self, name: str) -> None:
        """Remove a quota; deleting a missing one is not an error (as in Vault)."""
        self.storage.delete(f"rate-limit/{name}")
        self._rules.pop(name, None)
        self._reindex()

    def forget_mount(self, route_prefix: str) -> None:
        """Delete the quotas on a mount that is being disabled (Vault does the same)."""
        for rule in self.rules():
            if rule.path == route_prefix or rule.path.startswith(route_prefix):
                self.delete(rule.name)

    def set_config(self, config: QuotaConfig) -> None:
        """Store and apply `sys/quotas/config`."""
        self.storage.put_json("config", config.to_json())
        self.config = config

    def _reindex(self) -> None:
        index = _RuleIndex(self._rules, self._index)
        has_rules = bool(index.by_name)
        with self._lock:
            self._index = index if has_rules else None

    # -- enforcement -----------------------------------------------------------------------

    def enforce(self, req: Request) -> dict[str, str]:
        """Charge `req` to its quota; raises RateLimited when the client is over it.

        Returns the response headers to send (empty unless the config enables them).
        """
        index = self._index
        if index is None:
            return {}
        if self.config.exempt(req.path):
            return {}
        mount = self.mounts.match(req.path)
        limiter = index.find(req.path, mount, req)
        if limiter is None:
            return {}
        with self._lock:
            verdict = limiter.take(req.remote_addr, time.monotonic())
        headers: dict[str, str] = {}
        if self.config.enable_rate_limit_response_headers:
            headers = limiter.headers(verdict)
        if not verdict.allowed:
            error = RateLimited(req.path, headers)
            if self.config.enable_rate_limit_audit_logging and self.audit is not None:
                self.audit(req, str(error))
            raise error
        return headers


def positive_rate(value: Any) -> float:
    """A quota's rate as a finite positive float; ValueError otherwise."""
    rate = float(value)
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError("'rate' is invalid")
    return rate
