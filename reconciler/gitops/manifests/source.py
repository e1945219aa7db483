"""Read YAML documents with the source position of every node.

Plain scalars mean what `reconciler.vocabulary.yaml12` says (YAML 1.2 as sops and go-yaml v3
read it): `yes`/`no`/`on` are strings, `0777` is octal and `<<` is an ordinary key. The libyaml
composer does the parsing when it is available; the node tree is then turned into plain Python
values while the start mark of every key and value is recorded against its JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.vocabulary import yaml12

JsonPath = tuple[str | int, ...]
"""A path from a document's root: map keys as strings, list indexes as ints."""

YamlValue = None | bool | int | float | str | list["YamlValue"] | dict[str, "YamlValue"]
"""A plain value read from YAML (JSON-shaped)."""

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE_TAGS = frozenset({yaml12.NULL, yaml12.BOOL, yaml12.INT, yaml12.FLOAT, yaml12.STR})


class _Yaml12Loader(_BaseLoader):  # type: ignore[valid-type, misc]
    """A composer whose plain scalars get their tags from the one YAML 1.2 rule set."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return yaml12.tag_of(value)
        return str(super().resolve(kind, value, implicit))


@dataclass(frozen=True, order=True)
class Span:
    """A position in a file: `path` is POSIX and relative to the repo root; line/column 1-based."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """A structural problem found while reading (duplicate key, non-scalar key)."""

    json_path: JsonPath
    span: Span
    message: str


@dataclass(frozen=True)
class Document:
    """One YAML document: its value and the span of every value and every mapping key.

    `spans` and `key_spans` are keyed by JSON path; the root value's path is `()`.
    """

    value: YamlValue
    start: Span
    spans: Mapping[JsonPath, Span]
    key_spans: Mapping[JsonPath, Span]
    problems: tuple[Problem, ...] = ()

    def value_span(self, path: JsonPath) -> Span:
        """The span of the value at `path`, or of its nearest ancestor that has one."""
        return _nearest(self.spans, path, self.start)

    def locate(self, path: JsonPath, *, at_key: bool = False) -> Span:
        """`key_span` when `at_key`, else `value_span`."""
        return self.key_span(path) if at_key else self.value_span(path)

    def key_span(self, path: JsonPath) -> Span:
        """The span of the key that holds `path`; falls back to the value, then its ancestors."""
        for depth in range(len(path), 0, -1):
            span = self.key_spans.get(path[:depth]) or self.spans.get(path[:depth])
            if span is not None:
                return span
        return self.start


@dataclass(frozen=True)
class ParsedFile:
    """The documents read from one file, and the syntax error that stopped reading, if any."""

    documents: tuple[Document, ...]
    error: Problem | None = None


@dataclass
class _Builder:
    path: str
    spans: dict[JsonPath, Span] = field(default_factory=dict)
    key_spans: dict[JsonPath, Span] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def span(self, node: Node) -> Span:
        return Span(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: Node, path: JsonPath) -> YamlValue:
        self.spans[path] = self.span(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            return _scalar(node)
        except ValueError as exc:  # `!!int abc`: the message names the tag, not the value
            self.problems.append(Problem(path, self.span(node), str(exc)))
            return str(node.value)

    def _mapping(self, node: MappingNode, path: JsonPath) -> dict[str, YamlValue]:
        out: dict[str, YamlValue] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problems.append(Problem(path, self.span(key_node), "keys must be scalars"))
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in out:
                message = f"duplicate key '{key}'"
                self.problems.append(Problem(child, self.span(key_node), message))
                continue
            self.key_spans[child] = self.span(key_node)
            out[key] = self.convert(value_node, child)
        return out


def _scalar(node: ScalarNode) -> YamlValue:
    text: str = node.value
    if node.tag in _CORE_TAGS:
        return yaml12.construct(node.tag, text)
    return text  # another tag (`!!timestamp`, `!custom`): its text


def _nearest(spans: Mapping[JsonPath, Span], path: JsonPath, default: Span) -> Span:
    for depth in range(len(path), -1, -1):
        span = spans.get(path[:depth])
        if span is not None:
            return span
    return default


def _nodes(text: str) -> Iterator[Node]:
    loader = _Yaml12Loader(text)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()


def parse_yaml(text: str, path: str) -> ParsedFile:
    """Read every document of `text`; a syntax error ends reading but keeps earlier documents.

    `path` is the file name recorded in spans (relative to the repo root).
    """
    documents: list[Document] = []
    try:
        for node in _nodes(text):
            builder = _Builder(path)
            value = builder.convert(node, ())
            start = builder.span(node)
            documents.append(
                Document(value, start, builder.spans, builder.key_spans, tuple(builder.problems))
            )
    except yaml.MarkedYAMLError as exc:
        return ParsedFile(tuple(documents), _syntax_problem(exc, path))
    except yaml.YAMLError as exc:
        return ParsedFile(tuple(documents), Problem((), Span(path, 1, 1), f"invalid YAML: {exc}"))
    return ParsedFile(tuple(documents))


def _syntax_problem(exc: yaml.MarkedYAMLError, path: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    detail = exc.problem or exc.context or "syntax error"
    if exc.context and exc.problem:
        detail = f"{exc.problem} ({exc.context})"
    return Problem((), Span(path, line, column), f"YAML syntax error: {detail}")
