"""The identity store: every entity, alias and group in memory, written through to storage.

The ACL check asks `identity_policies(entity_id)` on every request, so the answer comes from
a cache of resolved policies (entity's own, its groups' and their ancestors') that any
identity write drops whole: a change of membership applies to the next request at once, and
no request scans storage.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable

from reconciler.store.errors import (
    BadRequest,
    InternalError,
    PermissionDenied,
    StoreError,
    multierror,
)
from reconciler.store.identity.model import (
    KINDS,
    Alias,
    AliasFields,
    Entity,
    EntityFields,
    Group,
    GroupAlias,
    GroupFields,
    Stored,
    decode,
    encode,
)
from reconciler.store.ids import new_uuid
from reconciler.store.storage.view import StorageView
from reconciler.store.timefmt import now

# accessor -> (mount path such as "auth/approle/", mount type), or None when not mounted
MountResolver = Callable[[str], tuple[str, str] | None]


class EntityDisabled(PermissionDenied):
    """403 for a login or a token of a disabled entity (OpenBao's plain wording)."""

    def __init__(self) -> None:
        StoreError.__init__(self, "permission denied")


class IdentityStore:
    """Entities, aliases and groups. Invariants: names and (accessor, alias name) unique;
    every alias points at an existing entity; group membership has no cycle."""

    def __init__(self, storage: StorageView, resolve_mount: MountResolver) -> None:
        self.storage = storage
        self.resolve_mount = resolve_mount
        self.entities: dict[str, Entity] = {}
        self.aliases: dict[str, Alias] = {}
        self.groups: dict[str, Group] = {}
        self.group_aliases: dict[str, GroupAlias] = {}
        self._lock = threading.RLock()
        self._policies: dict[str, tuple[str, ...]] = {}
        self._group_ids: dict[str, tuple[list[str], list[str]]] = {}
        self._alias_index: dict[tuple[str, str], str] | None = None

    # -- loading and saving ----------------------------------------------------------------

    def load(self, legacy: StorageView | None = None) -> None:
        """Read every object; adopt the bare alias->entity map older stores kept."""
        tables: dict[str, dict[str, Stored]] = {
            "entity": self.entities,  # type: ignore[dict-item]
            "alias": self.aliases,  # type: ignore[dict-item]
            "group": self.groups,  # type: ignore[dict-item]
            "group-alias": self.group_aliases,  # type: ignore[dict-item]
        }
        for kind, table in tables.items():
            for key in self.storage.list(f"{kind}/"):
                doc = self.storage.get_json(f"{kind}/{key}")
                if doc is not None:
                    obj = decode(kind, doc)
                    table[obj.id] = obj
        if legacy is not None:
            self._adopt_legacy(legacy)
        self._changed()

    def _adopt_legacy(self, legacy: StorageView) -> None:
        for accessor in legacy.list("alias/"):
            accessor = accessor.rstrip("/")
            for key in legacy.list(f"alias/{accessor}/"):
                raw = legacy.get(f"alias/{accessor}/{key}")
                name = key.replace("%2F", "/")
                if raw is None or self.find_alias(accessor, name) is not None:
                    continue
                entity_id = raw.decode()
                if entity_id not in self.entities:
                    self._save(self._new_entity(entity_id, self._generated("entity")))
                self._save(self._new_alias(entity_id, accessor, name))

    def _save(self, obj: Stored) -> None:
        kind = next(k for k, cls in KINDS.items() if isinstance(obj, cls))
        self.storage.put_json(f"{kind}/{obj.id}", encode(obj))
        table = self._table(kind)
        table[obj.id] = obj
        self._changed()

    def _delete(self, kind: str, obj_id: str) -> None:
        self.storage.delete(f"{kind}/{obj_id}")
        self._table(kind).pop(obj_id, None)
        self._changed()

    def _table(self, kind: str) -> dict[str, Stored]:
        tables = {
            "entity": self.entities,
            "alias": self.aliases,
            "group": self.groups,
            "group-alias": self.group_aliases,
        }
        return tables[kind]  # type: ignore[return-value]

    def _changed(self) -> None:
        # Replaced whole, never mutated: a reader on another thread sees old or new.
        self._policies = {}
        self._group_ids = {}
        self._alias_index = None

    # -- queries ---------------------------------------------------------------------------

    def entity_by_name(self, name: str) -> Entity | None:
        """The entity called `name`, if any."""
        return next((e for e in self.entities.values() if e.name == name), None)

    def group_by_name(self, name: str) -> Group | None:
        """The group called `name`, if any."""
        return next((g for g in self.groups.values() if g.name == name), None)

    def find_alias(self, accessor: str, name: str) -> Alias | None:
        """The alias of `name` in the auth mount `accessor`, if any."""
        index = self._alias_index
        if index is None:  # rebuilt after a write, so a login's lookup stays a dict probe
            index = {(a.mount_accessor, a.name): a.id for a in self.aliases.values()}
            self._alias_index = index
        alias_id = index.get((accessor, name))
        return None if alias_id is None else self.aliases.get(alias_id)

    def aliases_of(self, entity_id: str) -> list[Alias]:
        """An entity's aliases, oldest first."""
        found = [a for a in self.aliases.values() if a.canonical_id == entity_id]
        return sorted(found, key=lambda a: a.creation_time)

    def group_alias_of(self, group_id: str) -> GroupAlias | None:
        """An external group's alias, if any."""
        return next((a for a in self.group_aliases.values() if a.canonical_id == group_id), None)

    def parent_group_ids(self, group_id: str) -> list[str]:
        """Groups that list `group_id` among their member groups."""
        return sorted(g.id for g in self.groups.values() if group_id in (g.member_group_ids or ()))

    def group_ids(self, entity_id: str) -> tuple[list[str], list[str]]:
        """(direct, inherited) group ids of an entity (inherited: ancestors of direct ones)."""
        cached = self._group_ids.get(entity_id)
        if cached is not None:
            return cached
        direct = sorted(
            g.id for g in self.groups.values() if entity_id in (g.member_entity_ids or ())
        )
        seen = set(direct)
        todo = list(direct)
        while todo:
            for parent in self.parent_group_ids(todo.pop()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        result = (direct, sorted(seen - set(direct)))
        self._group_ids[entity_id] = result
        return result

    def identity_policies(self, entity_id: str) -> tuple[str, ...]:
        """The entity's own policies and those of all its groups, sorted, no duplicates."""
        if not entity_id:
            return ()
        cached = self._policies.get(entity_id)
        if cached is not None:
            return cached
        names: set[str] = set()
        entity = self.entities.get(entity_id)
        if entity is not None:
            names.update(entity.policies)
            direct, inherited = self.group_ids(entity_id)
            for group_id in (*direct, *inherited):
                names.update(self.groups[group_id].policies or ())
        result = tuple(sorted(names))
        self._policies[entity_id] = result
        return result

    def is_disabled(self, entity_id: str) -> bool:
        """True when the token's entity was disabled (its tokens are refused)."""
        entity = self.entities.get(entity_id) if entity_id else None
        return entity is not None and entity.disabled

    # -- entities --------------------------------------------------------------------------

    @staticmethod
    def _generated(kind: str) -> str:
        # OpenBao names unnamed objects `<kind>_<8 hex>.<namespace>`.
        return f"{kind}_{secrets.token_hex(4)}.root"

    @staticmethod
    def _new_entity(entity_id: str, name: str) -> Entity:
        stamp = now()
        return Entity(id=entity_id, name=name, creation_time=stamp, last_update_time=stamp)

    def write_entity(self, entity: Entity | None, fields: EntityFields) -> tuple[Entity, bool]:
        """Create (entity None) or update an entity; returns it and whether it is new."""
        with self._lock:
            created = entity is None
            name = fields.name
            if entity is None:
                entity = self._new_entity(new_uuid(), name or self._generated("entity"))
            elif name:
                other = self.entity_by_name(name)
                if other is not None and other.id != entity.id:
                    raise BadRequest("entity name is already in use")
                entity.name = name
            if fields.policies is not None:
                entity.policies = sorted(set(fields.policies))
            if fields.metadata is not None:
                entity.metadata = fields.metadata
            if fields.disabled is not None:
                entity.disabled = fields.disabled
            entity.last_update_time = now()
            self._save(entity)
            return entity, created

    def delete_entity(self, entity_id: str) -> None:
        """Delete an entity with its aliases and its group memberships (missing: no-op)."""
        with self._lock:
            if entity_id not in self.entities:
                return
            for alias in self.aliases_of(entity_id):
                self._delete("alias", alias.id)
            for group in list(self.groups.values()):
                if group.member_entity_ids and entity_id in group.member_entity_ids:
                    group.member_entity_ids.remove(entity_id)
                    self._touch(group)
            self._delete("entity", entity_id)

    # -- aliases ---------------------------------------------------------------------------

    def _new_alias(self, entity_id: str, accessor: str, name: str) -> Alias:
        stamp = now()
        return Alias(
            id=new_uuid(),
            canonical_id=entity_id,
            mount_accessor=accessor,
            name=name,
            creation_time=stamp,
            last_update_time=stamp,
        )

    def write_alias(self, alias: Alias | None, fields: AliasFields) -> tuple[Alias, bool]:
        """Create or update an entity alias; a new alias without an entity gets a new one."""
        with self._lock:
            accessor = fields.mount_accessor or (alias.mount_accessor if alias else "")
            name = fields.name or (alias.name if alias else "")
            if not name:
                raise BadRequest("missing alias name")
            if self.resolve_mount(accessor) is None:
                raise BadRequest(f'invalid mount accessor "{accessor}"')
            existing = self.find_alias(accessor, name)
            if alias is None and existing is not None:
                alias = existing  # as Vault: writing the same (mount, name) updates it
            if existing is not None and alias is not None and existing.id != alias.id:
                raise BadRequest("alias with combination of mount accessor and name already exists")
            canonical = fields.canonical_id or (alias.canonical_id if alias else "")
            if canonical and canonical not in self.entities:
                raise BadRequest("invalid entity ID provided")
            created = alias is None
            if not canonical:
                canonical = self.write_entity(None, EntityFields())[0].id
            if alias is None:
                alias = self._new_alias(canonical, accessor, name)
            alias.canonical_id, alias.mount_accessor, alias.name = canonical, accessor, name
            if fields.custom_metadata is not None:
                alias.custom_metadata = fields.custom_metadata
            alias.last_update_time = now()
            self._save(alias)
            return alias, created

    def delete_alias(self, alias_id: str) -> None:
        """Delete an entity alias (missing: no-op); its entity stays."""
        with self._lock:
            if alias_id in self.aliases:
                self._delete("alias", alias_id)

    def login_entity(self, accessor: str, alias_name: str) -> str:
        """The entity of a login's alias, created with the alias on first login."""
        alias = self.find_alias(accessor, alias_name)
        if alias is not None and alias.canonical_id in self.entities:
            return alias.canonical_id
        with self._lock:
            entity, _ = self.write_entity(None, EntityFields())
            self._save(self._new_alias(entity.id, accessor, alias_name))
            return entity.id

    def sync_external_groups(self, entity_id: str, accessor: str, names: list[str]) -> None:
        """Make the entity a member of exactly the external groups whose alias on this
        mount is among `names` (a login's group claim); other mounts' groups stay."""
        if not self.group_aliases:
            return
        wanted = set(names)
        with self._lock:
            for alias in list(self.group_aliases.values()):
                group = self.groups.get(alias.canonical_id)
                if alias.mount_accessor != accessor or group is None:
                    continue
                members = group.member_entity_ids or []
                member = entity_id in members
                if (alias.name in wanted) != member:
                    if member:
                        members.remove(entity_id)
                    else:
                        members.append(entity_id)
                    group.member_entity_ids = members
                    self._touch(group)

    def forget_mount(self, accessor: str) -> None:
        """An auth mount went away: its aliases go with it (entities stay, as in Vault)."""
        with self._lock:
            for alias in [a for a in self.aliases.values() if a.mount_accessor == accessor]:
                self._delete("alias", alias.id)
            for alias in [a for a in self.group_aliases.values() if a.mount_accessor == accessor]:
                self._delete("group-alias", alias.id)

    # -- groups ----------------------------------------------------------------------------

    def _touch(self, group: Group) -> None:
        group.last_update_time = now()
        group.modify_index += 1
        self._save(group)

    def write_group(self, group: Group | None, fields: GroupFields) -> tuple[Group, bool]:
        """Create or update a group; members must exist and nesting must not loop."""
        with self._lock:
            created = group is None
            if fields.name:
                other = self.group_by_name(fields.name)
                if other is not None and (group is None or other.id != group.id):
                    if group is None:
                        group = other  # as Vault: writing an existing name updates it
                        created = False
                    else:
                        raise BadRequest("group name is already in use")
            kind = fields.type or (group.type if group else "internal")
            if kind not in ("internal", "external"):
                raise BadRequest(f'invalid group type "{kind}"')
            if kind == "external" and fields.member_entity_ids:
                raise BadRequest("member entities can't be set manually for external groups")
            if kind == "external" and fields.member_group_ids:
                raise BadRequest("member groups can't be set for external groups")
            if group is None:
                stamp = now()
                name = fields.name or self._generated("group")
                group = Group(id=new_uuid(), name=name, creation_time=stamp)
            self._check_members(group.id, fields)
            group.type = kind  # type: ignore[assignment]
            group.name = fields.name or group.name
            if fields.policies is not None:
                group.policies = sorted(set(fields.policies))
            if fields.metadata is not None:
                group.metadata = fields.metadata
            if fields.member_entity_ids is not None:
                group.member_entity_ids = list(dict.fromkeys(fields.member_entity_ids))
            if fields.member_group_ids is not None:
                group.member_group_ids = list(dict.fromkeys(fields.member_group_ids))
            self._touch(group)
            return group, created

    def _check_members(self, group_id: str, fields: GroupFields) -> None:
        for entity_id in fields.member_entity_ids or ():
            if entity_id not in self.entities:
                raise InternalError(multierror(f'invalid entity ID "{entity_id}"'))
        for member in fields.member_group_ids or ():
            if member not in self.groups:
                raise InternalError(multierror(f'invalid member group ID "{member}"'))
            if member == group_id or group_id in self._descendants(member):
                raise BadRequest(f'member group ID "{member}" would create a cycle')

    def _descendants(self, group_id: str) -> set[str]:
        seen: set[str] = set()
        todo = [group_id]
        while todo:
            for child in self.groups[todo.pop()].member_group_ids or ():
                if child not in seen and child in self.groups:
                    seen.add(child)
                    todo.append(child)
        return seen

    def delete_group(self, group_id: str) -> None:
        """Delete a group, its alias, and its place in other groups (missing: no-op)."""
        with self._lock:
            if group_id not in self.groups:
                return
            for parent in self.parent_group_ids(group_id):
                siblings = self.groups[parent].member_group_ids or []
                # OpenBao answers null once the last member group is deleted.
                left = [g for g in siblings if g != group_id]
                self.groups[parent].member_group_ids = left or None
                self._touch(self.groups[parent])
            alias = self.group_alias_of(group_id)
            if alias is not None:
                self._delete("group-alias", alias.id)
            self._delete("group", group_id)

    def write_group_alias(
        self, alias: GroupAlias | None, name: str, accessor: str, canonical_id: str
    ) -> tuple[GroupAlias, bool]:
        """Create or update an external group's alias."""
        with self._lock:
            name = name or (alias.name if alias else "")
            accessor = accessor or (alias.mount_accessor if alias else "")
            canonical_id = canonical_id or (alias.canonical_id if alias else "")
            if not name:
                raise BadRequest("missing alias name")
            if self.resolve_mount(accessor) is None:
                raise BadRequest(f'invalid mount accessor "{accessor}"')
            group = self.groups.get(canonical_id)
            if group is None or group.type != "external":
                raise BadRequest("invalid or external group ID required")
            created = alias is None
            stamp = now()
            if alias is None:
                alias = GroupAlias(new_uuid(), canonical_id, accessor, name, stamp, stamp)
            alias.name, alias.mount_accessor, alias.canonical_id = name, accessor, canonical_id
            alias.last_update_time = stamp
            self._save(alias)
            return alias, created

    def delete_group_alias(self, alias_id: str) -> None:
        """Delete a group alias (missing: no-op)."""
        with self._lock:
            if alias_id in self.group_aliases:
                self._delete("group-alias", alias_id)
