"""AppRole secret-ID endpoints: generate (random or custom), list, lookup and destroy.

Secret IDs are handed out once and kept only as an HMAC; lookups by accessor never reveal
the ID itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from reconciler.store.auth.approle_store import AppRoleStore, Role, SecretIDEntry
from reconciler.store.auth.cidr import cidrs_within, parse_cidrs
from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.timefmt import now

GENERATE_FIELDS: dict[str, Field] = {
    "role_name": Field(FieldType.STRING, ""),
    "metadata": Field(FieldType.ANY, None, "JSON object (or its string form) of str -> str"),
    "cidr_list": Field(FieldType.COMMA_STRINGS, [], "CIDRs this secret ID may log in from"),
    "token_bound_cidrs": Field(FieldType.COMMA_STRINGS, [], "CIDRs the issued token is bound to"),
    "num_uses": Field(FieldType.INT, 0, "logins allowed (0 = the role's setting)"),
    "ttl": Field(FieldType.DURATION, 0, "lifetime (0 = the role's setting)"),
}
CUSTOM_FIELDS: dict[str, Field] = {**GENERATE_FIELDS, "secret_id": Field(FieldType.STRING, "")}
SECRET_FIELDS: dict[str, Field] = {
    "role_name": Field(FieldType.STRING, ""),
    "secret_id": Field(FieldType.STRING, ""),
}
ACCESSOR_FIELDS: dict[str, Field] = {
    "role_name": Field(FieldType.STRING, ""),
    "secret_id_accessor": Field(FieldType.STRING, ""),
}


def parse_metadata(raw: Any) -> dict[str, str]:
    """Secret-ID metadata: a JSON object, or its JSON string (what hvac sends)."""
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise BadRequest(f"failed to parse metadata: {exc.msg}") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BadRequest("failed to parse metadata: expected a JSON object of string values")
    return {str(k): v for k, v in value.items()}


def _uses_and_ttl(role: Role, data: FieldData) -> tuple[int, int]:
    num_uses = data.get("num_uses")
    ttl = data.get("ttl")
    if num_uses < 0:
        raise BadRequest("num_uses cannot be negative")
    if ttl < 0:
        raise BadRequest("ttl cannot be negative")
    if role.secret_id_num_uses and num_uses > role.secret_id_num_uses:
        raise BadRequest("num_uses cannot be higher than the role's secret_id_num_uses")
    if role.secret_id_ttl and ttl > role.secret_id_ttl:
        raise BadRequest("ttl cannot be longer than the role's secret_id_ttl")
    return num_uses or role.secret_id_num_uses, ttl or role.secret_id_ttl


def _new_entry(role: Role, data: FieldData) -> SecretIDEntry:
    cidr_list = parse_cidrs(data.get("cidr_list"), "cidr_list")
    if not cidrs_within(cidr_list, role.secret_id_bound_cidrs):
        raise BadRequest(
            "failed to verify the CIDR restrictions set on the secret ID: "
            "cidr_list must be a subset of the role's secret_id_bound_cidrs"
        )
    token_cidrs = parse_cidrs(data.get("token_bound_cidrs"), "token_bound_cidrs")
    if not cidrs_within(token_cidrs, role.token.bound_cidrs):
        raise BadRequest(
            "failed to verify the CIDR restrictions set on the secret ID: "
            "token_bound_cidrs must be a subset of the role's token_bound_cidrs"
        )
    metadata = parse_metadata(data.get("metadata"))
    num_uses, ttl = _uses_and_ttl(role, data)
    created = now()
    return SecretIDEntry(
        accessor=str(uuid.uuid4()),
        num_uses=num_uses,
        ttl=ttl,
        creation_time=created,
        expiration_time=created + ttl if ttl else 0.0,
        last_updated_time=created,
        metadata=metadata,
        cidr_list=cidr_list,
        token_bound_cidrs=token_cidrs,
    )


class SecretIDPaths:
    """The secret-ID paths of an AppRole mount, built around its store and role lookup."""

    def __init__(self, store: AppRoleStore, require_role: Callable[[FieldData], Role]) -> None:
        self.store = store
        self.require_role = require_role

    def specs(self, role: str) -> list[PathSpec]:
        """PathSpecs below `role/<name>/` (`role` is the role-name regex group)."""
        return [
            PathSpec(
                rf"role/{role}/secret-id/?",
                {Operation.UPDATE: self.generate, Operation.LIST: self.list_accessors},
                GENERATE_FIELDS,
            ),
            PathSpec(
                rf"role/{role}/custom-secret-id", {Operation.UPDATE: self.custom}, CUSTOM_FIELDS
            ),
            PathSpec(
                rf"role/{role}/secret-id/lookup", {Operation.UPDATE: self.lookup}, SECRET_FIELDS
            ),
            PathSpec(
                rf"role/{role}/secret-id/destroy",
                {Operation.UPDATE: self.destroy, Operation.DELETE: self.destroy},
                SECRET_FIELDS,
            ),
            PathSpec(
                rf"role/{role}/secret-id-accessor/lookup",
                {Operation.UPDATE: self.accessor_lookup},
                ACCESSOR_FIELDS,
            ),
            PathSpec(
                rf"role/{role}/secret-id-accessor/destroy",
                {Operation.UPDATE: self.accessor_destroy, Operation.DELETE: self.accessor_destroy},
                ACCESSOR_FIELDS,
            ),
        ]

    def _issue(self, data: FieldData, secret_id: str) -> Response:
        role = self.require_role(data)
        if not role.bind_secret_id:
            raise BadRequest("bind_secret_id is not set on the role")
        entry = _new_entry(role, data)
        if not self.store.add_secret_id(role, secret_id, entry):
            raise BadRequest("secret_id is already registered")
        return Response(
            data={
                "secret_id": secret_id,
                "secret_id_accessor": entry.accessor,
                "secret_id_ttl": entry.ttl,
                "secret_id_num_uses": entry.num_uses,
            }
        )

    def generate(self, req: Request, data: FieldData) -> Response:
        """Create a random secret ID (returned once, stored only as an HMAC)."""
        return self._issue(data, str(uuid.uuid4()))

    def custom(self, req: Request, data: FieldData) -> Response:
        """Register a caller-chosen secret ID."""
        secret_id = data.get("secret_id")
        if not secret_id:
            raise BadRequest("missing secret_id")
        return self._issue(data, secret_id)

    def list_accessors(self, req: Request, data: FieldData) -> Response:
        """LIST the accessors of the role's live secret IDs."""
        role = self.require_role(data)
        moment = now()
        keys = sorted(e.accessor for _, e in self.store.entries(role) if not e.expired(moment))
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})

    def lookup(self, req: Request, data: FieldData) -> Response | None:
        """The secret ID's properties; an unknown or expired ID gives 204, as in Vault."""
        role = self.require_role(data)
        secret_id = data.get("secret_id")
        if not secret_id:
            raise BadRequest("missing secret_id")
        entry = self.store.get_secret_id(role, secret_id)
        if entry is None or entry.expired(now()):
            return None
        return Response(data=entry.render())

    def destroy(self, req: Request, data: FieldData) -> None:
        """Delete a secret ID (an unknown one is not an error)."""
        role = self.require_role(data)
        secret_id = data.get("secret_id")
        if not secret_id:
            raise BadRequest("missing secret_id")
        self.store.delete_secret_id(role, secret_id)

    def _accessor(self, data: FieldData) -> str:
        accessor = data.get("secret_id_accessor").strip()
        if not accessor:
            raise BadRequest("missing secret_id_accessor")
        return accessor

    def accessor_lookup(self, req: Request, data: FieldData) -> Response:
        """The properties of the secret ID behind an accessor; unknown -> 404 with data.error."""
        role = self.require_role(data)
        accessor = self._accessor(data)
        secret_hmac = self.store.secret_hmac_for_accessor(role, accessor)
        entry = None if secret_hmac is None else self.store.get_by_hmac(role, secret_hmac)
        if entry is None:
            message = (
                f"failed to find accessor entry for secret_id_accessor: {json.dumps(accessor)}"
            )
            return Response(data={"error": message}, status=404)
        return Response(data=entry.render())

    def accessor_destroy(self, req: Request, data: FieldData) -> None:
        """Delete the secret ID behind an accessor."""
        role = self.require_role(data)
        accessor = self._accessor(data)
        if not self.store.delete_by_accessor(role, accessor):
            raise BadRequest(
                f"failed to find accessor entry for secret_id_accessor: {json.dumps(accessor)}"
            )
