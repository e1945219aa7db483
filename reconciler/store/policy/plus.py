"""Entries whose path has `+` segment wildcards, indexed so a lookup sees few of them."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.store.policy.entry import Entry

Rank = tuple[int, int, int, int, str]
"""Priority of a candidate (§9.4): a greater rank wins.

(position of the first wildcard or glob, 1 if not a glob, minus the number of `+`
segments, path length, path).
"""


@dataclass(frozen=True)
class PlusRule:
    """One `+` entry: `path` without the glob `*`, split into `segments`."""

    path: str
    segments: tuple[str, ...]
    is_prefix: bool
    entry: Entry

    @property
    def first_wildcard(self) -> int:
        """Where the first `+` is, as Vault measures it (a literal `+` counts too)."""
        return self.path.find("+")

    def wildcards_matched(self, parts: list[str]) -> int | None:
        """How many `+` segments matched `parts`, or None when the rule does not match."""
        last = len(self.segments) - 1
        count = 0
        for index, segment in enumerate(self.segments):
            part = parts[index]
            if segment == "+":
                count += 1
            elif segment != part and not (
                self.is_prefix and index == last and part.startswith(segment)
            ):
                return None
        return count


class PlusIndex:
    """`+` entries bucketed by segment count (exact rules) and by first literal segment."""

    def __init__(self) -> None:
        # (segment count, first segment or None when it is "+") -> rules
        self._exact: dict[tuple[int, str | None], list[PlusRule]] = {}
        # first segment or None -> prefix rules, which match any path at least as long
        self._prefix: dict[str | None, list[PlusRule]] = {}

    def add(self, path: str, is_prefix: bool, entry: Entry) -> None:
        """Index the entry for `path` (glob `*` already stripped when `is_prefix`)."""
        segments = tuple(path.split("/"))
        rule = PlusRule(path, segments, is_prefix, entry)
        # A prefix rule always has two or more segments (`+*` is rejected), so its first
        # segment is compared whole, like an exact rule's.
        first = None if segments[0] == "+" else segments[0]
        if is_prefix:
            self._prefix.setdefault(first, []).append(rule)
        else:
            self._exact.setdefault((len(segments), first), []).append(rule)

    def best(self, path: str, incumbent: tuple[Rank, Entry] | None) -> Entry | None:
        """The highest-ranked entry among `incumbent` and the `+` rules matching `path`."""
        best = incumbent
        if self._exact or self._prefix:
            parts = path.split("/")
            for rule in self._candidates(parts):
                count = rule.wildcards_matched(parts)
                if count is None:
                    continue
                rank = (
                    rule.first_wildcard,
                    0 if rule.is_prefix else 1,
                    -count,
                    len(rule.path),
                    rule.path,
                )
                if best is None or rank > best[0]:
                    best = (rank, rule.entry)
        return None if best is None else best[1]

    def _candidates(self, parts: list[str]) -> list[PlusRule]:
        count = len(parts)
        found = self._exact.get((count, parts[0]), []) + self._exact.get((count, None), [])
        for first in (parts[0], None):
            found.extend(r for r in self._prefix.get(first, ()) if len(r.segments) <= count)
        return found
