"""Strict JSON request bodies: what Go's encoding/json (so Vault) accepts, and no more.

Python's `json` accepts `NaN`, `Infinity` and `1e999` (as inf), escaped lone surrogates
(`"\\ud800"`, which no UTF-8 audit device can write), and nests until it raises
RecursionError. Each is refused here as a 400 before the request reaches the store.
"""

from __future__ import annotations

import json
import math
from typing import Any

# As Vault's listener `max_json_depth` default (1.18+).
MAX_JSON_DEPTH = 300


class BadJSON(ValueError):
    """A body that is not acceptable JSON; the message says why (never the value)."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJSON(f"number out of range: {text[:32]}")
    return value


def _constant(name: str) -> Any:
    raise BadJSON(f"invalid JSON value {name}")


def decode_json(body: bytes) -> Any:
    """Parse `body` strictly; raise BadJSON (a ValueError) with a short reason."""
    try:
        data = json.loads(body, parse_float=_finite, parse_constant=_constant)
    except RecursionError:
        raise BadJSON(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except BadJSON:
        raise
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, over-long integers
        raise BadJSON(exc.__class__.__name__) from None
    check_tree(data)
    return data


def check_tree(data: Any) -> None:
    """Refuse nesting past MAX_JSON_DEPTH and strings that are not valid Unicode text."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _check_text(node)
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise BadJSON(f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            for key, value in node.items():
                _check_text(key)
                stack.append((value, depth + 1))
        else:
            stack.extend((item, depth + 1) for item in node)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJSON("invalid Unicode: a string holds a lone surrogate") from None
