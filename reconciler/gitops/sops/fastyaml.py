"""A faster way to the same plain data as `yamlio.load_fast`, for the common manifest shape.

`load_fast` lets libyaml compose a node graph, resolving each scalar through a Python call,
then walks that graph again in Python to construct the data. Here the data is built straight
from libyaml's events, and each plain scalar is resolved by `reconciler.vocabulary.yaml12`, the
one rule set `yamlio._FastLoader` uses too, so the result is the same by construction.

Anything out of the ordinary returns None and the caller uses the full loader: an anchor, an
alias, an explicit tag, a collection used as a key, a duplicate key, a parse error, or a
number the constructors cannot read. The full loader then produces the exact value or the
exact error message it always did.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.cyaml import CParser
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from reconciler.vocabulary import yaml12

_NO_KEY = object()  # a mapping that waits for its next key
_IN_LIST = object()  # a sequence (it has no keys)


class _Unusual(Exception):
    """The text needs the full loader (it also raises the exact error for bad input)."""


def _build(event: ScalarEvent) -> Any:
    """The Python value of one untagged scalar event."""
    if not event.implicit[0]:  # quoted or block scalar: always a string
        return event.value
    return yaml12.resolve(event.value)


def load_documents(text: str) -> list[Any] | None:
    """Every document of `text` as plain data, or None when the full loader must decide."""
    parser = CParser(text)
    try:
        return _documents(parser)
    except (_Unusual, yaml.YAMLError, ValueError):
        return None
    finally:
        parser.dispose()


def _documents(parser: CParser) -> list[Any]:
    docs: list[Any] = []
    # Open collections, innermost last, and for each the key a mapping waits to fill.
    stack: list[Any] = []
    keys: list[Any] = []
    build, next_event = _build, parser.get_event
    while True:
        event = next_event()
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Unusual
            value = build(event)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            keys.pop()
            value = stack.pop()
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            _open(stack, keys, event)
            continue
        elif kind is StreamEndEvent:
            return docs
        elif kind is AliasEvent:
            raise _Unusual
        else:
            continue  # stream and document boundaries
        if not stack:
            docs.append(value)
        elif keys[-1] is _IN_LIST:
            stack[-1].append(value)
        else:
            _fill(stack[-1], keys, value)


def _open(stack: list[Any], keys: list[Any], event: CollectionStartEvent) -> None:
    if event.anchor is not None or event.tag is not None:
        raise _Unusual
    if stack and keys[-1] is _NO_KEY:
        raise _Unusual  # a mapping or sequence used as a key
    is_map = type(event) is MappingStartEvent
    stack.append({} if is_map else [])
    keys.append(_NO_KEY if is_map else _IN_LIST)


def _fill(mapping: dict[Any, Any], keys: list[Any], value: Any) -> None:
    """Take `value` as the mapping's next key, or as the value of the key it waits to fill."""
    if keys[-1] is _NO_KEY:
        if value in mapping:
            raise _Unusual  # a duplicate key: the full loader reports it with its position
        keys[-1] = value
    else:
        mapping[keys[-1]] = value
        keys[-1] = _NO_KEY
