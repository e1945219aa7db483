"""Comments of round-trip YAML trees: find them, give each its AAD path, rewrite them.

sops encrypts each comment line on its own (`#ENC[...]`, type `comment`) with the path of the
mapping the comment belongs to as AAD (`:` at the top level). go-yaml attaches a comment to the
key that follows it, while ruamel attaches it to what precedes it, so the path is found from
line numbers: a comment belongs to the mapping of the next key at or below its line. sops
itself leaves a comment it cannot decrypt as it is, with a warning; so do we.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.tokens import CommentToken

KeyPath = tuple[str, ...]
# (comment text after '#', AAD path) -> new text after '#'
CommentRewrite = Callable[[str, KeyPath], str]
_COMMENT_LINE = re.compile(r"^(\s*)#(.*)$")


class KeyLines:
    """Line number -> path of the mapping whose key sits on or after that line."""

    def __init__(self, tree: CommentedMap) -> None:
        entries: list[tuple[int, KeyPath]] = []
        _collect_lines(tree, (), entries)
        entries.sort(key=lambda e: e[0])
        self._lines = [e[0] for e in entries]
        self._paths = [e[1] for e in entries]

    def path_for(self, line: int) -> KeyPath:
        """The AAD path for a comment on `line` (the top level after the last key)."""
        at = bisect.bisect_left(self._lines, line)
        return self._paths[at] if at < len(self._paths) else ()


def _collect_lines(node: Any, path: KeyPath, out: list[tuple[int, KeyPath]]) -> None:
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            line = _key_line(node, key)
            if line is not None:
                out.append((line, path))
            _collect_lines(value, (*path, str(key)), out)
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            with contextlib.suppress(KeyError, TypeError):
                out.append((node.lc.item(index)[0], path))
            _collect_lines(value, path, out)


def _key_line(node: CommentedMap, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0])
    except (KeyError, TypeError):
        return None


def iter_tokens(node: Any) -> Iterator[CommentToken]:
    """Every comment token reachable from `node`, each once (ruamel shares some tokens)."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, CommentToken):
            if id(current) not in seen:
                seen.add(id(current))
                yield current
        elif isinstance(current, list):
            stack.extend(reversed(current))
        elif isinstance(current, (CommentedMap, CommentedSeq)):
            ca = current.ca
            stack.append(ca.end)
            stack.append(list(ca.items.values()))
            stack.append(ca.comment)
            stack.extend(reversed(list(current.values() if isinstance(current, dict) else current)))


def rewrite(tree: CommentedMap, change: CommentRewrite) -> None:
    """Rewrite the text of every comment line in place, keeping indentation and blank lines."""
    index = KeyLines(tree)
    for token in iter_tokens(tree):
        mark = token.start_mark
        first = mark.line if mark is not None else None
        lines = token.value.split("\n")
        for offset, line in enumerate(lines):
            match = _COMMENT_LINE.match(line)
            if match is None:
                continue
            path = index.path_for(first + offset) if first is not None else ()
            lines[offset] = f"{match[1]}#{change(match[2], path)}"
        token.value = "\n".join(lines)


def head_comments(text: str) -> Callable[[MutableMapping[Any, Any], Any], Sequence[str]]:
    """A lookup of the comment lines directly above a key, read from the source `text`."""
    source = text.splitlines()

    def lookup(container: MutableMapping[Any, Any], key: Any) -> Sequence[str]:
        line = _key_line(container, key) if isinstance(container, CommentedMap) else None
        found: list[str] = []
        row = (line if line is not None else 0) - 1
        while line is not None and row >= 0:
            match = _COMMENT_LINE.match(source[row])
            if match is None:
                break
            found.append(match[2])
            row -= 1
        return list(reversed(found))

    return lookup
