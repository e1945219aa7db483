"""What client functions return: the full response for JSON output and the part a table shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class Result:
    """A server answer. `raw` is the whole response JSON; `data` the mapping a table shows."""

    raw: JSONDict
    data: JSONDict = field(default_factory=dict)


@dataclass(frozen=True)
class Listing:
    """A LIST answer: `keys` in the server's order; `raw` the whole response JSON."""

    raw: JSONDict
    keys: list[str]


def as_json(response: object) -> JSONDict:
    """hvac answers a dict for JSON bodies and a `requests.Response` for 204: normalise to dict."""
    if isinstance(response, dict):
        return response
    # A requests.Response, told by its shape: importing requests here would slow every CLI run.
    if hasattr(response, "json") and getattr(response, "content", None):
        body = response.json()
        return body if isinstance(body, dict) else {"data": body}
    return {}


def result_of(response: object, part: str = "data") -> Result:
    """A `Result` whose table shows `response[part]` (empty when absent or null)."""
    raw = as_json(response)
    shown = raw.get(part)
    return Result(raw=raw, data=dict(shown) if isinstance(shown, dict) else {})


def listing_of(response: object) -> Listing:
    """A `Listing` from a LIST response (`data.keys`)."""
    raw = as_json(response)
    data = raw.get("data") or {}
    return Listing(raw=raw, keys=[str(k) for k in data.get("keys") or []])
