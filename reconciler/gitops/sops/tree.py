"""Walk a document tree leaf by leaf, with the AAD path and the selection rule of each leaf.

sops binds every value to the map keys from the root (`a:b:c:`); list items add nothing, so
every item of `a_list` (and maps inside it) starts from `a_list:`. The selection rules are
tested against every key on the path (unanchored regex search, or ends-with for suffixes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, MutableMapping, MutableSequence, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.gitops.sops.errors import SopsError

RuleKind = Literal[
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
]
RULE_KINDS: tuple[RuleKind, ...] = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)
# Head comments of the map keys on a leaf's path, outermost first; only round-trip trees have them.
CommentLookup = Callable[[MutableMapping[Any, Any], Any], Sequence[str]]


@dataclass(frozen=True, slots=True)
class SelectionRule:
    """Which values get encrypted. At most one rule applies to a file (sops' invariant)."""

    kind: RuleKind
    pattern: str

    @property
    def uses_comments(self) -> bool:
        """True for the two comment rules, which need the file's comments to be evaluated."""
        return self.kind.endswith("_comment_regex")

    def should_encrypt(self, keys: Sequence[str], comments: Sequence[str] = ()) -> bool:
        """Decide for one leaf given the keys on its path and the comments heading them."""
        kind, pattern = self.kind, self.pattern
        if kind == "unencrypted_suffix":
            return not any(k.endswith(pattern) for k in keys)
        if kind == "encrypted_suffix":
            return any(k.endswith(pattern) for k in keys)
        if kind == "unencrypted_regex":
            return not any(re.search(pattern, k) for k in keys)
        if kind == "encrypted_regex":
            return any(re.search(pattern, k) for k in keys)
        if kind == "unencrypted_comment_regex":
            return not any(re.search(pattern, c) for c in comments)
        return any(re.search(pattern, c) for c in comments)

    @property
    def encrypts_on_match(self) -> bool:
        """True when a matching key selects a value for encryption, False when it exempts it."""
        return self.kind.startswith("encrypted_")

    def key_matcher(self) -> Callable[[str], bool]:
        """Whether one key on a path matches (never, for the comment rules).

        `should_encrypt(keys)` equals `any(map(key_matcher(), keys)) == encrypts_on_match`,
        which lets a walker carry one flag down the path instead of re-testing every key.
        """
        pattern = self.pattern
        if self.kind.endswith("_suffix"):
            return lambda key: key.endswith(pattern)
        if self.uses_comments:
            return lambda key: False
        search = re.compile(pattern).search
        return lambda key: search(key) is not None

    def comment_is_clear(self, text: str) -> bool:
        """A comment that a comment rule matches must stay readable for the rule to work."""
        return self.uses_comments and re.search(self.pattern, text) is not None


DEFAULT_RULE = SelectionRule("unencrypted_suffix", "_unencrypted")


@dataclass(slots=True)
class Leaf:
    """One scalar of the tree: where it lives, its AAD path and whether it must be encrypted."""

    keys: tuple[str, ...]
    display: str
    container: MutableMapping[Any, Any] | MutableSequence[Any]
    index: Any
    value: Any
    encrypted: bool

    @property
    def aad(self) -> str:
        """The associated data sops uses for this value."""
        return ":".join(self.keys) + ":"

    def replace(self, value: Any) -> None:
        """Write a new value at this leaf's place in the tree."""
        self.container[self.index] = value


def walk(
    tree: MutableMapping[Any, Any],
    rule: SelectionRule | None,
    comments: CommentLookup | None = None,
) -> Iterator[Leaf]:
    """Yield every scalar leaf depth-first in file order, skipping nulls and the `sops` block."""
    active = rule or DEFAULT_RULE
    for key, value in tree.items():
        if key == "sops":
            continue
        yield from _walk_item(tree, key, value, (), "", (), active, comments)


def _walk_item(
    container: Any,
    index: Any,
    value: Any,
    keys: tuple[str, ...],
    display: str,
    heads: tuple[str, ...],
    rule: SelectionRule,
    comments: CommentLookup | None,
) -> Iterator[Leaf]:
    if isinstance(container, MutableMapping):
        if not isinstance(index, str):
            where = f"{display}." if display else ""
            raise SopsError(f"non-string key at {where}{index!r}: sops allows string keys only")
        keys = (*keys, index)
        display = f"{display}.{index}" if display else index
        if comments is not None:
            heads = (*heads, *comments(container, index))
    else:
        display = f"{display}[{index}]"
    if isinstance(value, MutableMapping):
        for k, v in value.items():
            yield from _walk_item(value, k, v, keys, display, heads, rule, comments)
    elif isinstance(value, MutableSequence):
        for i, v in enumerate(value):
            yield from _walk_item(value, i, v, keys, display, heads, rule, comments)
    elif value is not None:
        yield Leaf(keys, display, container, index, value, rule.should_encrypt(keys, heads))
