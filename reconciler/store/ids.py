"""Identifiers in Vault's formats: tokens, accessors, UUIDs, mount accessors."""

from __future__ import annotations

import secrets
import string
import uuid

_BASE62 = string.ascii_letters + string.digits


def base62(length: int) -> str:
    """A random string of `length` characters from [A-Za-z0-9]."""
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def new_uuid() -> str:
    """A random lowercase UUID (request ids, role ids, entity ids)."""
    return str(uuid.uuid4())


def service_token() -> str:
    """A new service token ID: `hvs.` + 24 base62 characters."""
    return "hvs." + base62(24)


def mount_accessor(kind: str, auth: bool) -> str:
    """`kv_1a2b3c4d` for secret engines, `auth_approle_1a2b3c4d` for auth methods."""
    suffix = secrets.token_hex(4)
    return f"auth_{kind}_{suffix}" if auth else f"{kind}_{suffix}"
