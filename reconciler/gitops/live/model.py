"""The normalised shape both sides of a diff share: `ObjectRef`, `ObjectState`, `LiveState`.

Desired manifests and live API reads are both turned into an `ObjectState` whose `fields` hold
every managed field with the store's default filled in, so comparing two states is a plain
field-by-field comparison. Secret values live only in `Sensitive`, which never prints them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from reconciler.gitops.manifests.kinds import ObjectKey

FieldValue = str | int | float | bool | None | tuple["FieldValue", ...] | Mapping[str, "FieldValue"]
Fields = Mapping[str, FieldValue]
T = TypeVar("T")

# Dependency tiers: mounts and auth methods, then policies, then roles, then secrets.
TIER_BY_KIND: Mapping[str, int] = {
    "SecretsEngine": 0,
    "AuthMethod": 0,
    "AuditDevice": 0,
    "Policy": 1,
    "RateLimitQuota": 1,  # its path must name a mount that exists
    "AppRole": 2,
    "JWTRole": 2,
    "KubernetesRole": 2,
    "AwsAuthRole": 2,
    "DatabaseConnection": 2,
    "TransitKey": 2,  # its transit mount must exist
    "Secret": 3,
    "DatabaseRole": 3,
    "DatabaseStaticRole": 3,
}


class Sensitive(Generic[T]):
    """A value that must never be shown: `str()` and `repr()` print `(sensitive)`."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        """The wrapped value; only writers and fingerprinting call this."""
        return self._value

    def __repr__(self) -> str:
        return "(sensitive)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sensitive) and self._value == other._value

    def __hash__(self) -> int:
        return hash("sensitive")


@dataclass(frozen=True, order=True)
class ObjectRef:
    """One object in the store: its manifest kind and name, and the API path naming it.

    Invariant: `address` is the Vault API path that reads the object (no `/v1/`, no leading
    slash); for an unmanaged live object `name` is derived from the address.
    """

    kind: str
    name: str
    address: str

    @property
    def key(self) -> ObjectKey:
        """(kind, name), as the desired state keys it."""
        return ObjectKey(self.kind, self.name)

    @property
    def tier(self) -> int:
        """Dependency tier: lower tiers are created first and deleted last."""
        return TIER_BY_KIND.get(self.kind, 3)

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class ObjectState:
    """An object normalised for diffing: every managed field, defaults filled in.

    `secret` holds the values that must never be shown (a Secret's data, a connection
    password): a mapping of key -> value, fingerprinted but never rendered.
    """

    ref: ObjectRef
    fields: Fields
    secret: Sensitive[Fields] | None = None

    def secret_values(self) -> Fields:
        """The sensitive mapping (empty when the kind has none)."""
        return self.secret.reveal() if self.secret is not None else {}


def canonical_json(value: object) -> str:
    """Compact JSON with sorted keys; tuples as lists. The input to every fingerprint."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Fingerprinter:
    """HMAC-SHA256 with the store's fingerprint key: equal inputs give equal fingerprints.

    The key lives in the store, so fingerprints in a plan reveal nothing to someone without
    read access to it; `ephemeral` is True when the key could not be read or created.
    """

    key: bytes = field(repr=False)
    ephemeral: bool = False

    def value(self, value: FieldValue) -> str:
        """The fingerprint of one secret value: `hmac:` and 16 hex digits."""
        digest = hmac.new(self.key, canonical_json(value).encode(), hashlib.sha256)
        return "hmac:" + digest.hexdigest()[:16]

    def state(self, state: ObjectState) -> str:
        """The fingerprint of a whole object: kind, address, fields and secret values."""
        body = {
            "kind": state.ref.kind,
            "address": state.ref.address,
            "fields": state.fields,
            "secret": state.secret_values(),
        }
        digest = hmac.new(self.key, canonical_json(body).encode(), hashlib.sha256)
        return "hmac:" + digest.hexdigest()[:32]


@dataclass(frozen=True)
class LiveState:
    """What the store holds for the objects the reconciler looked at.

    `objects` maps an address to its state (absent address: the object does not exist);
    `unmanaged` lists live objects found by listing that are neither desired nor managed.
    """

    objects: Mapping[str, ObjectState]
    listed: tuple[ObjectRef, ...] = ()

    def get(self, address: str) -> ObjectState | None:
        """The live state at `address`, or None when nothing is there."""
        return self.objects.get(address)

    def __iter__(self) -> Iterator[ObjectState]:
        return iter(self.objects.values())

    def __len__(self) -> int:
        return len(self.objects)
