"""A radix tree keyed by strings that finds the longest stored key that prefixes a path.

Lookups cost one step per branching point along the path, not one per stored key: the ACL
asks it for every request, and a store may hold thousands of glob rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

V = TypeVar("V")


@dataclass
class _Node(Generic[V]):
    # Edges keyed by their label's first character; each label is non-empty.
    edges: dict[str, tuple[str, _Node[V]]] = field(default_factory=dict)
    value: V | None = None
    has_value: bool = False


class RadixTree(Generic[V]):
    """A map from string keys to values with longest-prefix lookup."""

    def __init__(self) -> None:
        self._root: _Node[V] = _Node()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def insert(self, key: str, value: V) -> None:
        """Store `value` under `key`, replacing any value already there."""
        node, pos = self._root, 0
        while pos < len(key):
            edge = node.edges.get(key[pos])
            if edge is None:
                leaf: _Node[V] = _Node()
                node.edges[key[pos]] = (key[pos:], leaf)
                node, pos = leaf, len(key)
                break
            label, child = edge
            common = _common_length(label, key, pos)
            if common < len(label):
                # Split the edge so the shared part becomes its own node.
                middle: _Node[V] = _Node(edges={label[common]: (label[common:], child)})
                node.edges[key[pos]] = (label[:common], middle)
                child = middle
            node, pos = child, pos + common
        if not node.has_value:
            self._size += 1
        node.value, node.has_value = value, True

    def get(self, key: str) -> V | None:
        """The value stored exactly under `key`, or None."""
        found = self.longest_prefix(key)
        if found is not None and found[0] == key:
            return found[1]
        return None

    def longest_prefix(self, path: str) -> tuple[str, V] | None:
        """The longest stored key that is a prefix of `path`, with its value, or None."""
        node, pos = self._root, 0
        best: tuple[int, _Node[V]] | None = (0, node) if node.has_value else None
        while pos < len(path):
            edge = node.edges.get(path[pos])
            if edge is None:
                break
            label, child = edge
            if not path.startswith(label, pos):
                break
            node, pos = child, pos + len(label)
            if node.has_value:
                best = (pos, node)
        if best is None:
            return None
        length, found = best
        return path[:length], cast(V, found.value)


def _common_length(label: str, key: str, pos: int) -> int:
    limit = min(len(label), len(key) - pos)
    count = 0
    while count < limit and label[count] == key[pos + count]:
        count += 1
    return count
