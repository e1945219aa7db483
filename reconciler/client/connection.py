"""Connect to a store the way the vault CLI does: VAULT_ADDR, VAULT_TOKEN, ~/.vault-token."""

from __future__ import annotations

import os
from pathlib import Path

import hvac

from reconciler.client import tokenstate
from reconciler.client.environment import (
    DEFAULT_ADDRESS,
    address_and_source,
    resolve_address,
    resolve_token,
    tls_verify,
    token_and_source,
    token_file,
)
from reconciler.client.transport import TranslatingAdapter

__all__ = [
    "DEFAULT_ADDRESS", "address_and_source", "connect", "note_token_source", "resolve_address",
    "resolve_token", "save_token", "token_and_source", "token_file",
]  # fmt: skip


def connect(
    address: str | None = None,
    token: str | None = None,
    *,
    address_source: str | None = None,
    token_source: str | None = None,
) -> hvac.Client:
    """An hvac client for `address` / `token`, falling back to the vault CLI's environment.

    TLS: VAULT_CACERT names a CA bundle; VAULT_SKIP_VERIFY=true turns verification off.
    Every failed request raises a `reconciler.client.errors.ClientError` that names the
    method, the API path and the address, with a hint; `address_source` and `token_source`
    say where a given address or token came from (e.g. `sealkeep.yaml target prod`), for it.
    """
    url, where_address = address_and_source(address)
    value, where_token = token_and_source(token)
    client = hvac.Client(url=url, token=value, verify=tls_verify(), adapter=TranslatingAdapter)
    adapter = client.adapter
    assert isinstance(adapter, TranslatingAdapter)
    adapter.address_source = address_source if address and address_source else where_address
    adapter.token_source = token_source if token and token_source else where_token
    return client


def note_token_source(client: hvac.Client, source: str) -> None:
    """Say where `client`'s current token came from (after a login), for the hints of errors."""
    adapter = client.adapter
    if isinstance(adapter, TranslatingAdapter):
        adapter.token_source = source


def save_token(token: str, ttl_seconds: int = 0) -> Path:
    """Write `token` to ~/.vault-token, readable by the owner only (0600); returns the path.

    `ttl_seconds` (from the login answer) is remembered, hashed with the token, so that a
    later 403 can say the token expired rather than that it is wrong.
    """
    tokenstate.remember(token, ttl_seconds)
    path = token_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    os.chmod(path, 0o600)
    return path
