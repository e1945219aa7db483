"""Field normalisers shared by the desired and live sides, so both land in one shape.

Each managed field of a kind is declared once as `(default, normaliser)`; `project` turns a
raw mapping (a manifest's payload or an API read) into the normalised field mapping.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.gitops.live.model import FieldValue
from reconciler.gitops.live.payloads import TokenPayload
from reconciler.gitops.manifests.kinds import TokenSettings

Normaliser = Callable[[Any], FieldValue]
FieldTable = Mapping[str, tuple[FieldValue, Normaliser]]


def as_int(value: Any) -> FieldValue:
    """Integers (durations in seconds, counts); None and '' as 0."""
    return int(value or 0)


def as_str(value: Any) -> FieldValue:
    """Strings; None as ''."""
    return "" if value is None else str(value)


def as_bool(value: Any) -> FieldValue:
    """Booleans as given (the default fills None)."""
    return bool(value)


def as_strs(value: Any) -> FieldValue:
    """A list of strings, in order; a comma-separated string is split as Vault does."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    return tuple(str(v) for v in value)


def as_policy_names(value: Any) -> FieldValue:
    """Policy names as Vault keeps them: trimmed, lower case, de-duplicated, sorted."""
    names = as_strs(value)
    assert isinstance(names, tuple)
    return tuple(sorted({str(n).strip().lower() for n in names if str(n).strip()}))


def as_cidrs(value: Any) -> FieldValue:
    """CIDR blocks in canonical form (`10.1.2.3` is `10.1.2.3/32`)."""
    out = []
    for item in as_strs(value) or ():
        try:
            out.append(str(ipaddress.ip_network(str(item), strict=False)))
        except ValueError:
            out.append(str(item))
    return tuple(out)


def as_str_map(value: Any) -> FieldValue:
    """A mapping of strings to strings."""
    return {str(k): str(v) for k, v in (value or {}).items()}


def as_claims(value: Any) -> FieldValue:
    """Bound claims: each value a string or a list of strings."""
    out: dict[str, FieldValue] = {}
    for key, item in (value or {}).items():
        out[str(key)] = str(item) if isinstance(item, str) else tuple(str(v) for v in item)
    return out


def project(raw: Mapping[str, Any], table: FieldTable) -> dict[str, FieldValue]:
    """Every field of `table`, from `raw` where present and not None, else its default."""
    out: dict[str, FieldValue] = {}
    for name, (default, normalise) in table.items():
        value = raw.get(name)
        out[name] = normalise(default if value is None else value)
    return out


TOKEN_TABLE: FieldTable = {
    "token_policies": ((), as_policy_names),
    "token_ttl": (0, as_int),
    "token_max_ttl": (0, as_int),
    "token_explicit_max_ttl": (0, as_int),
    "token_period": (0, as_int),
    "token_num_uses": (0, as_int),
    "token_bound_cidrs": ((), as_cidrs),
    "token_no_default_policy": (False, as_bool),
    "token_type": ("default", as_str),
}


def token_payload(token: TokenSettings) -> TokenPayload:
    """The `token_*` request fields of a manifest's token settings (None: unset)."""
    return {
        "token_policies": token.policies,
        "token_ttl": token.ttl,
        "token_max_ttl": token.max_ttl,
        "token_explicit_max_ttl": token.explicit_max_ttl,
        "token_period": token.period,
        "token_num_uses": token.num_uses,
        "token_bound_cidrs": token.bound_cidrs,
        "token_no_default_policy": token.no_default_policy,
        "token_type": token.type,
    }


def plain(value: FieldValue) -> Any:
    """A normalised value as JSON-ready data (tuples as lists), for request bodies."""
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


def frozen(value: Any) -> FieldValue:
    """JSON data (from a plan file) back to a normalised value (lists as tuples)."""
    if isinstance(value, list):
        return tuple(frozen(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): frozen(v) for k, v in value.items()}
    return value  # type: ignore[no-any-return]
