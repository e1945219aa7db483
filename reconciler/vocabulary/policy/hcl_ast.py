"""HCL1 (and its JSON form) parsed into a small AST that keeps line and column of every node.

pyhcl's tokenizer does the lexing (strings, heredocs, comments, numbers). Its yacc grammar is
not used: it returns bare dicts, so positions are lost and repeated `path "x"` blocks overwrite
each other, while Vault needs both (error lines, and same-key blocks merged).
"""

from __future__ import annotations

import bisect
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.vocabulary.policy.model import PolicyParseError

with warnings.catch_warnings():
    # ply emits deprecation noise on some Pythons; it says nothing about our input.
    warnings.simplefilter("ignore")
    from hcl.lexer import Lexer

# Building a ply lexer compiles its master regex; clone one prototype per parse instead.
_PROTOTYPE = Lexer()
_LEX_ERROR = re.compile(r"Line (\d+), column (\d+)(?:, index \d+)?: (.*)", re.DOTALL)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[0-7]{3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "/": "/",
}
_PUNCT = {
    "LEFTBRACE": "{",
    "RIGHTBRACE": "}",
    "LEFTBRACKET": "[",
    "RIGHTBRACKET": "]",
    "COMMA": ",",
    "EQUAL": "=",
    "COLON": ":",
}


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column in the policy text."""

    line: int
    column: int


@dataclass(frozen=True)
class Literal:
    """A string, number or bool (HCL1 has no null, and policies never need one)."""

    value: object
    pos: Pos


@dataclass(frozen=True)
class ListNode:
    """`[a, b, ...]`."""

    values: tuple[Node, ...]
    pos: Pos


@dataclass(frozen=True)
class Key:
    """One key of an item: `path` and `"secret/*"` in `path "secret/*" { ... }`."""

    name: str
    pos: Pos


@dataclass(frozen=True)
class Item:
    """`k1 k2 ... = value` or `k1 k2 ... { ... }`; repeated keys are kept, in source order."""

    keys: tuple[Key, ...]
    value: Node
    pos: Pos


@dataclass(frozen=True)
class ObjectNode:
    """`{ item ... }`, or the whole document."""

    items: tuple[Item, ...]
    pos: Pos


Node = Literal | ListNode | ObjectNode


@dataclass(frozen=True)
class _Token:
    kind: str
    value: object
    pos: Pos


def _decode_escape(match: re.Match[str]) -> str:
    body = match.group(1)
    if body[0] in "uUx" and len(body) > 1:
        return chr(int(body[1:], 16))
    if len(body) == 3:
        return chr(int(body, 8))
    return _SIMPLE_ESCAPES.get(body, "\\" + body)


def _unquote(raw: str) -> str:
    text = _ESCAPE.sub(_decode_escape, raw)
    # JSON spells astral characters as surrogate pairs; join them.
    return text.encode("utf-16", "surrogatepass").decode("utf-16")


class _Tokens:
    """The token stream of one document, with positions and one token of lookahead."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self._lexer = _PROTOTYPE.lex.clone()
        self._lexer.input(text)
        self._iter = self._generate()
        self.current = next(self._iter)

    def position(self, offset: int) -> Pos:
        """The line and column of a character offset."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return Pos(index + 1, offset - self._line_starts[index] + 1)

    def _generate(self) -> Iterator[_Token]:
        while True:
            try:
                tok = self._lexer.token()
            except ValueError as exc:
                raise self._lexer_error(str(exc)) from None
            if tok is None:
                break
            yield self._convert(tok)
        while True:
            yield _Token("EOF", None, self.position(max(len(self._text) - 1, 0)))

    def _convert(self, tok: Any) -> _Token:
        # `tok` is a ply LexToken, which ships without type information.
        kind: str = tok.type
        value: object = tok.value
        offset: int = tok.lexpos
        if kind == "STRING" and self._text[offset] == '"':
            start = self._lexer.abs_start
            value = _unquote(self._text[start:offset])
            offset = start - 1
        elif kind == "STRING":
            offset = self._lexer.here_start - 1
            # HCL1 keeps the newline before the closing marker; pyhcl drops it.
            value = f"{value}\n"
        return _Token(kind, value, self.position(offset))

    def _lexer_error(self, message: str) -> PolicyParseError:
        match = _LEX_ERROR.match(message)
        if match is None:
            return PolicyParseError(message)
        line, column, reason = int(match.group(1)), int(match.group(2)) + 1, match.group(3)
        if "closing string quote" in reason:
            # Point at the opening quote: the end of input says nothing useful.
            start = self.position(self._lexer.abs_start - 1)
            line, column = start.line, start.column
            reason = "unterminated string"
        return PolicyParseError(f"{reason} on line {line}", line, column)

    def advance(self) -> _Token:
        """Consume the current token and return it."""
        tok = self.current
        self.current = next(self._iter)
        return tok


def _describe(tok: _Token) -> str:
    if tok.kind == "EOF":
        return "end of input"
    if tok.kind == "STRING":
        return f"string {tok.value!r}"
    if tok.kind in _PUNCT:
        return f'"{_PUNCT[tok.kind]}"'
    return f"{tok.kind.lower()} {tok.value!r}"


def _unexpected(tok: _Token, expected: str) -> PolicyParseError:
    where = tok.pos
    return PolicyParseError(
        f"expected {expected}, got {_describe(tok)} on line {where.line}", where.line, where.column
    )


class _Parser:
    """Recursive descent over HCL1 (objects, lists, literals) or, in JSON mode, over JSON."""

    def __init__(self, text: str, json_mode: bool) -> None:
        self.tokens = _Tokens(text)
        self.json_mode = json_mode

    def document(self) -> ObjectNode:
        start = self.tokens.current.pos
        if self.json_mode:
            node = self.value()
            self._expect_end()
            if not isinstance(node, ObjectNode):
                raise PolicyParseError("a JSON policy must be an object", start.line, start.column)
            return node
        return ObjectNode(self.items("EOF"), start)

    def _expect_end(self) -> None:
        if self.tokens.current.kind != "EOF":
            raise _unexpected(self.tokens.current, "end of input")

    def items(self, end: str) -> tuple[Item, ...]:
        found: list[Item] = []
        while self.tokens.current.kind != end:
            found.append(self.json_item() if self.json_mode else self.item())
            if self.tokens.current.kind == "COMMA":
                self.tokens.advance()
            elif self.json_mode and self.tokens.current.kind != end:
                raise _unexpected(self.tokens.current, f'"," or "{_PUNCT.get(end, end)}"')
        self.tokens.advance()
        return tuple(found)

    def item(self) -> Item:
        keys: list[Key] = []
        while self.tokens.current.kind in ("IDENTIFIER", "STRING"):
            tok = self.tokens.advance()
            keys.append(Key(str(tok.value), tok.pos))
        if not keys:
            raise _unexpected(self.tokens.current, "a key")
        current = self.tokens.current
        if current.kind == "EQUAL":
            self.tokens.advance()
            return Item(tuple(keys), self.value(), keys[0].pos)
        if current.kind == "LEFTBRACE":
            return Item(tuple(keys), self.value(), keys[0].pos)
        raise _unexpected(current, f'"=" or "{{" after key "{keys[-1].name}"')

    def json_item(self) -> Item:
        tok = self.tokens.advance()
        if tok.kind != "STRING":
            raise _unexpected(tok, "a quoted key")
        key = Key(str(tok.value), tok.pos)
        if self.tokens.current.kind != "COLON":
            raise _unexpected(self.tokens.current, f'":" after key "{key.name}"')
        self.tokens.advance()
        return Item((key,), self.value(), key.pos)

    def value(self) -> Node:
        tok = self.tokens.advance()
        if tok.kind == "LEFTBRACE":
            return ObjectNode(self.items("RIGHTBRACE"), tok.pos)
        if tok.kind == "LEFTBRACKET":
            return self.list_rest(tok.pos)
        if tok.kind in ("STRING", "BOOL"):
            return Literal(tok.value, tok.pos)
        if tok.kind in ("NUMBER", "FLOAT"):
            return Literal(self.number_rest(tok), tok.pos)
        raise _unexpected(tok, "a value")

    def number_rest(self, tok: _Token) -> object:
        if self.tokens.current.kind not in ("EPLUS", "EMINUS"):
            return tok.value
        sign = "-" if self.tokens.advance().kind == "EMINUS" else ""
        exponent = self.tokens.advance()
        if exponent.kind != "NUMBER":
            raise _unexpected(exponent, "an exponent")
        return float(f"{tok.value}e{sign}{exponent.value}")

    def list_rest(self, pos: Pos) -> ListNode:
        values: list[Node] = []
        while self.tokens.current.kind != "RIGHTBRACKET":
            values.append(self.value())
            if self.tokens.current.kind == "COMMA":
                self.tokens.advance()
            elif self.tokens.current.kind != "RIGHTBRACKET":
                raise _unexpected(self.tokens.current, '"," or "]"')
        self.tokens.advance()
        return ListNode(tuple(values), pos)


def is_json(text: str) -> bool:
    """Whether `text` is the JSON form (first non-space character `{`), as HCL1 decides."""
    stripped = text.lstrip()
    return stripped.startswith("{")


def parse_document(text: str) -> ObjectNode:
    """Parse HCL1 or JSON text into its top-level object. Raises PolicyParseError."""
    return _Parser(text, is_json(text)).document()


def plain(node: Node) -> object:
    """The node as plain Python data (lists, dicts keyed by joined item keys, scalars)."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, ListNode):
        return [plain(v) for v in node.values]
    result: dict[str, object] = {}
    for item in node.items:
        target = result
        for key in item.keys[:-1]:
            nested = target.setdefault(key.name, {})
            target = nested if isinstance(nested, dict) else {}
        target[item.keys[-1].name] = plain(item.value)
    return result
