"""Username templates: the subset of Go's text/template that Vault's `username_template` uses.

Supported: `{{ ... }}` actions with pipelines (`a | b`), parenthesised sub-pipelines, string
and integer literals, the fields `.DisplayName` and `.RoleName`, and the functions `printf`,
`truncate`, `truncate_sha256`, `uppercase`, `lowercase`, `replace`, `random`, `unix_time`,
`unix_time_millis`, `timestamp`, `uuid`, `sha256` and `base64`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

POSTGRES_DEFAULT = (
    '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) '
    "(random 20) (unix_time) | truncate 63 }}"
)
# MySQL caps user names at 32 characters: "v-" + 10 + "-" + 10 + "-" leaves at least 8 random
# characters even for long display and role names, so names stay unique.
MYSQL_DEFAULT = (
    '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 10) (.RoleName | truncate 10) '
    "(random 20) (unix_time) | truncate 32 }}"
)


class TemplateError(ValueError):
    """The template does not parse or a function got bad arguments."""


@dataclass(frozen=True)
class UsernameInput:
    """The data a username template sees."""

    display_name: str
    role_name: str


_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)|(?P<num>-?\d+)|(?P<field>\.\w+)"""
    r"""|(?P<ident>[A-Za-z_]\w*)|(?P<punct>[|()]))"""
)
_RANDOM_ALPHABET = string.ascii_letters + string.digits


def render_username(template: str, data: UsernameInput) -> str:
    """Render a username template, or raise TemplateError naming the problem."""
    out: list[str] = []
    pos = 0
    for match in re.finditer(r"\{\{-?(.*?)-?\}\}", template, re.DOTALL):
        out.append(template[pos : match.start()])
        tokens = _tokenize(match.group(1))
        value, rest = _pipeline(tokens, data)
        if rest:
            raise TemplateError(f"unexpected {rest[0][1]!r} in template")
        out.append(_to_text(value))
        pos = match.end()
    out.append(template[pos:])
    return "".join(out)


def _tokenize(action: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    action = action.strip()
    while pos < len(action):
        match = _TOKEN.match(action, pos)
        if match is None or match.end() == pos:
            raise TemplateError(f"cannot parse template near {action[pos:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(action) and action[pos].isspace():
            pos += 1
    return tokens


Tokens = list[tuple[str, str]]


def _pipeline(tokens: Tokens, data: UsernameInput) -> tuple[object, Tokens]:
    value, tokens = _command(tokens, data, None, first=True)
    while tokens and tokens[0] == ("punct", "|"):
        value, tokens = _command(tokens[1:], data, value, first=False)
    return value, tokens


def _command(
    tokens: Tokens, data: UsernameInput, piped: object, first: bool
) -> tuple[object, Tokens]:
    if not tokens:
        raise TemplateError("empty command in template")
    kind, text = tokens[0]
    if kind == "ident":
        args: list[object] = []
        tokens = tokens[1:]
        while tokens and tokens[0] not in (("punct", "|"), ("punct", ")")):
            arg, tokens = _operand(tokens, data)
            args.append(arg)
        if not first:
            args.append(piped)
        return _call(text, args), tokens
    if not first:
        raise TemplateError(f"cannot pipe into {text!r}")
    return _operand(tokens, data)


def _operand(tokens: Tokens, data: UsernameInput) -> tuple[object, Tokens]:
    kind, text = tokens[0]
    if kind == "str":
        return (text[1:-1] if text[0] == "`" else _unquote(text)), tokens[1:]
    if kind == "num":
        return int(text), tokens[1:]
    if kind == "field":
        return _field(text, data), tokens[1:]
    if kind == "ident":
        return _call(text, []), tokens[1:]
    if (kind, text) == ("punct", "("):
        value, rest = _pipeline(tokens[1:], data)
        if not rest or rest[0] != ("punct", ")"):
            raise TemplateError("unclosed '(' in template")
        return value, rest[1:]
    raise TemplateError(f"unexpected {text!r} in template")


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _field(name: str, data: UsernameInput) -> str:
    fields = {".DisplayName": data.display_name, ".RoleName": data.role_name}
    if name not in fields:
        raise TemplateError(f"unknown field {name} in template")
    return fields[name]


def _call(name: str, args: list[object]) -> object:
    func = _FUNCS.get(name)
    if func is None:
        raise TemplateError(f'function "{name}" not defined')
    try:
        return func(*args)
    except TypeError:
        raise TemplateError(f"wrong number of arguments for {name}") from None


def _to_text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise TemplateError(f"expected an integer, got {value!r}")
    return value


def _printf(fmt: object, *args: object) -> str:
    values = iter(args)

    def verb(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        flags, kind = match.group(1), match.group(2)
        value = next(values, "")
        spec = "%" + flags + ("d" if kind == "d" else "s")
        return spec % (_int(value) if kind == "d" else _to_text(value))

    return re.sub(r"%%|%([-+ 0#]*\d*)([sdvq])", verb, _to_text(fmt))


def _truncate(length: object, text: object) -> str:
    size = _int(length)
    if size < 0:
        raise TemplateError("truncate length must not be negative")
    return _to_text(text)[:size]


def _truncate_sha256(length: object, text: object) -> str:
    size, value = _int(length), _to_text(text)
    if size <= 8:
        raise TemplateError("truncate_sha256 length must be greater than 8")
    if len(value) <= size:
        return value
    return value[: size - 8] + hashlib.sha256(value.encode()).hexdigest()[:8]


def _random(length: object) -> str:
    return "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(_int(length)))


_GO_LAYOUT_PARTS = [
    ("2006", "%Y"), ("-0700", "%z"), ("01", "%m"), ("02", "%d"), ("15", "%H"),
    ("04", "%M"), ("05", "%S"), ("MST", "UTC"), ("Jan", "%b"), ("Mon", "%a"),
]  # fmt: skip


def _timestamp(layout: object) -> str:
    fmt = _to_text(layout).replace("%", "%%")
    for go, py in _GO_LAYOUT_PARTS:
        fmt = fmt.replace(go, py)
    return datetime.now(UTC).strftime(fmt)


_FUNCS: dict[str, Callable[..., object]] = {
    "printf": _printf,
    "truncate": _truncate,
    "truncate_sha256": _truncate_sha256,
    "uppercase": lambda s: _to_text(s).upper(),
    "lowercase": lambda s: _to_text(s).lower(),
    "replace": lambda old, new, s: _to_text(s).replace(_to_text(old), _to_text(new)),
    "random": _random,
    "unix_time": lambda: int(time.time()),
    "unix_time_millis": lambda: int(time.time() * 1000),
    "timestamp": _timestamp,
    "uuid": lambda: str(uuid.uuid4()),
    "sha256": lambda s: hashlib.sha256(_to_text(s).encode()).hexdigest(),
    "base64": lambda s: base64.b64encode(_to_text(s).encode()).decode(),
}
