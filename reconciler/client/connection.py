"""Connect to a store the way the vault CLI does: VAULT_ADDR, VAULT_TOKEN, ~/.vault-token."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import hvac

from reconciler.client import tokenstate
from reconciler.client.errors import ClientInputError
from reconciler.client.transport import TranslatingAdapter

DEFAULT_ADDRESS = "http://127.0.0.1:8200"
_TRUE = frozenset({"1", "t", "true", "yes", "y"})


def token_file() -> Path:
    """The token helper file the vault CLI uses: `~/.vault-token`."""
    return Path.home() / ".vault-token"


def address_and_source(address: str | None) -> tuple[str, str]:
    """The server URL and where it came from: `-address`, `VAULT_ADDR` or `default`."""
    if address:
        url, source = address, "-address"
    elif os.environ.get("VAULT_ADDR"):
        url, source = os.environ["VAULT_ADDR"], "VAULT_ADDR"
    else:
        url, source = DEFAULT_ADDRESS, "default"
    url = url.rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        where = "VAULT_ADDR" if source == "VAULT_ADDR" else "-address"
        raise ClientInputError(
            f"address {url!r} is not an http:// or https:// URL",
            where=where,
            hint="for example http://127.0.0.1:8200",
        )
    return url, source


def resolve_address(address: str | None) -> str:
    """`address`, else VAULT_ADDR, else the default; must be an http(s) URL."""
    return address_and_source(address)[0]


def token_and_source(token: str | None) -> tuple[str | None, str]:
    """The token and where it came from: `-token`, `VAULT_TOKEN`, `~/.vault-token` or ""."""
    if token:
        return token, "-token"
    from_env = os.environ.get("VAULT_TOKEN")
    if from_env:
        return from_env, "VAULT_TOKEN"
    path = token_file()
    if path.is_file():
        stored = path.read_text().strip()
        if stored:
            return stored, "~/.vault-token"
    return None, ""


def resolve_token(token: str | None) -> str | None:
    """`token`, else VAULT_TOKEN, else the contents of ~/.vault-token, else None."""
    return token_and_source(token)[0]


def _verify() -> bool | str:
    if os.environ.get("VAULT_SKIP_VERIFY", "").strip().lower() in _TRUE:
        return False
    cacert = os.environ.get("VAULT_CACERT")
    if cacert:
        if not Path(cacert).is_file():
            raise ClientInputError(f"VAULT_CACERT: no such file: {cacert}")
        return cacert
    return True


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
    client = hvac.Client(url=url, token=value, verify=_verify(), adapter=TranslatingAdapter)
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
