"""Parameter constraints of an ACL entry (§9.6): required, denied and allowed parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.store.acl.entry import Entry
from reconciler.vocabulary.policy.model import ParamValues


def parameters_allowed(entry: Entry, data: Mapping[str, Any] | None) -> bool:
    """Whether request `data` satisfies the entry's parameter constraints.

    Keys are compared lower-cased; an empty value list means any value.
    """
    request = {str(key).lower(): value for key, value in (data or {}).items()}
    if any(name.lower() not in request for name in entry.required):
        return False
    if not request:
        return True
    return not _denied(entry.denied, request) and _allowed(entry.allowed, request)


def _denied(denied: Mapping[str, ParamValues] | None, request: Mapping[str, Any]) -> bool:
    if not denied:
        return False
    if "*" in denied:
        return True
    return any(
        key in denied and value_in_list(value, denied[key]) for key, value in request.items()
    )


def _allowed(allowed: Mapping[str, ParamValues] | None, request: Mapping[str, Any]) -> bool:
    if not allowed:
        return True
    allow_all = "*" in allowed
    if allow_all and len(allowed) == 1:
        return True
    for key, value in request.items():
        values = allowed.get(key)
        if values is None:
            if not allow_all:
                return False
        elif not value_in_list(value, values):
            return False
    return True


def value_in_list(value: object, values: ParamValues) -> bool:
    """Whether `value` matches one of `values` (empty = any); strings match globs."""
    if not values:
        return True
    for candidate in values:
        if isinstance(candidate, str) and isinstance(value, str):
            if glob_match(candidate, value):
                return True
        elif deep_equal(candidate, value):
            return True
    return False


def glob_match(pattern: str, value: str) -> bool:
    """Vault's GlobbedStringsMatch: `prefix*`, `*suffix`, `*infix*`, else equality."""
    if len(pattern) > 1 and pattern.startswith("*") and pattern.endswith("*"):
        return pattern[1:-1] in value
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return pattern == value


def deep_equal(left: object, right: object) -> bool:
    """Equality that, like Go's reflect.DeepEqual, never equates a bool with a number."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(deep_equal, left, right))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(deep_equal(left[k], right[k]) for k in left)
    return left == right
