"""Log in with an auth method, as `vault login -method=...` does, and keep the token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import hvac

from reconciler.client.aws_signing import iam_login_fields
from reconciler.client.connection import save_token
from reconciler.client.errors import ClientInputError
from reconciler.client.results import JSONDict, as_json

Method = Literal["token", "approle", "jwt", "userpass", "kubernetes", "aws"]
METHODS: tuple[Method, ...] = ("token", "approle", "jwt", "userpass", "kubernetes", "aws")

# For each method: (required fields, optional fields, fields asked for when missing).
_FIELDS: dict[Method, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "token": ((), (), ("token",)),
    "approle": (("role_id",), ("secret_id",), ()),
    "jwt": (("role", "jwt"), (), ()),
    "userpass": (("username",), (), ("password",)),
    "kubernetes": (("role", "jwt"), (), ()),
    # Signed with botocore's credentials (never sent); as the vault CLI's aws handler.
    "aws": ((), ("role", "header_value", "region"), ()),
}

AskSecret = Callable[[str], str]


@dataclass(frozen=True)
class LoginResult:
    """A login: the full answer, the token's table, the token, and where it was stored."""

    raw: JSONDict
    data: JSONDict
    token: str
    stored_at: Path | None


def _check_fields(method: Method, params: dict[str, Any], ask: AskSecret) -> dict[str, Any]:
    required, optional, asked = _FIELDS[method]
    unknown = sorted(set(params) - set(required) - set(optional) - set(asked))
    if unknown:
        raise ClientInputError(f"-method={method} does not take {', '.join(unknown)}")
    missing = [name for name in required if not params.get(name)]
    if missing:
        raise ClientInputError(f"-method={method} needs {', '.join(f'{m}=...' for m in missing)}")
    filled = dict(params)
    for name in asked:
        if not filled.get(name):
            filled[name] = ask(name)
        if not filled[name]:
            raise ClientInputError(f"-method={method}: {name} is empty")
    return filled


def _token_login(client: hvac.Client, token: str) -> tuple[JSONDict, JSONDict]:
    client.token = token
    raw = as_json(client.auth.token.lookup_self())
    data = raw.get("data") or {}
    shown = {
        "token_accessor": data.get("accessor"),
        "token_duration": data.get("ttl"),
        "token_renewable": data.get("renewable"),
        "token_policies": data.get("policies"),
    }
    return raw, shown


def _method_login(
    client: hvac.Client, method: Method, mount: str, fields: dict[str, Any]
) -> JSONDict:
    auth = client.auth
    if method == "approle":
        return as_json(
            auth.approle.login(fields["role_id"], fields.get("secret_id"), mount_point=mount)
        )
    if method == "userpass":
        return as_json(
            auth.userpass.login(fields["username"], fields["password"], mount_point=mount)
        )
    if method == "jwt":
        return as_json(auth.jwt.jwt_login(fields["role"], fields["jwt"], path=mount))
    if method == "aws":
        body = iam_login_fields(
            str(fields.get("role") or ""),
            str(fields.get("header_value") or ""),
            str(fields.get("region") or ""),
        )
        return as_json(client.adapter.login(f"/v1/auth/{mount}/login", json=body))
    return as_json(auth.kubernetes.login(fields["role"], fields["jwt"], mount_point=mount))


def _auth_table(raw: JSONDict) -> JSONDict:
    auth = raw.get("auth") or {}
    shown: JSONDict = {
        "token_accessor": auth.get("accessor"),
        "token_duration": auth.get("lease_duration"),
        "token_renewable": auth.get("renewable"),
        "token_policies": auth.get("token_policies"),
        "policies": auth.get("policies"),
    }
    for key, value in sorted((auth.get("metadata") or {}).items()):
        shown[f"token_meta_{key}"] = value
    return shown


def login(
    client: hvac.Client,
    method: Method,
    params: dict[str, Any],
    ask_secret: AskSecret,
    *,
    path: str | None = None,
    store: bool = True,
) -> LoginResult:
    """Log in with `method` mounted at `path` (default: the method's name).

    `params` are the method's fields; missing secret fields (the token, a password) come from
    `ask_secret`. With `store`, the new token goes to ~/.vault-token.
    """
    fields = _check_fields(method, params, ask_secret)
    if method == "token":
        raw, shown = _token_login(client, str(fields["token"]))
        token = str(fields["token"])
    else:
        mount = (path or method).strip("/").removeprefix("auth/")
        raw = _method_login(client, method, mount, fields)
        token = str((raw.get("auth") or {}).get("client_token") or "")
        if not token:
            raise ClientInputError(f"auth/{mount}/login answered without a token")
        shown = _auth_table(raw)
    ttl = int((raw.get("auth") or raw.get("data") or {}).get("lease_duration") or 0)
    if not ttl:
        ttl = int((raw.get("data") or {}).get("ttl") or 0)
    stored_at = save_token(token, ttl) if store else None
    return LoginResult(raw=raw, data=shown, token=token, stored_at=stored_at)
