"""Entries whose path has `+` segment wildcards, indexed so a lookup sees few of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from reconciler.store.acl.entry import Entry

Rank = tuple[int, int, int, int, str]
"""Priority of a candidate (§9.4): a greater rank wins.

(position of the first wildcard or glob, 1 if not a glob, minus the number of `+`
segments, path length, path).
"""


def plus_rank(path: str, is_prefix: bool) -> Rank:
    """The §9.4 rank of a `+` rule; every `+` segment of a matching rule matched one part."""
    # Vault finds the first "+" anywhere, even inside a literal segment such as "a+b".
    first_wildcard = path.find("+")
    wildcards = path.split("/").count("+")
    return (first_wildcard, 0 if is_prefix else 1, -wildcards, len(path), path)


@dataclass
class _Node:
    """A trie node: children by literal segment (or "+"), and the rules that end here."""

    children: dict[str, _Node] = field(default_factory=dict)
    # Exact rules whose segments all lie on the path to this node.
    exact: list[tuple[Rank, Entry]] = field(default_factory=list)
    # Prefix rules whose segments but the last lie on the path; (last segment, rank, entry).
    prefix: list[tuple[str, Rank, Entry]] = field(default_factory=list)


class PlusIndex:
    """`+` entries in a trie of segments, where "+" is one more child.

    A lookup walks the request's segments, following the literal child and the "+" child, so
    it touches only rules that share the request's literal segments.
    """

    def __init__(self) -> None:
        self._root = _Node()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, path: str, is_prefix: bool, entry: Entry) -> None:
        """Index the entry for `path` (glob `*` already stripped when `is_prefix`)."""
        segments = path.split("/")
        rank = plus_rank(path, is_prefix)
        # The last segment of a glob rule is matched as a string prefix, not as a segment.
        walk = segments[:-1] if is_prefix else segments
        node = self._root
        for segment in walk:
            node = node.children.setdefault(segment, _Node())
        if is_prefix:
            node.prefix.append((segments[-1], rank, entry))
        else:
            node.exact.append((rank, entry))
        self._size += 1

    def best(self, path: str, incumbent: tuple[Rank, Entry] | None) -> Entry | None:
        """The highest-ranked entry among `incumbent` and the `+` rules matching `path`."""
        best = incumbent
        if self._size:
            parts = path.split("/")
            for rank, entry in self._matches(parts):
                if best is None or rank > best[0]:
                    best = (rank, entry)
        return None if best is None else best[1]

    def _matches(self, parts: list[str]) -> Iterator[tuple[Rank, Entry]]:
        stack = [(self._root, 0)]
        while stack:
            node, depth = stack.pop()
            if depth == len(parts):
                yield from node.exact
                continue
            part = parts[depth]
            for last, rank, entry in node.prefix:
                if part.startswith(last):
                    yield rank, entry
            wildcard = node.children.get("+")
            if wildcard is not None:
                stack.append((wildcard, depth + 1))
            literal = node.children.get(part) if part != "+" else None
            if literal is not None:
                stack.append((literal, depth + 1))
