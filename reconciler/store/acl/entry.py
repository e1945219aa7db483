"""ACL entries: the merged permissions of every path block that shares one key (§9.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.vocabulary.policy.model import (
    CAPABILITY_ORDER,
    Capability,
    ParamValues,
    PathRule,
)


@dataclass
class Entry:
    """Permissions for one key of the ACL, built by merging blocks with `merge`.

    Invariants: `capabilities` is DENY alone once any merged block denied (parameters are then
    empty); `granting` maps each single capability to the policies that granted it.
    """

    capabilities: Capability = Capability.NONE
    allowed: dict[str, ParamValues] | None = None
    denied: dict[str, ParamValues] | None = None
    required: tuple[str, ...] = ()
    min_wrapping_ttl: int = 0
    max_wrapping_ttl: int = 0
    granting: dict[Capability, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_deny(self) -> bool:
        """Whether this entry is an explicit deny."""
        return Capability.DENY in self.capabilities

    def merge(self, rule: PathRule, policy: str) -> None:
        """Fold one more block with this key into the entry, as Vault's NewACL does."""
        if self.is_deny:
            return
        if Capability.DENY in rule.capabilities:
            self.capabilities = Capability.DENY
            self.allowed = self.denied = None
            self.granting = {}
            return
        self.capabilities |= rule.capabilities
        self._grant(rule.capabilities, policy)
        self.min_wrapping_ttl = _smaller_nonzero(self.min_wrapping_ttl, rule.min_wrapping_ttl)
        self.max_wrapping_ttl = _smaller_nonzero(self.max_wrapping_ttl, rule.max_wrapping_ttl)
        self.allowed = _merge_params(self.allowed, rule.allowed_parameters)
        self.denied = _merge_params(self.denied, rule.denied_parameters)
        for name in rule.required_parameters:
            if name not in self.required:
                self.required += (name,)

    def _grant(self, caps: Capability, policy: str) -> None:
        for cap in CAPABILITY_ORDER:
            if cap in caps:
                holders = self.granting.get(cap, ())
                if policy not in holders:
                    self.granting[cap] = (*holders, policy)


def _smaller_nonzero(current: int, new: int) -> int:
    if current and new:
        return min(current, new)
    return current or new


def _merge_params(
    current: dict[str, ParamValues] | None, new: Mapping[str, ParamValues]
) -> dict[str, ParamValues] | None:
    """Merge parameter maps per key; an empty list (any value) on either side wins."""
    if not new:
        return current
    if current is None:
        return dict(new)
    merged = dict(current)
    for key, values in new.items():
        if key not in merged:
            merged[key] = values
        elif not values or not merged[key]:
            merged[key] = ()
        else:
            merged[key] = merged[key] + values
    return merged
