"""sys/policies/acl, legacy sys/policy, and sys/capabilities*."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response

if TYPE_CHECKING:
    from reconciler.store.core import Core

READ, UPDATE, DELETE, LIST = Operation.READ, Operation.UPDATE, Operation.DELETE, Operation.LIST
POLICY_FIELDS = {"policy": Field(FieldType.STRING, ""), "rules": Field(FieldType.STRING, "")}
CAP_FIELDS = {
    "paths": Field(FieldType.COMMA_STRINGS, []),
    "path": Field(FieldType.COMMA_STRINGS, []),
    "token": Field(FieldType.STRING, ""),
    "accessor": Field(FieldType.STRING, ""),
}


def paths(core: Core) -> list[PathSpec]:
    """Policy CRUD and capability queries."""
    return [
        PathSpec(r"policies/acl/?", {LIST: lambda r, d: _list_acl(core)}),
        PathSpec(
            r"policies/acl/(?P<name>.+)",
            {
                READ: lambda r, d: _read_acl(core, d),
                UPDATE: lambda r, d: _write(core, d, legacy=False),
                DELETE: lambda r, d: _delete(core, d),
            },
            POLICY_FIELDS,
        ),
        PathSpec(
            r"policy/?",
            {READ: lambda r, d: _list_legacy(core), LIST: lambda r, d: _list_legacy(core)},
        ),
        PathSpec(
            r"policy/(?P<name>.+)",
            {
                READ: lambda r, d: _read_legacy(core, d),
                UPDATE: lambda r, d: _write(core, d, legacy=True),
                DELETE: lambda r, d: _delete(core, d),
            },
            POLICY_FIELDS,
        ),
        PathSpec(r"capabilities-self", {UPDATE: lambda r, d: _caps_self(core, r, d)}, CAP_FIELDS),
        PathSpec(r"capabilities", {UPDATE: lambda r, d: _caps_token(core, d)}, CAP_FIELDS),
        PathSpec(
            r"capabilities-accessor", {UPDATE: lambda r, d: _caps_accessor(core, d)}, CAP_FIELDS
        ),
    ]


def _name(data: FieldData) -> str:
    return data.get("name").strip().lower()


def _list_acl(core: Core) -> Response:
    return Response(data={"keys": core.require_runtime().policies.names()})


def _read_acl(core: Core, data: FieldData) -> Response:
    name = _name(data)
    text = core.require_runtime().policies.read(name)
    if text is None:
        raise NotFound()
    return Response(data={"name": name, "policy": text})


def _list_legacy(core: Core) -> Response:
    names = core.require_runtime().policies.names()
    return Response(data={"keys": names, "policies": names}, inject_top_level=True)


def _read_legacy(core: Core, data: FieldData) -> Response:
    name = _name(data)
    text = core.require_runtime().policies.read(name)
    if text is None:
        raise NotFound()
    return Response(data={"name": name, "rules": text}, inject_top_level=True)


def _decode(text: str) -> str:
    """Vault accepts the policy base64-encoded; decode only when it is valid base64 of UTF-8."""
    stripped = text.strip()
    if not stripped or any(c in stripped for c in '{"\n '):
        return text
    try:
        return base64.b64decode(stripped, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return text


def _write(core: Core, data: FieldData, legacy: bool) -> Response | None:
    raw_name = data.get("name")
    name = raw_name.strip().lower()
    text = data.get("policy") or (data.get("rules") if legacy else "")
    if not text.strip():
        raise BadRequest("'policy' parameter not supplied or empty")
    core.require_runtime().policies.write(name, _decode(text))
    warnings = []
    if name != raw_name:
        warnings.append(f"policy name was converted to {name}")
    if legacy and data.present("rules") and not data.present("policy"):
        warnings.append("'rules' is deprecated, please use 'policy' instead")
    return Response(warnings=warnings) if warnings else None


def _delete(core: Core, data: FieldData) -> None:
    core.require_runtime().policies.delete(_name(data))


def _requested_paths(data: FieldData) -> list[str]:
    wanted = data.get("paths") or data.get("path")
    if not wanted:
        raise BadRequest("paths must be supplied")
    return wanted


def _capabilities(core: Core, policies: list[str], wanted: list[str]) -> Response:
    acl = core.require_runtime().policies.acl_for(policies)
    body = {path: acl.capabilities(path) for path in wanted}
    if len(wanted) == 1:
        body["capabilities"] = body[wanted[0]]
    return Response(data=body, inject_top_level=True)


def _caps_self(core: Core, req: Request, data: FieldData) -> Response:
    return _capabilities(core, req.policies, _requested_paths(data))


def _caps_token(core: Core, data: FieldData) -> Response:
    wanted = _requested_paths(data)
    entry = core.require_runtime().tokens.lookup(data.get("token"))
    if entry is None:
        raise BadRequest("invalid token")
    # As Vault: an entity's group policies count, as they do when the token is used.
    return _capabilities(core, core.require_runtime().token_policies(entry), wanted)


def _caps_accessor(core: Core, data: FieldData) -> Response:
    wanted = _requested_paths(data)
    entry = core.require_runtime().tokens.lookup_accessor(data.get("accessor"))
    if entry is None:
        raise BadRequest("invalid accessor")
    # As Vault: an entity's group policies count, as they do when the token is used.
    return _capabilities(core, core.require_runtime().token_policies(entry), wanted)
