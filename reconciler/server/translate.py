"""HTTP <-> store: build a `Request` from an HTTP request, render a `Response` as Vault's JSON.

Everything Vault-wire-specific lives here: verbs to operations, `?list=true`, token headers,
form bodies, the envelope, top-level injection, and error bodies with the exact
`Content-Type: application/json` hvac needs to parse them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from reconciler.server.jsonbody import BadJSON, decode_json
from reconciler.store import jsoncodec
from reconciler.store.errors import BadRequest, StoreError
from reconciler.store.framework import parse_bool
from reconciler.store.logical import Auth, Operation, Request, Response
from reconciler.vocabulary.durations import parse_duration

JSON = "application/json"
MAX_BODY = 32 * 1024 * 1024
LOGGED_HEADERS = ("x-sealkeep-correlation-id", "x-request-id", "user-agent")

_VERBS = {
    "GET": Operation.READ,
    "HEAD": Operation.READ,
    "LIST": Operation.LIST,
    "POST": Operation.UPDATE,
    "PUT": Operation.UPDATE,
    "DELETE": Operation.DELETE,
    "PATCH": Operation.PATCH,
}


class HTTPError(Exception):
    """An error answered before the store sees the request (405, 413, 415, 404)."""

    def __init__(self, status: int, messages: list[str]) -> None:
        super().__init__(*messages)
        self.status = status
        self.messages = messages


def operation_for(method: str, query: dict[str, str], path: str) -> Operation:
    """The logical operation for an HTTP verb (GET ?list=true is a list)."""
    op = _VERBS.get(method)
    if op is None or (method == "HEAD" and path != "sys/health"):
        raise HTTPError(405, [])
    if method == "GET" and "list" in query:
        try:
            if parse_bool(query["list"]):
                op = Operation.LIST
        except ValueError:
            raise BadRequest(f'invalid value for "list": {query["list"]!r}') from None
    return op


def parse_body(body: bytes, content_type: str, method: str) -> dict[str, Any]:
    """Decode a JSON (or form) body into request data; empty means no data."""
    if method == "PATCH" and not content_type.startswith("application/merge-patch+json"):
        raise HTTPError(
            415, [f"PATCH requires Content-Type application/merge-patch+json, got {content_type!r}"]
        )
    text = body.strip()
    if not text:
        return {}
    if content_type.startswith("application/x-www-form-urlencoded") and text[:1] not in (
        b"{",
        b"[",
    ):
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        data = decode_json(body)
    except BadJSON as exc:
        raise BadRequest(f"error parsing JSON: {exc}") from None
    if data is None:  # `vault write -f` / `bao write -f` send `null`: Vault reads no data
        return {}
    if not isinstance(data, dict):
        raise BadRequest("error parsing JSON: the body must be a JSON object")
    return data


def wrap_ttl_from(headers: dict[str, str]) -> int:
    """Seconds asked for by `X-Vault-Wrap-TTL` (an integer or a Go duration); 0 = none."""
    raw = headers.get("x-vault-wrap-ttl", "").strip()
    if not raw:
        return 0
    prefix = "error parsing X-Vault-Wrap-TTL header: "
    try:
        seconds = int(raw) if raw.lstrip("-").isdigit() else parse_duration(raw)
    except ValueError:
        raise BadRequest(f'{prefix}time: invalid duration "{raw}"') from None
    if seconds < 0 or raw.startswith("-"):
        raise BadRequest(prefix + "requested wrap ttl cannot be negative")
    return int(seconds)


def _wants_help(query: dict[str, str]) -> bool:
    try:
        return "help" in query and parse_bool(query["help"] or "false")
    except ValueError:
        return False


def token_from(headers: dict[str, str]) -> str:
    """X-Vault-Token, else an `Authorization: Bearer` token."""
    token = headers.get("x-vault-token", "")
    if not token:
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
    return token


def build_request(
    method: str,
    path: str,
    query: dict[str, str],
    body: dict[str, Any],
    headers: dict[str, str],
    client: tuple[str, int],
) -> Request:
    """Assemble the store's Request (query parameters become data for reads and deletes)."""
    op = operation_for(method, query, path)
    data = dict(body)
    if method in ("GET", "DELETE", "LIST", "HEAD"):
        data.update({k: v for k, v in query.items() if k != "list"})
    if op is Operation.LIST and not path.endswith("/"):
        path += "/"
    return Request(
        operation=op,
        path=path,
        data=data,
        token=token_from(headers),
        wrap_ttl=wrap_ttl_from(headers),
        help=_wants_help(query),
        remote_addr=client[0],
        remote_port=client[1],
        headers={k: headers[k] for k in LOGGED_HEADERS if k in headers},
    )


def render_auth(auth: Auth) -> dict[str, Any]:
    """Vault's `auth` block, keys in the order Vault emits them."""
    body: dict[str, Any] = {
        "client_token": auth.client_token,
        "accessor": auth.accessor,
        "policies": auth.policies,
    }
    if auth.token_policies:
        body["token_policies"] = auth.token_policies
    if auth.identity_policies:
        body["identity_policies"] = auth.identity_policies
    body.update(
        {
            "metadata": auth.metadata or None,
            "lease_duration": auth.lease_duration,
            "renewable": auth.renewable,
            "entity_id": auth.entity_id,
            "token_type": auth.token_type,
            "orphan": auth.orphan,
            "mfa_requirement": None,
            "num_uses": auth.num_uses,
        }
    )
    return body


def render_envelope(req: Request, resp: Response) -> dict[str, Any]:
    """The standard envelope; some sys routes also copy `data` to the top level."""
    if resp.wrap_info is not None:  # as Vault: only the wrapping token, no request id
        return {
            "request_id": "",
            "lease_id": "",
            "renewable": False,
            "lease_duration": 0,
            "data": None,
            "wrap_info": resp.wrap_info,
            "warnings": None,
            "auth": None,
        }
    secret = resp.secret
    body: dict[str, Any] = {
        "request_id": req.id,
        "lease_id": secret.lease_id if secret else "",
        "renewable": secret.renewable if secret else False,
        "lease_duration": secret.ttl if secret else 0,
        "data": resp.data,
        "wrap_info": None,
        "warnings": resp.warnings or None,
        "auth": render_auth(resp.auth) if resp.auth else None,
        "mount_type": req.mount_type,
    }
    if resp.inject_top_level and resp.data:
        for key, value in resp.data.items():
            body.setdefault(key, value)
    return body


def encode(body: Any) -> bytes:
    """Compact JSON bytes."""
    return jsoncodec.dumps(body)


def error_body(exc: StoreError | HTTPError) -> tuple[int, bytes]:
    """Status and `{"errors": [...]}` for an error."""
    return exc.status, encode({"errors": list(exc.messages)})
