"""HMAC-SHA256 of sensitive audit fields, as Vault's audit salt does (§10.3).

Each device has its own salt (a UUID string kept in the barrier); a value is logged as
`hmac-sha256:<hex>` so an operator who knows a token can find it with `sys/audit-hash`, while
the log itself never holds the secret.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.store.framework import parse_bool
from reconciler.store.timefmt import rfc3339nano

HMAC_PREFIX = "hmac-sha256:"


class Hasher:
    """HMAC-SHA256 keyed by one device's salt. Invariant: the salt never leaves this object."""

    __slots__ = ("_key", "_recent")

    # One request's entries hash the same token and accessor four times; remembering the
    # last few results saves those HMACs while keeping no more than a request's worth of
    # values (which are in memory for the request anyway).
    RECENT = 8

    def __init__(self, salt: str) -> None:
        self._key = salt.encode()
        self._recent: dict[str, str] = {}

    def __repr__(self) -> str:
        return "Hasher((sensitive))"

    def hash(self, value: str) -> str:
        """`hmac-sha256:<hex>` of the UTF-8 bytes of `value`."""
        known = self._recent.get(value)
        if known is not None:
            return known
        digest = HMAC_PREFIX + hmac.digest(self._key, value.encode(), "sha256").hex()
        if len(self._recent) >= self.RECENT:
            self._recent.clear()
        self._recent[value] = digest
        return digest


@dataclass(frozen=True)
class HashConfig:
    """A device's hashing options, parsed from its string options.

    `log_raw` disables hashing entirely; `hmac_accessor` (default true) hashes accessors;
    `elide_list_responses` replaces list results by their count.
    """

    hmac_accessor: bool = True
    log_raw: bool = False
    elide_list_responses: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> HashConfig:
        """Parse Vault's option strings; raises ValueError naming a bad option."""
        return cls(
            hmac_accessor=_flag(options, "hmac_accessor", True),
            log_raw=_flag(options, "log_raw", False),
            elide_list_responses=_flag(options, "elide_list_responses", False),
        )


def _flag(options: Mapping[str, str], name: str, default: bool) -> bool:
    raw = options.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse_bool(raw)
    except ValueError as exc:
        raise ValueError(f'invalid value for option "{name}": {raw!r}') from exc


class FieldHasher:
    """Applies one device's rules to individual fields of an entry."""

    def __init__(self, hasher: Hasher, config: HashConfig) -> None:
        self.hasher = hasher
        self.config = config

    def token(self, value: str) -> str:
        """A token (client_token, wrap token): hashed unless log_raw; empty stays empty."""
        if not value or self.config.log_raw:
            return value
        return self.hasher.hash(value)

    def accessor(self, value: str) -> str:
        """An accessor: hashed only when `hmac_accessor` is set (and not log_raw)."""
        if not self.config.hmac_accessor:
            return value
        return self.token(value)

    def data(self, value: Mapping[str, Any], non_hmac_keys: Collection[str] = ()) -> Any:
        """Request or response data: every string hashed, recursively; keys kept.

        Top-level keys named in `non_hmac_keys` (a mount's audit_non_hmac_*_keys) pass through.
        """
        if self.config.log_raw:
            return hash_structure(value, None)
        return {
            str(key): (
                hash_structure(item, None)
                if key in non_hmac_keys
                else hash_structure(item, self.hasher)
            )
            for key, item in value.items()
        }


def hash_structure(value: Any, hasher: Hasher | None) -> Any:
    """A JSON-safe copy of `value` with every string hashed (when `hasher` is given).

    Map keys are never hashed; numbers, bools and null pass through; times are rendered
    RFC3339Nano first, as Vault does, so that hashing is deterministic.
    """
    if isinstance(value, str):
        return hasher.hash(value) if hasher is not None else value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): hash_structure(v, hasher) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [hash_structure(item, hasher) for item in value]
    if isinstance(value, datetime):
        return hash_structure(rfc3339nano(value.timestamp()), hasher)
    if isinstance(value, bytes):
        return hash_structure(value.decode("utf-8", "replace"), hasher)
    # Anything else is rendered as text so the entry stays valid JSON; the text is hashed
    # like any string, so an unusual type cannot leak a secret in clear.
    return hash_structure(str(value), hasher)


def elide_list_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Vault's elide_list_responses: `keys` and `key_info` become their counts."""
    out = dict(data)
    keys = out.get("keys")
    if isinstance(keys, list):
        out["keys"] = len(keys)
    info = out.get("key_info")
    if isinstance(info, Mapping):
        out["key_info"] = len(info)
    return out
