"""YAML 1.2 reading and writing, as sops (go-yaml v3) sees the data.

Two loaders share one set of YAML 1.2 core-schema rules (no `yes/no` bools, no base 60, no
`<<` merges, timestamps kept as text, duplicate keys rejected):

- `load_fast`: PyYAML's C parser, for read-only decryption where comments do not matter
  (they are neither hashed nor part of the decrypted tree). It is several times faster, and
  `fastyaml` builds the common shape straight from the parser's events with the same rules.
- `load_roundtrip` / `dump_roundtrip`: ruamel.yaml, keeping key order, comments and quoting
  for every command that writes a file back.
"""

from __future__ import annotations

import io
from collections.abc import Hashable
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError as RuamelMarkedError
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers

from reconciler.gitops.sops import fastyaml
from reconciler.gitops.sops.errors import SopsError

_CORE_TAGS = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:null",
}
_V12 = (1, 2)


class _CoreResolver(VersionedResolver):
    """ruamel's resolver without merge keys and timestamps (go-yaml keeps both as text)."""

    def add_version_implicit_resolver(
        self, version: Any, tag: Any, regexp: Any, first: Any
    ) -> None:
        if tag in _CORE_TAGS:
            super().add_version_implicit_resolver(version, tag, regexp, first)


def _int_12(text: str) -> int:
    """Parse a YAML 1.2 int as ruamel does (0b, 0o, 0x, and 0777-style octal as go-yaml v3)."""
    plain = text.replace("_", "")
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    if len(digits) > 1 and digits.startswith("0") and set(digits) <= set("01234567"):
        return sign * int(digits, 8)
    return sign * int(digits)


class _FastLoader(yaml.CSafeLoader):
    """PyYAML's C loader with YAML 1.2 core rules in place of PyYAML's YAML 1.1 ones."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):  # `? [a]`: a list as a key
                raise yaml.constructor.ConstructorError(
                    None, None, "found unhashable key", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int_12(self, node: Any) -> int:
        return _int_12(str(self.construct_scalar(node)))


def _install_core_resolvers() -> None:
    for versions, tag, regexp, first in implicit_resolvers:
        if _V12 in versions and tag in _CORE_TAGS:
            _FastLoader.add_implicit_resolver(tag, regexp, first)
    _FastLoader.add_constructor("tag:yaml.org,2002:int", _FastLoader.construct_yaml_int_12)
    # go-yaml keeps a timestamp-looking value as its text when decoding into interface{}.
    _FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _FastLoader.construct_yaml_str)


_install_core_resolvers()
_SCALARS = fastyaml.ScalarRules(_FastLoader)


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "?"


def load_fast(text: str, where: str) -> Any:
    """Parse one YAML document into plain Python data (comments dropped)."""
    docs = fastyaml.load_documents(text, _SCALARS)
    if docs is not None:
        return _single(docs, where)
    return _load_full(text, where)


def _load_full(text: str, where: str) -> Any:
    """`load_fast` through PyYAML's composer and constructor: exact errors, anchors, tags."""
    try:
        docs = list(yaml.load_all(text, Loader=_FastLoader))
    except yaml.MarkedYAMLError as exc:
        # Only the position and the problem: the parser's snippet may show a secret value.
        raise SopsError(
            f"{where}: invalid YAML at {_where(exc.problem_mark)}: {exc.problem}"
        ) from None
    except yaml.YAMLError:
        raise SopsError(f"{where}: invalid YAML") from None
    except ValueError:
        # `0b_` matches the int pattern but int() rejects it; its message quotes the value.
        raise SopsError(
            f"{where}: invalid YAML: a value looks like a number but is not one"
        ) from None
    return _single(docs, where)


def _single(docs: list[Any], where: str) -> Any:
    if len(docs) != 1:
        raise SopsError(f"{where}: expected exactly one YAML document, found {len(docs)}")
    return docs[0]


class _Representer(RoundTripRepresenter):
    """ruamel's representer, double-quoting any string that holds U+0085 (NEL).

    ruamel writes a NEL raw (in plain, quoted or block style) and reads it back as a space or
    a line break; in double quotes it is written as the escape `\\N`, which every reader keeps.
    """

    def represent_scalar(self, tag: Any, value: Any, style: Any = None, anchor: Any = None) -> Any:
        if tag == "tag:yaml.org,2002:str" and "\x85" in value:
            style = '"'
        return super().represent_scalar(tag, value, style=style, anchor=anchor)


def _roundtrip() -> YAML:
    handler = YAML(typ="rt")
    handler.Resolver = _CoreResolver
    handler.Representer = _Representer
    handler.version = None
    handler.preserve_quotes = True
    handler.width = 4096
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def load_roundtrip(text: str, where: str) -> CommentedMap:
    """Parse one YAML document keeping order, comments and quoting; it must be a mapping."""
    try:
        docs = list(_roundtrip().load_all(text))
    except RuamelMarkedError as exc:
        raise SopsError(
            f"{where}: invalid YAML at {_where(exc.problem_mark)}: {exc.problem}"
        ) from None
    except RuamelError:
        raise SopsError(f"{where}: invalid YAML") from None
    doc = _single(docs, where)
    if not isinstance(doc, CommentedMap):
        raise SopsError(f"{where}: the document must be a mapping at the top level")
    return doc


def dump_roundtrip(data: Any) -> str:
    """Serialize a round-trip tree (or plain data) as YAML 1.2 text."""
    out = io.StringIO()
    _roundtrip().dump(data, out)
    return out.getvalue()
