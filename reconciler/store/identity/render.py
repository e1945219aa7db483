"""The wire shapes of entities and groups as OpenBao answers them (`namespace_id` "root")."""

from __future__ import annotations

from typing import Any

from reconciler.store.identity.model import (
    NAMESPACE_ID,
    Alias,
    Entity,
    Group,
    GroupAlias,
    alias_json,
    group_alias_json,
)
from reconciler.store.identity.store import IdentityStore
from reconciler.store.timefmt import rfc3339nano


def alias_data(store: IdentityStore, alias: Alias) -> dict[str, Any]:
    """An entity alias with its mount's path and type."""
    path, kind = store.resolve_mount(alias.mount_accessor) or ("", "")
    return alias_json(alias, path, kind)


def group_alias_data(store: IdentityStore, alias: GroupAlias) -> dict[str, Any]:
    """A group alias with its mount's path and type."""
    path, kind = store.resolve_mount(alias.mount_accessor) or ("", "")
    return group_alias_json(alias, path, kind)


def entity_data(store: IdentityStore, entity: Entity) -> dict[str, Any]:
    """`identity/entity/id/<id>` data."""
    direct, inherited = store.group_ids(entity.id)
    return {
        # OpenBao leaves namespace_id out of the aliases listed in an entity.
        "aliases": [
            {k: v for k, v in alias_data(store, a).items() if k != "namespace_id"}
            for a in store.aliases_of(entity.id)
        ],
        "creation_time": rfc3339nano(entity.creation_time),
        "direct_group_ids": direct,
        "disabled": entity.disabled,
        "group_ids": [*direct, *inherited],
        "id": entity.id,
        "inherited_group_ids": inherited,
        "last_update_time": rfc3339nano(entity.last_update_time),
        "merged_entity_ids": None,
        "metadata": dict(entity.metadata) or None,
        "name": entity.name,
        "namespace_id": NAMESPACE_ID,
        "policies": list(entity.policies),
    }


def group_data(store: IdentityStore, group: Group) -> dict[str, Any]:
    """`identity/group/id/<id>` data."""
    alias = store.group_alias_of(group.id)
    return {
        "alias": {} if alias is None else _embedded(group_alias_data(store, alias)),
        "creation_time": rfc3339nano(group.creation_time),
        "id": group.id,
        "last_update_time": rfc3339nano(group.last_update_time),
        "member_entity_ids": group.member_entity_ids,
        "member_group_ids": group.member_group_ids,
        "metadata": dict(group.metadata) or None,
        "modify_index": group.modify_index,
        "name": group.name,
        "namespace_id": NAMESPACE_ID,
        "parent_group_ids": store.parent_group_ids(group.id) or None,
        "policies": group.policies,
        "type": group.type,
    }


def _embedded(alias: dict[str, Any]) -> dict[str, Any]:
    """A group alias as OpenBao shows it inside its group: fewer keys than on its own."""
    hidden = ("namespace_id", "custom_metadata", "local")
    return {k: v for k, v in alias.items() if k not in hidden}


def entity_key_info(store: IdentityStore) -> dict[str, Any]:
    """LIST identity/entity/id: each entity's name, and its aliases when it has any."""
    by_entity: dict[str, list[Alias]] = {}
    for alias in sorted(store.aliases.values(), key=lambda a: a.creation_time):
        by_entity.setdefault(alias.canonical_id, []).append(alias)
    info: dict[str, Any] = {}
    for entity in store.entities.values():
        item: dict[str, Any] = {"name": entity.name}
        aliases = by_entity.get(entity.id)
        if aliases:
            keep = ("id", "mount_accessor", "mount_path", "mount_type", "name")
            item["aliases"] = [
                {k: v for k, v in alias_data(store, a).items() if k in keep} for a in aliases
            ]
        info[entity.id] = item
    return info


def group_key_info(store: IdentityStore) -> dict[str, Any]:
    """LIST identity/group/id: name, member and parent counts."""
    return {
        g.id: {
            "name": g.name,
            "num_member_entities": len(g.member_entity_ids or ()),
            "num_parent_groups": len(store.parent_group_ids(g.id)),
        }
        for g in store.groups.values()
    }


def alias_key_info(store: IdentityStore) -> dict[str, Any]:
    """LIST identity/entity-alias/id: each alias without its times and ids."""
    info: dict[str, Any] = {}
    for alias in store.aliases.values():
        data = alias_data(store, alias)
        keep = ("canonical_id", "custom_metadata", "metadata", "mount_accessor", "mount_path")
        info[alias.id] = {k: data[k] for k in (*keep, "mount_type", "name")} | {"local": False}
    return info
