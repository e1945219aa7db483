"""Identity objects as stored, and their Vault wire shapes.

Each object is one JSON document in the barrier (`entity/<id>`, `alias/<id>`, `group/<id>`,
`group-alias/<id>`) with a format version, encoded and decoded explicitly here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from reconciler.store.timefmt import rfc3339nano

FORMAT_VERSION = 1
NAMESPACE_ID = "root"


@dataclass
class Entity:
    """A person or workload. Invariant: `name` is unique among entities."""

    id: str
    name: str
    policies: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    disabled: bool = False
    creation_time: float = 0.0
    last_update_time: float = 0.0


@dataclass
class Alias:
    """An entity's name in one auth mount. Invariant: one alias per (mount_accessor, name)."""

    id: str
    canonical_id: str
    mount_accessor: str
    name: str
    metadata: dict[str, str] = field(default_factory=dict)
    custom_metadata: dict[str, str] = field(default_factory=dict)
    creation_time: float = 0.0
    last_update_time: float = 0.0


@dataclass
class Group:
    """A set of entities and groups sharing policies. Invariant: names unique, no cycles."""

    id: str
    name: str
    type: Literal["internal", "external"] = "internal"
    # None until first set (OpenBao answers null, then [] once a list was given or emptied).
    policies: list[str] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    member_entity_ids: list[str] | None = None
    member_group_ids: list[str] | None = None
    creation_time: float = 0.0
    last_update_time: float = 0.0
    modify_index: int = 0


@dataclass
class GroupAlias:
    """An external group's name in one auth mount (e.g. a JWT `groups` claim value)."""

    id: str
    canonical_id: str
    mount_accessor: str
    name: str
    creation_time: float = 0.0
    last_update_time: float = 0.0


Stored = Entity | Alias | Group | GroupAlias
KINDS: dict[str, type[Stored]] = {
    "entity": Entity,
    "alias": Alias,
    "group": Group,
    "group-alias": GroupAlias,
}


def encode(obj: Stored) -> dict[str, Any]:
    """The storage document of one object."""
    return {"v": FORMAT_VERSION, "object": asdict(obj)}


def decode(kind: str, doc: dict[str, Any]) -> Stored:
    """The object of a storage document of `kind` (a key of KINDS)."""
    if doc.get("v") != FORMAT_VERSION:
        raise ValueError(f"identity {kind}: unknown format version {doc.get('v')!r}")
    return KINDS[kind](**doc["object"])


def alias_json(alias: Alias, mount_path: str, mount_type: str) -> dict[str, Any]:
    """`identity/entity-alias/id/<id>` data (also each item of an entity's `aliases`)."""
    return {
        "canonical_id": alias.canonical_id,
        "creation_time": rfc3339nano(alias.creation_time),
        "custom_metadata": dict(alias.custom_metadata),
        "id": alias.id,
        "last_update_time": rfc3339nano(alias.last_update_time),
        "local": False,
        "merged_from_canonical_ids": None,
        "metadata": dict(alias.metadata) or None,
        "mount_accessor": alias.mount_accessor,
        "mount_path": mount_path,
        "mount_type": mount_type,
        "name": alias.name,
        "namespace_id": NAMESPACE_ID,
    }


def group_alias_json(alias: GroupAlias, mount_path: str, mount_type: str) -> dict[str, Any]:
    """`identity/group-alias/id/<id>` data (and a group's `alias`)."""
    return {
        "canonical_id": alias.canonical_id,
        "creation_time": rfc3339nano(alias.creation_time),
        "custom_metadata": None,
        "id": alias.id,
        "last_update_time": rfc3339nano(alias.last_update_time),
        "local": False,
        "merged_from_canonical_ids": None,
        "metadata": None,
        "mount_accessor": alias.mount_accessor,
        "mount_path": mount_path,
        "mount_type": mount_type,
        "name": alias.name,
        "namespace_id": NAMESPACE_ID,
    }


class EntityFields:
    """The fields of an entity write; None means "leave as it is"."""

    def __init__(
        self,
        name: str = "",
        policies: Iterable[str] | None = None,
        metadata: dict[str, str] | None = None,
        disabled: bool | None = None,
    ) -> None:
        self.name = name
        self.policies = None if policies is None else list(policies)
        self.metadata = metadata
        self.disabled = disabled


class AliasFields:
    """The fields of an entity-alias write; empty means "leave as it is"."""

    def __init__(
        self,
        name: str = "",
        mount_accessor: str = "",
        canonical_id: str = "",
        custom_metadata: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.mount_accessor = mount_accessor
        self.canonical_id = canonical_id
        self.custom_metadata = custom_metadata


class GroupFields:
    """The fields of a group write; None means "leave as it is"."""

    def __init__(
        self,
        name: str = "",
        type: str = "",
        policies: Iterable[str] | None = None,
        metadata: dict[str, str] | None = None,
        member_entity_ids: Iterable[str] | None = None,
        member_group_ids: Iterable[str] | None = None,
    ) -> None:
        self.name = name
        self.type = type
        self.policies = None if policies is None else list(policies)
        self.metadata = metadata
        self.member_entity_ids = None if member_entity_ids is None else list(member_entity_ids)
        self.member_group_ids = None if member_group_ids is None else list(member_group_ids)
