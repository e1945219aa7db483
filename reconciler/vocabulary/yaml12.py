"""The one YAML 1.2 rule set: what a plain scalar means, as sops (go-yaml v3) reads it.

Every YAML reader of the package (manifests with line numbers, the SOPS fast loader, the
SOPS round-trip reader and writer) resolves plain scalars here, so one file means one thing
to `plan` and to `secret edit`. The reference is the real `sops` 3.11 binary (go-yaml v3),
checked by experiment and by the tests:

- `true/True/TRUE` and `false/False/FALSE` are bools; `yes/no/on/off/y/n` are strings.
- `~`, `null/Null/NULL` and the empty scalar are null.
- Ints are read as Go's `strconv.ParseInt(s, 0, 64)` reads them after dropping every `_`:
  `0x1F`, `0o17`, `0b101`, `+12`, `1_000`, and `0777` is octal (511), as go-yaml v3 keeps it.
  An int too large for 64 bits becomes a float when it is written like one, else a string.
  (go-yaml reads 2**63 to 2**64-1, unsigned, as an int; sops itself refuses to encrypt one.)
- Floats: `1e3`, `.5`, `5.`, `.inf/-.inf/+.inf` (any of `inf/Inf/INF`), `.nan`; a decimal
  with a leading zero that is not octal (`09`) is a float, as go-yaml reads it.
- `<<` is an ordinary key and timestamps (`2001-12-14`) stay as their text: JSON has no date
  and the Vault API stores text. (sops itself tags them `type:time`; its decrypted output,
  RFC 3339 text, reads back as the same string here.)
"""

from __future__ import annotations

import math
import re
from typing import Final

Scalar = None | bool | int | float | str
"""A plain YAML value as this rule set reads it."""

NULL: Final = "tag:yaml.org,2002:null"
BOOL: Final = "tag:yaml.org,2002:bool"
INT: Final = "tag:yaml.org,2002:int"
FLOAT: Final = "tag:yaml.org,2002:float"
STR: Final = "tag:yaml.org,2002:str"

_WORDS: Final[dict[str, Scalar]] = {
    "": None,
    "~": None,
    **dict.fromkeys(("null", "Null", "NULL"), None),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
_NUMERIC_START: Final = frozenset("0123456789+-.")
# Go's ParseInt with base 0: an optional sign, then a base prefix or a leading-zero octal.
_GO_INT: Final = re.compile(
    r"[-+]?(?:0[xX](?P<hex>[0-9a-fA-F]+)|0[oO](?P<oct>[0-7]+)|0[bB](?P<bin>[01]+)"
    r"|0(?P<legacy>[0-7]+)|(?P<dec>0|[1-9][0-9]*))"
)
_GO_FLOAT: Final = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT: Final = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
# Go's underscoreOK for a number without a base prefix: each `_` between two digits.
_UNDERSCORES_BETWEEN_DIGITS: Final = re.compile(r"(?:[^_]|(?<=[0-9])_(?=[0-9]))*")
_INT_MAX: Final = 2**63 - 1
_INT_MIN: Final = -(2**63)
_UINT_MAX: Final = 2**64 - 1
_BASES: Final = {"hex": 16, "oct": 8, "bin": 2, "legacy": 8, "dec": 10}


def resolve(text: str) -> Scalar:
    """The value of a plain (unquoted, untagged) scalar under the YAML 1.2 rules above."""
    if text in _WORDS:
        return _WORDS[text]
    first = text[0]
    if first not in _NUMERIC_START:
        return text
    if first == ".":
        # go-yaml hands these to ParseFloat as written, which takes `_` between digits only.
        if "_" in text and not _UNDERSCORES_BETWEEN_DIGITS.fullmatch(text):
            return text
        plain = text.replace("_", "")
        return _float(plain) if _DOT_FLOAT.fullmatch(plain) else text
    plain = text.replace("_", "")
    number = _int(plain)
    if number is not None:
        return number
    if _GO_FLOAT.fullmatch(plain):
        value = _float(plain)
        return value if isinstance(value, float) else text
    return text


def tag_of(text: str) -> str:
    """The core-schema tag a plain scalar resolves to (one of the constants above)."""
    # Only text comes back as a subclass (a ruamel string type, say): the tag is str.
    return _TAGS.get(type(resolve(text)), STR)


def construct(tag: str, text: str) -> Scalar:
    """The value of a scalar carrying a core tag, implicit or explicit (`!!int 12`).

    Raises ValueError when the text cannot have that tag; the message never quotes the text,
    which may be a secret.
    """
    if tag == NULL:
        return None
    if tag == STR:
        return text
    value = resolve(text)
    if tag == FLOAT and type(value) is int:
        return float(value)
    if _TAGS.get(type(value)) != tag:
        raise ValueError(f"a scalar tagged {tag.rsplit(':', 1)[-1]} does not read as one")
    return value


def _int(plain: str) -> int | None:
    found = _GO_INT.fullmatch(plain)
    if found is None:
        return None
    base_name = found.lastgroup or "dec"
    value = int(found[base_name], _BASES[base_name])
    if plain.startswith("-"):
        value = -value
    # ParseInt takes a sign and 64 signed bits; ParseUint, tried next, no sign and 64 bits.
    top = _INT_MAX if plain.startswith(("-", "+")) else _UINT_MAX
    if value < _INT_MIN or value > top:
        return None  # both fail: go-yaml tries a float next
    return value


def _float(text: str) -> float | str:
    value = float(text)
    # ParseFloat reports a range error for 1e999, and go-yaml then keeps the text.
    return text if math.isinf(value) else value


_TAGS: Final[dict[type, str]] = {
    type(None): NULL,
    bool: BOOL,
    int: INT,
    float: FLOAT,
    str: STR,
}


def load(text: str) -> object:
    """One YAML document as plain Python values under this rule set (for small files that
    need no line numbers: the server's YAML config, `sealkeep run --env-file`, SOPS metadata).

    Raises `yaml.YAMLError` for text that is not YAML.
    """
    import yaml  # only where a reader needs it: the rule set itself has no dependency

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):  # type: ignore[valid-type, misc]
        yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

        def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
            if kind is yaml.ScalarNode and implicit[0]:
                return tag_of(value)
            return str(super().resolve(kind, value, implicit))

    node = yaml.compose(text, Loader=_Loader)
    return None if node is None else _plain(node)


def _plain(node: object) -> object:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return {str(_plain(key)): _plain(value) for key, value in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    assert isinstance(node, yaml.ScalarNode)
    if node.tag in (NULL, BOOL, INT, FLOAT, STR):
        return construct(node.tag, node.value)
    return node.value  # another tag (`!!timestamp`, `!custom`): its text
