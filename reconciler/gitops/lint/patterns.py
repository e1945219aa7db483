"""Credentials that must never be committed: what they look like in text.

Each match yields the line and column and a digest of the matched text (so the same secret seen
in the working tree and in history is reported once); never the text itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

_ROOT_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_.])(?:hvs\.[A-Za-z0-9_-]{24,}|s\.[A-Za-z0-9]{24}(?![A-Za-z0-9]))"
)
_AGE_KEY = re.compile(r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}")
# A 32-byte key in hex, or a 33-byte Shamir share of one.
_HEX_KEY = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?:[0-9A-Fa-f]{2})?(?![0-9A-Fa-f])")
_UNSEAL_LINE = re.compile(r"unseal key\s*\d*\s*[:=]\s*\S{40,}", re.IGNORECASE)
_KEY_CONTEXT = re.compile(
    r"unseal|recovery|shamir|key[ _-]?shares?|keys_hex|keys_b64|root_key", re.IGNORECASE
)
_CONTEXT_LINES = 3


@dataclass(frozen=True)
class Leak:
    """A credential found in text: which rule, where (1-based), what it is, and a digest."""

    rule_id: str
    line: int
    column: int
    what: str
    digest: str


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _near_key_words(lines: list[str], index: int) -> bool:
    low, high = max(0, index - _CONTEXT_LINES), index + _CONTEXT_LINES + 1
    return any(_KEY_CONTEXT.search(line) for line in lines[low:high])


def _line_leaks(lines: list[str], index: int, key_named_file: bool) -> Iterator[Leak]:
    line = lines[index]
    number = index + 1
    for match in _ROOT_TOKEN.finditer(line):
        yield Leak("SK009", number, match.start() + 1, "a store token", _digest(match.group()))
    for match in _AGE_KEY.finditer(line):
        yield Leak("SK011", number, match.start() + 1, "an age private key", _digest(match.group()))
    unseal = _UNSEAL_LINE.search(line)
    if unseal is not None:
        yield Leak("SK010", number, unseal.start() + 1, "an unseal key", _digest(unseal.group()))
        return
    for match in _HEX_KEY.finditer(line):
        if key_named_file or _near_key_words(lines, index):
            yield Leak("SK010", number, match.start() + 1, "an unseal key", _digest(match.group()))


def find_leaks(path: str, text: str) -> list[Leak]:
    """Every credential-looking string in `text` (the file at `path`, for context)."""
    lines = text.splitlines()
    key_named_file = bool(_KEY_CONTEXT.search(path.rsplit("/", 1)[-1]))
    return [leak for i in range(len(lines)) for leak in _line_leaks(lines, i, key_named_file)]


def find_leaks_in_lines(path: str, numbered: list[tuple[int, str]]) -> list[Leak]:
    """Leaks in selected lines (e.g. the lines a commit added), keeping their own numbers."""
    texts = [text for _, text in numbered]
    key_named_file = bool(_KEY_CONTEXT.search(path.rsplit("/", 1)[-1]))
    found = []
    for index, (number, _) in enumerate(numbered):
        for leak in _line_leaks(texts, index, key_named_file):
            found.append(Leak(leak.rule_id, number, leak.column, leak.what, leak.digest))
    return found
