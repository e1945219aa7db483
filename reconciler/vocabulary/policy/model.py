"""The parsed form of an ACL policy: `Policy` holds `PathRule`s, each granting `Capability`s."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reconciler.vocabulary.errors import SealkeepError

ParamValues = tuple[object, ...]
"""The values a parameter may (or may not) take; empty means any value."""


class Capability(enum.Flag):
    """One capability a path rule grants; combine with `|`.

    DENY is exclusive: a rule or merged entry that holds DENY holds nothing else.
    """

    NONE = 0
    CREATE = enum.auto()
    READ = enum.auto()
    UPDATE = enum.auto()
    PATCH = enum.auto()
    DELETE = enum.auto()
    LIST = enum.auto()
    SUDO = enum.auto()
    DENY = enum.auto()
    SUBSCRIBE = enum.auto()
    RECOVER = enum.auto()

    @classmethod
    def from_name(cls, name: str) -> Capability:
        """Return the capability called `name` (lower case, as policies spell it).

        Raises KeyError for an unknown name.
        """
        member = _BY_NAME.get(name)
        if member is None:
            raise KeyError(name)
        return member


# Canonical order, as Vault lists capabilities in policy text.
CAPABILITY_ORDER: tuple[Capability, ...] = (
    Capability.CREATE,
    Capability.READ,
    Capability.UPDATE,
    Capability.PATCH,
    Capability.DELETE,
    Capability.LIST,
    Capability.SUDO,
    Capability.DENY,
    Capability.SUBSCRIBE,
    Capability.RECOVER,
)
_BY_NAME: dict[str, Capability] = {str(c.name).lower(): c for c in CAPABILITY_ORDER}

ALL_GRANTS = Capability.NONE
for _cap in CAPABILITY_ORDER:
    if _cap is not Capability.DENY:
        ALL_GRANTS |= _cap


def capability_names(caps: Capability) -> list[str]:
    """Lower-case names of the capabilities in `caps`, in canonical (policy) order."""
    return [str(c.name).lower() for c in CAPABILITY_ORDER if c in caps]


def capabilities_from_names(names: Iterable[str]) -> Capability:
    """Combine capability names into a Flag; `deny` anywhere gives DENY alone.

    Raises KeyError naming the first unknown capability.
    """
    caps = Capability.NONE
    for name in names:
        caps |= Capability.from_name(name)
    return Capability.DENY if Capability.DENY in caps else caps


class PolicyParseError(SealkeepError):
    """A policy that cannot be parsed; `line`/`column` (1-based) say where, when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(f"failed to parse policy: {message}")
        self.line = line
        self.column = column


@dataclass(frozen=True)
class PathRule:
    """One `path "..." { ... }` block.

    Invariants: `path` has no leading `/` and, when `is_prefix`, no trailing `*` (the glob);
    `has_plus` is true when some segment is the `+` wildcard; `capabilities` is DENY alone when
    it holds DENY; parameter names are lower case; wrapping TTLs are seconds (0 = unset).
    `templated` is true when the path holds `{{...}}` identity templates, resolved per token.
    """

    path: str
    capabilities: Capability
    is_prefix: bool = False
    has_plus: bool = False
    # Excluded from the hash: dicts are unhashable; equality still compares them.
    allowed_parameters: Mapping[str, ParamValues] = field(default_factory=dict, hash=False)
    denied_parameters: Mapping[str, ParamValues] = field(default_factory=dict, hash=False)
    required_parameters: tuple[str, ...] = ()
    min_wrapping_ttl: int = 0
    max_wrapping_ttl: int = 0
    mfa_methods: tuple[str, ...] = ()
    subscribe_event_types: tuple[str, ...] = ()
    comment: str = ""
    templated: bool = False
    # Where the block starts in the source; not part of the rule's meaning.
    line: int | None = field(default=None, compare=False)

    @property
    def pattern(self) -> str:
        """The path as written in a policy (with the trailing `*` of a glob)."""
        return self.path + "*" if self.is_prefix else self.path


@dataclass(frozen=True)
class Policy:
    """A named ACL policy: its source text and its path rules in source order."""

    name: str
    text: str
    rules: tuple[PathRule, ...] = ()


def segment_wildcards(path: str) -> bool:
    """Whether `path` (glob already stripped) has a `+` segment wildcard, as Vault decides it."""
    return path == "+" or "/+" in path or path.startswith("+/")
