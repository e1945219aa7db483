"""`audit query`: stream entries out of audit files that match a filter.

Files are read line by line, so they may be larger than memory. Token and accessor filters
take the values as they appear in the log (HMACs from `sys/audit-hash`, or raw accessors when
the device had `hmac_accessor=false`); lines that cannot contain them are skipped before any
JSON is parsed.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any, Literal

from reconciler.vocabulary.durations import parse_duration

Outcome = Literal["ok", "error"]
EntryType = Literal["request", "response"]

_RELATIVE = re.compile(
    r"^\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d))*$"
)


def parse_when(text: str, now: float) -> float:
    """A unix time from RFC3339 (`2024-05-01T12:00:00Z`, a date) or an age (`24h`, `7d`).

    Raises ValueError naming the text when it is neither.
    """
    value = text.strip()
    if _RELATIVE.match(value):
        return now - parse_duration(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"invalid time {text!r}: use RFC3339 (2024-05-01T12:00:00Z) or an age such as 24h"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def entry_time(entry: dict[str, Any]) -> float | None:
    """The unix time of an entry's RFC3339Nano `time`, or None when missing or invalid."""
    raw = entry.get("time")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class QueryFilter:
    """What to keep. Empty tuples and None mean "any"; within a tuple, any value matches.

    `tokens` match client tokens, `accessors` match accessors, `hmacs` match either; all are
    compared with the logged (usually hashed) values.
    """

    paths: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    accessors: tuple[str, ...] = ()
    hmacs: tuple[str, ...] = ()
    display_names: tuple[str, ...] = ()
    remote_addresses: tuple[str, ...] = ()
    outcome: Outcome | None = None
    since: float | None = None
    until: float | None = None
    entry_type: EntryType | None = None

    def needles(self) -> list[bytes]:
        """Byte strings of which a matching line must contain one (empty: no prefilter)."""
        if not (self.tokens or self.accessors or self.hmacs):
            return []
        return [value.encode() for value in (*self.tokens, *self.accessors, *self.hmacs)]


def _section(entry: dict[str, Any], name: str) -> dict[str, Any]:
    value = entry.get(name)
    return value if isinstance(value, dict) else {}


def _identity_values(entry: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(client tokens, accessors) anywhere in the entry."""
    auth, req = _section(entry, "auth"), _section(entry, "request")
    issued = _section(_section(entry, "response"), "auth")
    tokens = {auth.get("client_token"), req.get("client_token"), issued.get("client_token")}
    accessors = {auth.get("accessor"), req.get("client_token_accessor"), issued.get("accessor")}
    return {t for t in tokens if t}, {a for a in accessors if a}


def _address_matches(address: str, wanted: Iterable[str]) -> bool:
    for pattern in wanted:
        if "/" not in pattern:
            if address == pattern:
                return True
            continue
        try:
            if ipaddress.ip_address(address) in ipaddress.ip_network(pattern, strict=False):
                return True
        except ValueError:
            continue
    return False


def _who_matches(entry: dict[str, Any], flt: QueryFilter) -> bool:
    if not (flt.tokens or flt.accessors or flt.hmacs or flt.display_names):
        return True
    tokens, accessors = _identity_values(entry)
    if flt.tokens and not tokens.intersection(flt.tokens):
        return False
    if flt.accessors and not accessors.intersection(flt.accessors):
        return False
    if flt.hmacs and not (tokens | accessors).intersection(flt.hmacs):
        return False
    if flt.display_names:
        name = str(_section(entry, "auth").get("display_name", ""))
        return any(fnmatchcase(name, pattern) for pattern in flt.display_names)
    return True


def matches(entry: dict[str, Any], flt: QueryFilter) -> bool:
    """True when `entry` passes every part of `flt`."""
    req = _section(entry, "request")
    if flt.entry_type and entry.get("type") != flt.entry_type:
        return False
    if flt.operations and req.get("operation") not in flt.operations:
        return False
    if flt.paths and not any(fnmatchcase(str(req.get("path", "")), p) for p in flt.paths):
        return False
    if flt.outcome and ("error" if entry.get("error") else "ok") != flt.outcome:
        return False
    address = str(req.get("remote_address", ""))
    if flt.remote_addresses and not _address_matches(address, flt.remote_addresses):
        return False
    if flt.since is not None or flt.until is not None:
        moment = entry_time(entry)
        if moment is None:
            return False
        if flt.since is not None and moment < flt.since:
            return False
        if flt.until is not None and moment > flt.until:
            return False
    return _who_matches(entry, flt)


def _decode(line: bytes) -> dict[str, Any] | None:
    start = line.find(b"{")  # skips a device `prefix`
    if start < 0:
        return None
    try:
        entry = json.loads(line[start:])
    except ValueError:
        return None  # a partial last line after a crash
    return entry if isinstance(entry, dict) else None


def query(paths: Iterable[str], flt: QueryFilter) -> Iterator[dict[str, Any]]:
    """Matching entries from `paths`, in file order, one line in memory at a time."""
    needles = flt.needles()
    for path in paths:
        with open(path, "rb", buffering=1 << 20) as handle:
            for line in handle:
                if needles and not any(needle in line for needle in needles):
                    continue
                entry = _decode(line)
                if entry is not None and matches(entry, flt):
                    yield entry


@dataclass(frozen=True)
class Row:
    """One entry summarised for a table: who did what, where, when, with what outcome."""

    time: str
    type: str
    operation: str
    path: str
    display_name: str
    accessor: str
    remote_address: str
    outcome: str


def summarize(entry: dict[str, Any]) -> Row:
    """The table row for `entry`; errors show their first line."""
    auth, req = _section(entry, "auth"), _section(entry, "request")
    error = str(entry.get("error") or "")
    return Row(
        time=str(entry.get("time", "")),
        type=str(entry.get("type", "")),
        operation=str(req.get("operation", "")),
        path=str(req.get("path", "")),
        display_name=str(auth.get("display_name", "")),
        accessor=str(auth.get("accessor", "")),
        remote_address=str(req.get("remote_address", "")),
        outcome="ok" if not error else "error: " + error.strip().splitlines()[-1].strip("\t* "),
    )
