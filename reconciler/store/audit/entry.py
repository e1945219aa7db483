"""Audit entries built from the store's Request/Response, field for field as in §10.2.

Fields follow Go's `omitempty`: empty strings, empty lists and maps, zero numbers and false are
left out, so a login before authentication carries only `{"token_type": "default"}` as auth.
Every sensitive value goes through the device's `FieldHasher`; nothing here sees a salt.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from reconciler.store.audit.hashing import FieldHasher, elide_list_data
from reconciler.store.auth.token_entry import TokenEntry
from reconciler.store.logical import Auth, Operation, Request, Response
from reconciler.store.timefmt import rfc3339_seconds, rfc3339nano

# Request headers written to the log (lower-case, as Vault's audited headers are). The
# reconciler sends a correlation header so an apply can be traced through the audit log.
AUDITED_HEADERS: tuple[str, ...] = ("x-sealkeep-correlation-id", "x-request-id")
_AUDITED = frozenset(AUDITED_HEADERS)


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` unless `value` is empty/false/zero (Go's omitempty)."""
    if value:
        out[key] = value


def _rfc3339(ts: float) -> str:
    """RFC3339 with whole seconds, UTC: Vault's token_issue_time."""
    return rfc3339_seconds(int(ts))


def _denied(error: str | None) -> bool:
    return bool(error) and "permission denied" in (error or "")


def request_auth(req: Request, fh: FieldHasher, error: str | None) -> dict[str, Any]:
    """The `auth` block of both entries: who made the request, with tokens hashed.

    Written with inline omitempty tests (not `_put`): it runs twice per audited request.
    """
    te = req.token_entry if isinstance(req.token_entry, TokenEntry) else None
    out: dict[str, Any] = {}
    token = fh.token(req.token)
    if token:
        out["client_token"] = token
    accessor = fh.accessor(req.client_token_accessor)
    if accessor:
        out["accessor"] = accessor
    display_name = req.display_name or (te.display_name if te else "")
    if display_name:
        out["display_name"] = display_name
    if req.policies:
        out["policies"] = list(req.policies)
    if te is not None:
        if te.policies:
            out["token_policies"] = list(te.policies)
        # `policies` holds the entity's group policies too (the core adds them at request time).
        identity = [p for p in req.policies if p not in te.policies]
        if identity:
            out["identity_policies"] = identity
        if te.meta:
            out["metadata"] = dict(te.meta)
    entity_id = req.entity_id or (te.entity_id if te else "")
    if entity_id:
        out["entity_id"] = entity_id
    out["token_type"] = te.token_type if te is not None and te.token_type else "default"
    if te is not None:
        if te.ttl:
            out["token_ttl"] = te.ttl
        if te.creation_time:
            out["token_issue_time"] = _rfc3339(te.creation_time)
        if te.num_uses:
            out["remaining_uses"] = te.num_uses
        if te.no_default_policy:
            out["no_default_policy"] = te.no_default_policy
    if req.token:
        results: dict[str, Any] = {"allowed": not _denied(error)}
        if req.granting_policies and results["allowed"]:
            results["granting_policies"] = [
                {"name": name, "namespace_id": "root", "type": "acl"}
                for name in req.granting_policies
            ]
        out["policy_results"] = results
    return out


def _headers(req: Request) -> dict[str, list[str]]:
    found: dict[str, str] = {}
    for name, value in req.headers.items():
        lowered = name.lower()
        if lowered in _AUDITED:
            found[lowered] = value  # the last of two spellings wins, as in a dict of them
    return {name: [found[name]] for name in AUDITED_HEADERS if found.get(name)}


def request_block(
    req: Request, fh: FieldHasher, non_hmac_keys: Collection[str] = ()
) -> dict[str, Any]:
    """The `request` block: what was asked, where, from which address."""
    out: dict[str, Any] = {"id": req.id, "operation": str(req.operation)}
    _mount_fields(out, req)
    token = fh.token(req.token)
    if token:
        out["client_token"] = token
    accessor = fh.accessor(req.client_token_accessor)
    if accessor:
        out["client_token_accessor"] = accessor
    out["namespace"] = {"id": "root"}
    out["path"] = req.path
    if req.data:
        out["data"] = fh.data(req.data, non_hmac_keys)
    if req.remote_addr:
        out["remote_address"] = req.remote_addr
    if req.remote_port:
        out["remote_port"] = req.remote_port
    if req.wrap_ttl:
        out["wrap_ttl"] = req.wrap_ttl
    _put(out, "headers", _headers(req))
    return out


def _mount_fields(out: dict[str, Any], req: Request) -> None:
    """mount_point, mount_type, mount_accessor, mount_class: those that are set."""
    if req.mount_point:
        out["mount_point"] = req.mount_point
    if req.mount_type:
        out["mount_type"] = req.mount_type
    if req.mount_accessor:
        out["mount_accessor"] = req.mount_accessor
    if req.mount_class:
        out["mount_class"] = req.mount_class


def _response_auth(auth: Auth, fh: FieldHasher, issued: float) -> dict[str, Any]:
    policies = list(auth.token_policies or auth.policies)
    out: dict[str, Any] = {}
    _put(out, "client_token", fh.token(auth.client_token))
    _put(out, "accessor", fh.accessor(auth.accessor))
    _put(out, "display_name", auth.display_name)
    _put(out, "policies", policies)
    _put(out, "token_policies", policies)
    _put(out, "identity_policies", list(auth.identity_policies))
    _put(out, "metadata", dict(auth.metadata))
    _put(out, "num_uses", auth.num_uses)
    _put(out, "entity_id", auth.entity_id)
    _put(out, "token_type", auth.token_type)
    _put(out, "token_ttl", auth.lease_duration or auth.ttl)
    # The token was created by this very request, so its issue time is the entry's time.
    out["token_issue_time"] = _rfc3339(issued)
    return out


def response_block(
    req: Request,
    resp: Response | None,
    fh: FieldHasher,
    issued: float,
    non_hmac_keys: Collection[str] = (),
) -> dict[str, Any]:
    """The `response` block: mount info, the issued auth, lease, data (hashed), warnings."""
    out: dict[str, Any] = {}
    _mount_fields(out, req)
    if resp is None:
        return out
    if resp.auth is not None:
        out["auth"] = _response_auth(resp.auth, fh, issued)
    if resp.secret is not None and resp.secret.lease_id:
        out["secret"] = {"lease_id": resp.secret.lease_id}
    if resp.data:
        data = resp.data
        if fh.config.elide_list_responses and req.operation == Operation.LIST:
            data = elide_list_data(data)
        out["data"] = fh.data(data, non_hmac_keys)
    _put(out, "warnings", list(resp.warnings))
    return out


def build_request_entry(
    req: Request,
    error: str | None,
    fh: FieldHasher,
    now: float,
    non_hmac_request_keys: Collection[str] = (),
) -> dict[str, Any]:
    """A complete `type: request` entry."""
    entry: dict[str, Any] = {
        "time": rfc3339nano(now),
        "type": "request",
        "auth": request_auth(req, fh, error),
        "request": request_block(req, fh, non_hmac_request_keys),
    }
    if error:
        entry["error"] = error
    return entry


def build_response_entry(
    req: Request,
    resp: Response | None,
    error: str | None,
    fh: FieldHasher,
    now: float,
    non_hmac_keys: tuple[Collection[str], Collection[str]] = ((), ()),
) -> dict[str, Any]:
    """A complete `type: response` entry; `non_hmac_keys` is (request keys, response keys)."""
    entry: dict[str, Any] = {
        "time": rfc3339nano(now),
        "type": "response",
        "auth": request_auth(req, fh, error),
        "request": request_block(req, fh, non_hmac_keys[0]),
        "response": response_block(req, resp, fh, now, non_hmac_keys[1]),
    }
    if error:
        entry["error"] = error
    return entry
