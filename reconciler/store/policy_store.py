"""Stored ACL policies and the cache of compiled ACLs.

Policies live in the barrier at `sys/policy/<name>`. Compiling is done once per distinct set
of policy names and cached until any policy changes, so the request path never re-parses or
scans rules.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from reconciler.store.acl.acl import ACL, ACLResult
from reconciler.store.acl.builtin import DEFAULT_POLICY
from reconciler.store.errors import BadRequest
from reconciler.store.logical import Operation
from reconciler.store.storage.view import StorageView
from reconciler.vocabulary.policy.model import PolicyParseError
from reconciler.vocabulary.policy.parser import Policy, parse_policy

IMMUTABLE = {"root", "response-wrapping"}
MAX_CACHED_DECISIONS = 100_000


class PolicyStore:
    """CRUD over stored policies plus `acl_for(policies)` with caching."""

    def __init__(self, storage: StorageView) -> None:
        self.storage = storage
        self._parsed: dict[str, Policy | None] = {}
        self._acls: dict[tuple[str, ...], ACL] = {}
        self._decisions: dict[tuple[tuple[str, ...], Operation, str], ACLResult] = {}
        self._lock = threading.RLock()
        if self.storage.get("default") is None:
            self.storage.put("default", DEFAULT_POLICY.encode())

    def names(self) -> list[str]:
        """Every policy name, including the built-in `root`."""
        return sorted({*self.storage.list(""), "root"})

    def read(self, name: str) -> str | None:
        """The stored text of a policy, or None."""
        if name == "root":
            return ""
        raw = self.storage.get(name)
        return None if raw is None else raw.decode()

    def write(self, name: str, text: str) -> Policy:
        """Parse and store a policy; raises BadRequest with the parser's message on errors."""
        if name in IMMUTABLE:
            raise BadRequest(f'cannot update "{name}" policy')
        try:
            policy = parse_policy(name, text)
        except PolicyParseError as exc:
            raise BadRequest(str(exc)) from exc
        with self._lock:
            self.storage.put(name, text.encode())
            self._invalidate()
        return policy

    def delete(self, name: str) -> None:
        """Remove a policy; `root` and `default` cannot be deleted."""
        if name == "root":
            raise BadRequest('cannot delete "root" policy')
        if name == "default":
            raise BadRequest("cannot delete default policy")
        with self._lock:
            self.storage.delete(name)
            self._invalidate()

    def _invalidate(self) -> None:
        self._parsed.clear()
        self._acls.clear()
        self._decisions.clear()

    def _policy(self, name: str) -> Policy | None:
        if name not in self._parsed:
            text = self.read(name)
            self._parsed[name] = None if text is None else parse_policy(name, text)
        return self._parsed[name]

    def acl_for(self, names: list[str]) -> ACL:
        """The compiled ACL for a token's policies (missing policies grant nothing)."""
        key = tuple(names)
        acl = self._acls.get(key)
        if acl is not None:
            return acl
        with self._lock:
            if "root" in names:
                acl = ACL.root()
            else:
                found = [p for p in (self._policy(n) for n in names) if p is not None]
                acl = ACL(found)
            self._acls[key] = acl
            return acl

    def check(
        self,
        names: list[str],
        op: Operation,
        path: str,
        data: Mapping[str, Any] | None,
        wrap_ttl: int = 0,
    ) -> ACLResult:
        """The ACL decision for a request; memoised when the request carries no data.

        Parameter constraints depend on the data, so only data-less requests (most reads)
        are cached; the cache is dropped whenever any policy changes.
        """
        if data or wrap_ttl:
            return self.acl_for(names).check(op, path, data, wrap_ttl=wrap_ttl)
        key = (tuple(names), op, path)
        result = self._decisions.get(key)
        if result is None:
            result = self.acl_for(names).check(op, path, None)
            if len(self._decisions) >= MAX_CACHED_DECISIONS:
                self._decisions.clear()
            self._decisions[key] = result
        return result
