"""YAML 1.2 reading and writing, as sops (go-yaml v3) sees the data.

Every loader and the writer resolve plain scalars by the one YAML 1.2 rule set,
`reconciler.vocabulary.yaml12` (no `yes/no` bools, no base 60, no `<<` merges, timestamps kept
as text, `0777` octal as go-yaml v3 reads it); duplicate keys are rejected:

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
from ruamel.yaml.anchor import Anchor
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError as RuamelMarkedError
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from reconciler.gitops.sops import fastyaml
from reconciler.gitops.sops.errors import SopsError
from reconciler.vocabulary import yaml12

_CORE_TAGS = frozenset({yaml12.NULL, yaml12.BOOL, yaml12.INT, yaml12.FLOAT, yaml12.STR})


class _CoreResolver(VersionedResolver):
    """ruamel's resolver with plain scalars tagged by the one YAML 1.2 rule set.

    The writer asks it too: a string that would read back as something else is quoted.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            return Tag(suffix=yaml12.tag_of(value))
        return super().resolve(kind, value, implicit)


class _WrittenInt(int):
    """An int read from a file, written back exactly as it was (`0777`, `0x1F`, `1_000`)."""

    text: str
    anchor: Anchor | None = None  # `&name 5` keeps its anchor, so `*name` stays an alias


class _WrittenFloat(float):
    """A float read from a file, written back exactly as it was (`1e3`, `.5`, `.nan`)."""

    text: str
    anchor: Anchor | None = None


def _represent_written(representer: Any, data: _WrittenInt | _WrittenFloat) -> Any:
    tag = yaml12.INT if isinstance(data, int) else yaml12.FLOAT
    return representer.represent_scalar(tag, data.text, anchor=data.anchor)


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, with numbers valued by the one rule set.

    A number keeps the text it was written with, so a file read and written back changes only
    where it was edited; ruamel's own number objects are not used, as they read `0777` as 777
    and write some forms back as other numbers (`-0x1F`, `1_000.5`).
    """

    def construct_yaml_int(self, node: Any) -> Any:
        return self._number(node, _WrittenInt)

    def construct_yaml_float(self, node: Any) -> Any:
        return self._number(node, _WrittenFloat)

    def _number(self, node: Any, written: type[_WrittenInt | _WrittenFloat]) -> Any:
        text = str(node.value)
        value = yaml12.construct(str(node.tag), text)
        if yaml12.tag_of(text) != node.tag:
            return value  # `!!float 42`: the value, written the plain way
        kept = written(value)
        kept.text = text
        if node.anchor:
            kept.anchor = Anchor()
            kept.anchor.value = node.anchor
        return kept


# ruamel's constructor table holds its own functions: point the number tags at ours.
_Constructor.add_constructor(yaml12.INT, _Constructor.construct_yaml_int)
_Constructor.add_constructor(yaml12.FLOAT, _Constructor.construct_yaml_float)


class _FastLoader(yaml.CSafeLoader):
    """PyYAML's C loader with plain scalars resolved by the one YAML 1.2 rule set."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return yaml12.tag_of(value)
        return super().resolve(kind, value, implicit)

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

    def construct_core_scalar(self, node: Any) -> Any:
        return yaml12.construct(node.tag, str(self.construct_scalar(node)))


for _tag in _CORE_TAGS - {yaml12.STR}:
    _FastLoader.add_constructor(_tag, _FastLoader.construct_core_scalar)
# go-yaml keeps a timestamp as its text when decoding into interface{} (`!!timestamp` here).
_FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _FastLoader.construct_yaml_str)


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "?"


def load_fast(text: str, where: str) -> Any:
    """Parse one YAML document into plain Python data (comments dropped)."""
    docs = fastyaml.load_documents(text)
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
    handler.Constructor = _Constructor
    handler.Representer = _Representer
    handler.Representer.add_representer(_WrittenInt, _represent_written)
    handler.Representer.add_representer(_WrittenFloat, _represent_written)
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
    except ValueError:
        # `!!int abc`: the rule set's message names the tag only, never the value.
        raise SopsError(f"{where}: invalid YAML: a value tagged as a number is not one") from None
    doc = _single(docs, where)
    if not isinstance(doc, CommentedMap):
        raise SopsError(f"{where}: the document must be a mapping at the top level")
    return doc


def dump_roundtrip(data: Any) -> str:
    """Serialize a round-trip tree (or plain data) as YAML 1.2 text."""
    out = io.StringIO()
    _roundtrip().dump(data, out)
    return out.getvalue()
