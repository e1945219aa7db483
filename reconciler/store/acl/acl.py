"""The compiled ACL: a token's policies merged into lookup tables, evaluated per request (§9).

Exact paths live in a dict, glob prefixes in a radix tree (longest prefix in one walk), and
`+` rules in a trie of path segments, so a check never scans every rule. Priority between
candidates follows §9.4 exactly.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.store.acl.entry import Entry
from reconciler.store.acl.params import parameters_allowed
from reconciler.store.acl.plus import PlusIndex
from reconciler.store.acl.radix import RadixTree
from reconciler.store.logical import Operation
from reconciler.vocabulary.policy.model import (
    ALL_GRANTS,
    Capability,
    PathRule,
    Policy,
    capability_names,
    segment_wildcards,
)

ROOT_POLICY = "root"
_OPERATION_CAPABILITY = {
    Operation.READ: Capability.READ,
    Operation.LIST: Capability.LIST,
    Operation.CREATE: Capability.CREATE,
    Operation.UPDATE: Capability.UPDATE,
    Operation.DELETE: Capability.DELETE,
    Operation.PATCH: Capability.PATCH,
}
# Only operations that carry parameters are checked against parameter constraints.
_PARAMETER_OPERATIONS = frozenset(
    {Operation.READ, Operation.CREATE, Operation.UPDATE, Operation.PATCH}
)
_TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True)
class ACLResult:
    """The answer for one request: allowed or not, and what the chosen entry grants.

    `sudo` is whether the chosen entry grants sudo (never true for a deny entry);
    `granting_policies` names the policies that granted the operation, when allowed.
    """

    allowed: bool
    sudo: bool = False
    capabilities: Capability = Capability.NONE
    granting_policies: tuple[str, ...] = ()
    is_root: bool = False


_DENIED = ACLResult(allowed=False)
_ROOT_RESULT = ACLResult(
    allowed=True,
    sudo=True,
    capabilities=ALL_GRANTS,
    granting_policies=(ROOT_POLICY,),
    is_root=True,
)


def resolve_template(rule: PathRule, entity: Mapping[str, str] | None) -> PathRule | None:
    """The rule with `{{...}}` in its path filled from `entity`, or None if one is unknown.

    `entity` maps template expressions (`identity.entity.id`, ...) to the token's values.
    """
    if not rule.templated:
        return rule
    values = entity or {}
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        value = values.get(match.group(1))
        missing = missing or value is None
        return value or ""

    path = _TEMPLATE.sub(fill, rule.path)
    if missing:
        return None
    return dataclasses.replace(rule, path=path, has_plus=segment_wildcards(path), templated=False)


class ACL:
    """The permissions of a set of policies, compiled once and checked per request."""

    def __init__(self, policies: Sequence[Policy], entity: Mapping[str, str] | None = None) -> None:
        self.policy_names: tuple[str, ...] = tuple(p.name for p in policies)
        self.is_root = ROOT_POLICY in self.policy_names
        self._exact: dict[str, Entry] = {}
        self._prefix: RadixTree[Entry] = RadixTree()
        self._plus = PlusIndex()
        self._globs: dict[str, Entry] = {}
        if self.is_root:
            return
        globs: dict[str, Entry] = {}
        pluses: dict[tuple[str, bool], Entry] = {}
        for policy in policies:
            for raw in policy.rules:
                rule = resolve_template(raw, entity)
                if rule is None:
                    continue
                if rule.has_plus:
                    entry = pluses.setdefault((rule.path, rule.is_prefix), Entry())
                elif rule.is_prefix:
                    entry = globs.setdefault(rule.path, Entry())
                else:
                    entry = self._exact.setdefault(rule.path, Entry())
                entry.merge(rule, policy.name)
        self._globs = globs
        for path, entry in globs.items():
            self._prefix.insert(path, entry)
        for (path, is_prefix), entry in pluses.items():
            self._plus.add(path, is_prefix, entry)

    @classmethod
    def root(cls) -> ACL:
        """The ACL of a root token: everything is allowed, with sudo."""
        return cls([Policy(name=ROOT_POLICY, text="")])

    def check(
        self,
        operation: Operation,
        path: str,
        data: Mapping[str, Any] | None = None,
        *,
        wrap_ttl: int = 0,
    ) -> ACLResult:
        """Decide `operation` on `path` with request `data` (§9.4-9.6).

        `wrap_ttl` is the requested response-wrapping TTL in seconds (0 = not wrapped).
        """
        if self.is_root:
            return _ROOT_RESULT
        entry = self._select(path, operation is Operation.LIST)
        if entry is None:
            return _DENIED
        caps = entry.capabilities
        if entry.is_deny:
            return ACLResult(allowed=False, capabilities=Capability.DENY)
        needed = _OPERATION_CAPABILITY[operation]
        refused = ACLResult(allowed=False, sudo=Capability.SUDO in caps, capabilities=caps)
        if needed not in caps or not _wrapping_allowed(entry, wrap_ttl):
            return refused
        if operation in _PARAMETER_OPERATIONS and not parameters_allowed(entry, data):
            return refused
        granting = entry.granting.get(needed, ())
        return ACLResult(True, refused.sudo, caps, granting_policies=granting)

    def has_access_under(self, prefix: str) -> bool:
        """Vault's hasMountAccess: some capability at `prefix`, or a rule below it that grants
        something (what decides which mounts sys/internal/ui/mounts shows a token)."""
        if self.is_root or self.capabilities(prefix) != ["deny"]:
            return True
        rules = [*self._exact.items(), *self._globs.items()]
        return any(p.startswith(prefix) and e.capabilities and not e.is_deny for p, e in rules)

    def capabilities(self, path: str) -> list[str]:
        """Sorted capability names on `path` (sys/capabilities): ["root"] or ["deny"] too."""
        if self.is_root:
            return [ROOT_POLICY]
        # Vault models this as a list request, so the trailing-slash fallback applies.
        entry = self._select(path, True)
        if entry is None or entry.is_deny:
            return ["deny"]
        return sorted(capability_names(entry.capabilities)) or ["deny"]

    def _select(self, path: str, is_list: bool) -> Entry | None:
        """The one entry that decides `path`, by the priority rules of §9.4."""
        entry = self._exact.get(path)
        if entry is None and is_list and path.endswith("/"):
            entry = self._exact.get(path[:-1])
        if entry is not None:
            return entry
        best = self._prefix.longest_prefix(path)
        if best is None:
            return self._plus.best(path, None)
        prefix, prefix_entry = best
        # A glob's rank: its `*` sits right after the prefix; no `+` segments.
        rank = (len(prefix), 0, 0, len(prefix), prefix)
        return self._plus.best(path, (rank, prefix_entry))


def _wrapping_allowed(entry: Entry, wrap_ttl: int) -> bool:
    low, high = entry.min_wrapping_ttl, entry.max_wrapping_ttl
    if high and (not wrap_ttl or wrap_ttl > high):
        return False
    if low and (not wrap_ttl or wrap_ttl < low):
        return False
    # Merging can leave max < min even though each block was checked when parsed.
    return not (low and high and high < low)
