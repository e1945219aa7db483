"""`identity/`: entities, entity aliases, groups, group aliases and lookups (Vault's paths).

Writes answer 200 with `{id, name}` (or `{canonical_id, id}`) when they create an object and
204 when they update one, as OpenBao does. `identity/oidc/*` is not served (404).
"""

from __future__ import annotations

from typing import Any

from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Backend, Field, FieldData, FieldType, MountContext, PathSpec
from reconciler.store.identity import render
from reconciler.store.identity.model import AliasFields, EntityFields, GroupFields
from reconciler.store.identity.store import IdentityStore
from reconciler.store.logical import Operation, Request, Response

_ID = r"(?P<id>[^/]+)"
_NAME = r"(?P<name>[^/]+)"

ENTITY_FIELDS = {
    "id": Field(FieldType.STRING, ""),
    "name": Field(FieldType.STRING, ""),
    "policies": Field(FieldType.COMMA_STRINGS),
    "metadata": Field(FieldType.ANY),
    "disabled": Field(FieldType.BOOL),
}
ALIAS_FIELDS = {
    "id": Field(FieldType.STRING, ""),
    "name": Field(FieldType.STRING, ""),
    "mount_accessor": Field(FieldType.STRING, ""),
    "canonical_id": Field(FieldType.STRING, ""),
    "entity_id": Field(FieldType.STRING, ""),
    "custom_metadata": Field(FieldType.ANY),
}
GROUP_FIELDS = {
    "id": Field(FieldType.STRING, ""),
    "name": Field(FieldType.STRING, ""),
    "type": Field(FieldType.STRING, ""),
    "policies": Field(FieldType.COMMA_STRINGS),
    "metadata": Field(FieldType.ANY),
    "member_entity_ids": Field(FieldType.COMMA_STRINGS),
    "member_group_ids": Field(FieldType.COMMA_STRINGS),
}
LOOKUP_FIELDS = {
    name: Field(FieldType.STRING, "")
    for name in ("type", "name", "id", "alias_id", "alias_name", "alias_mount_accessor")
}


def kv_pairs(name: str, value: Any) -> dict[str, str] | None:
    """Vault's TypeKVPairs: a map, or `["k=v", ...]` as the CLI sends it."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value] if value else []
    if isinstance(value, list):
        pairs: dict[str, str] = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            if not sep:
                raise BadRequest(f'Field validation failed: "{name}" expects key=value pairs')
            pairs[key] = val
        return pairs
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    raise BadRequest(f'Field validation failed: "{name}" expects a map of strings')


class IdentityBackend(Backend):
    """The identity mount; every object lives in the runtime's `IdentityStore`."""

    type_name = "identity"

    def __init__(self, ctx: MountContext, store: IdentityStore) -> None:
        self.identity = store
        super().__init__(ctx)

    def paths(self) -> list[PathSpec]:
        """Entities, aliases, groups, group aliases and lookups."""
        return [*self._entity_paths(), *self._alias_paths(), *self._group_paths()]

    def _entity_paths(self) -> list[PathSpec]:
        write, read, delete = Operation.UPDATE, Operation.READ, Operation.DELETE
        return [
            PathSpec("entity", {write: self.write_entity}, ENTITY_FIELDS),
            PathSpec("entity/id/?", {Operation.LIST: self.list_entity_ids}),
            PathSpec("entity/name/?", {Operation.LIST: self.list_entity_names}),
            PathSpec(
                f"entity/id/{_ID}",
                {write: self.write_entity, read: self.read_entity, delete: self.delete_entity},
                ENTITY_FIELDS,
            ),
            PathSpec(
                f"entity/name/{_NAME}",
                {write: self.write_entity, read: self.read_entity, delete: self.delete_entity},
                ENTITY_FIELDS,
            ),
            PathSpec("lookup/entity", {write: self.lookup_entity}, LOOKUP_FIELDS),
            PathSpec("lookup/group", {write: self.lookup_group}, LOOKUP_FIELDS),
        ]

    def _alias_paths(self) -> list[PathSpec]:
        write, read, delete = Operation.UPDATE, Operation.READ, Operation.DELETE
        return [
            PathSpec("entity-alias", {write: self.write_alias}, ALIAS_FIELDS),
            PathSpec("entity-alias/id/?", {Operation.LIST: self.list_alias_ids}),
            PathSpec(
                f"entity-alias/id/{_ID}",
                {write: self.write_alias, read: self.read_alias, delete: self.delete_alias},
                ALIAS_FIELDS,
            ),
            PathSpec("group-alias", {write: self.write_group_alias}, ALIAS_FIELDS),
            PathSpec("group-alias/id/?", {Operation.LIST: self.list_group_alias_ids}),
            PathSpec(
                f"group-alias/id/{_ID}",
                {
                    write: self.write_group_alias,
                    read: self.read_group_alias,
                    delete: self.delete_group_alias,
                },
                ALIAS_FIELDS,
            ),
        ]

    def _group_paths(self) -> list[PathSpec]:
        write, read, delete = Operation.UPDATE, Operation.READ, Operation.DELETE
        return [
            PathSpec("group", {write: self.write_group}, GROUP_FIELDS),
            PathSpec("group/id/?", {Operation.LIST: self.list_group_ids}),
            PathSpec("group/name/?", {Operation.LIST: self.list_group_names}),
            PathSpec(
                f"group/id/{_ID}",
                {write: self.write_group, read: self.read_group, delete: self.delete_group},
                GROUP_FIELDS,
            ),
            PathSpec(
                f"group/name/{_NAME}",
                {write: self.write_group, read: self.read_group, delete: self.delete_group},
                GROUP_FIELDS,
            ),
        ]

    # -- entities --------------------------------------------------------------------------

    def _entity_of(self, data: FieldData) -> Any:
        if "id" in data.params or (data.get("id") and "name" not in data.params):
            return self.identity.entities.get(data.get("id"))
        name = data.params.get("name") or data.get("name")
        return self.identity.entity_by_name(name) if name else None

    def write_entity(self, req: Request, data: FieldData) -> Response | None:
        """Create or update an entity (by id, by name in the path, or by body name)."""
        entity = self._entity_of(data)
        if entity is None and "id" in data.params:
            raise BadRequest("entity not found from id")
        fields = EntityFields(
            name=data.params.get("name") or str(data.raw.get("name") or ""),
            policies=data.get("policies") if data.present("policies") else None,
            metadata=kv_pairs("metadata", data.raw.get("metadata")),
            disabled=data.get("disabled") if data.present("disabled") else None,
        )
        entity, created = self.identity.write_entity(entity, fields)
        if not created:
            return None
        return Response(data={"aliases": None, "id": entity.id, "name": entity.name})

    def read_entity(self, req: Request, data: FieldData) -> Response:
        """An entity with its aliases and groups; 404 when missing."""
        entity = self._entity_of(data)
        if entity is None:
            raise NotFound()
        return Response(data=render.entity_data(self.identity, entity))

    def delete_entity(self, req: Request, data: FieldData) -> None:
        """Delete an entity and its aliases (missing: 204)."""
        entity = self._entity_of(data)
        if entity is not None:
            self.identity.delete_entity(entity.id)

    def list_entity_ids(self, req: Request, data: FieldData) -> Response:
        """Entity ids with their names."""
        return _listing(sorted(self.identity.entities), render.entity_key_info(self.identity))

    def list_entity_names(self, req: Request, data: FieldData) -> Response:
        """Entity names."""
        return _listing(sorted(e.name for e in self.identity.entities.values()))

    # -- entity aliases --------------------------------------------------------------------

    def write_alias(self, req: Request, data: FieldData) -> Response | None:
        """Create or update an entity alias; 200 `{canonical_id, id}` when created."""
        alias_id = data.params.get("id") or data.get("id")
        alias = self.identity.aliases.get(alias_id) if alias_id else None
        if alias_id and alias is None:
            raise BadRequest("invalid alias ID provided")
        fields = AliasFields(
            name=data.get("name"),
            mount_accessor=data.get("mount_accessor"),
            canonical_id=data.get("canonical_id") or data.get("entity_id"),
            custom_metadata=kv_pairs("custom_metadata", data.raw.get("custom_metadata")),
        )
        alias, created = self.identity.write_alias(alias, fields)
        if not created:
            return None
        return Response(data={"canonical_id": alias.canonical_id, "id": alias.id})

    def read_alias(self, req: Request, data: FieldData) -> Response:
        """An entity alias; 404 when missing."""
        alias = self.identity.aliases.get(data.params["id"])
        if alias is None:
            raise NotFound()
        return Response(data=render.alias_data(self.identity, alias))

    def delete_alias(self, req: Request, data: FieldData) -> None:
        """Delete an entity alias (missing: 204)."""
        self.identity.delete_alias(data.params["id"])

    def list_alias_ids(self, req: Request, data: FieldData) -> Response:
        """Alias ids with their mount and entity."""
        return _listing(sorted(self.identity.aliases), render.alias_key_info(self.identity))

    # -- groups ----------------------------------------------------------------------------

    def _group_of(self, data: FieldData) -> Any:
        if "id" in data.params or (data.get("id") and "name" not in data.params):
            return self.identity.groups.get(data.get("id"))
        name = data.params.get("name") or data.get("name")
        return self.identity.group_by_name(name) if name else None

    def write_group(self, req: Request, data: FieldData) -> Response | None:
        """Create or update a group; 200 `{id, name}` when created."""
        group = self._group_of(data)
        if group is None and "id" in data.params:
            raise BadRequest("group not found from id")
        optional = ("policies", "member_entity_ids", "member_group_ids")
        given = {name: data.get(name) for name in optional if data.present(name)}
        fields = GroupFields(
            name=data.params.get("name") or str(data.raw.get("name") or ""),
            type=data.get("type"),
            metadata=kv_pairs("metadata", data.raw.get("metadata")),
            **given,
        )
        group, created = self.identity.write_group(group, fields)
        if not created:
            return None
        return Response(data={"id": group.id, "name": group.name})

    def read_group(self, req: Request, data: FieldData) -> Response:
        """A group with its members and parents; 404 when missing."""
        group = self._group_of(data)
        if group is None:
            raise NotFound()
        return Response(data=render.group_data(self.identity, group))

    def delete_group(self, req: Request, data: FieldData) -> None:
        """Delete a group (missing: 204); its members keep their entities."""
        group = self._group_of(data)
        if group is not None:
            self.identity.delete_group(group.id)

    def list_group_ids(self, req: Request, data: FieldData) -> Response:
        """Group ids with name and counts."""
        return _listing(sorted(self.identity.groups), render.group_key_info(self.identity))

    def list_group_names(self, req: Request, data: FieldData) -> Response:
        """Group names."""
        return _listing(sorted(g.name for g in self.identity.groups.values()))

    # -- group aliases ---------------------------------------------------------------------

    def write_group_alias(self, req: Request, data: FieldData) -> Response | None:
        """Create or update an external group's alias."""
        alias_id = data.params.get("id") or data.get("id")
        alias = self.identity.group_aliases.get(alias_id) if alias_id else None
        if alias_id and alias is None:
            raise BadRequest("invalid group alias ID provided")
        alias, created = self.identity.write_group_alias(
            alias, data.get("name"), data.get("mount_accessor"), data.get("canonical_id")
        )
        if not created:
            return None
        return Response(data={"canonical_id": alias.canonical_id, "id": alias.id})

    def read_group_alias(self, req: Request, data: FieldData) -> Response:
        """A group alias; 404 when missing."""
        alias = self.identity.group_aliases.get(data.params["id"])
        if alias is None:
            raise NotFound()
        return Response(data=render.group_alias_data(self.identity, alias))

    def delete_group_alias(self, req: Request, data: FieldData) -> None:
        """Delete a group alias (missing: 204)."""
        self.identity.delete_group_alias(data.params["id"])

    def list_group_alias_ids(self, req: Request, data: FieldData) -> Response:
        """Group alias ids."""
        return _listing(sorted(self.identity.group_aliases))

    # -- lookups ---------------------------------------------------------------------------

    def lookup_entity(self, req: Request, data: FieldData) -> Response | None:
        """Find an entity by name, id, alias id or alias name and mount; 204 when none."""
        store = self.identity
        kind, value = _query(data)
        found: Any = None
        if kind == "name":
            found = store.entity_by_name(value)
        elif kind == "id":
            found = store.entities.get(value)
        else:
            alias = (
                store.aliases.get(value)
                if kind == "alias_id"
                else store.find_alias(data.get("alias_mount_accessor"), value)
            )
            found = None if alias is None else store.entities.get(alias.canonical_id)
        return None if found is None else Response(data=render.entity_data(store, found))

    def lookup_group(self, req: Request, data: FieldData) -> Response | None:
        """Find a group by name, id, alias id or alias name and mount; 204 when none."""
        store = self.identity
        kind, value = _query(data)
        found: Any = None
        if kind == "name":
            found = store.group_by_name(value)
        elif kind == "id":
            found = store.groups.get(value)
        else:
            accessor = data.get("alias_mount_accessor")
            alias = next(
                (
                    a
                    for a in store.group_aliases.values()
                    if (
                        a.id == value
                        if kind == "alias_id"
                        else (a.name, a.mount_accessor) == (value, accessor)
                    )
                ),
                None,
            )
            found = None if alias is None else store.groups.get(alias.canonical_id)
        return None if found is None else Response(data=render.group_data(store, found))


def _query(data: FieldData) -> tuple[str, str]:
    """The one lookup criterion given (alias_name needs alias_mount_accessor)."""
    given = [k for k in ("name", "id", "alias_id", "alias_name") if data.get(k)]
    if not given:
        raise BadRequest("query parameter not supplied")
    if len(given) > 1:
        raise BadRequest("query parameter conflict; please supply distinct set of query parameters")
    kind = given[0]
    if kind == "alias_name" and not data.get("alias_mount_accessor"):
        raise BadRequest("missing alias_mount_accessor")
    return kind, data.get(kind)


def _listing(keys: list[str], key_info: dict[str, Any] | None = None) -> Response:
    if not keys:
        raise NotFound()
    body: dict[str, Any] = {"keys": keys}
    if key_info is not None:
        body["key_info"] = key_info
    return Response(data=body)
