"""Three-way merge of decrypted trees, value by value (one key path at a time).

Mappings merge key by key; anything else (scalars, lists) is one value: taken from the side
that changed it, kept when both sides agree, a conflict when both changed it differently.
A key missing on one side is a value too, so a deletion conflicts with an edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.gitops.manifests.diagnostics import format_json_path


class _Missing:
    """The absence of a key (distinct from a None value)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass
class MergeResult:
    """The merged tree (plain data, ours' key order first) and the key paths in conflict.

    Invariant: when `conflicts` is not empty, `tree` must not be written anywhere.
    """

    tree: dict[str, Any]
    conflicts: list[str] = field(default_factory=list)


def _is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types (so `1`, `1.0` and `true` all differ), recursively."""
    if type(a) is not type(b):
        return _is_map(a) and _is_map(b) and _same_maps(a, b)
    if _is_map(a):
        return _same_maps(a, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _same_maps(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)


def _merge_value(
    base: Any, ours: Any, theirs: Any, path: tuple[str | int, ...], conflicts: list[str]
) -> Any:
    if same(ours, theirs):
        return ours
    if same(ours, base):
        return theirs
    if same(theirs, base):
        return ours
    if _is_map(ours) and _is_map(theirs):
        return _merge_maps(base if _is_map(base) else {}, ours, theirs, path, conflicts)
    conflicts.append(format_json_path(path) or "(the whole document)")
    return ours


def _merge_maps(
    base: Mapping[str, Any],
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    path: tuple[str | int, ...],
    conflicts: list[str],
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    keys = list(ours) + [k for k in theirs if k not in ours]
    for key in keys:
        value = _merge_value(
            base.get(key, MISSING),
            ours.get(key, MISSING),
            theirs.get(key, MISSING),
            (*path, str(key)),
            conflicts,
        )
        if value is not MISSING:
            merged[str(key)] = value
    return merged


def merge_trees(
    base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any]
) -> MergeResult:
    """Merge `ours` and `theirs`, both descended from `base` (an empty mapping when none)."""
    conflicts: list[str] = []
    tree = _merge_maps(base, ours, theirs, (), conflicts)
    return MergeResult(tree, conflicts)
