"""Where to connect and with which token, as the vault CLI decides: VAULT_ADDR, VAULT_TOKEN,
~/.vault-token, VAULT_CACERT, VAULT_SKIP_VERIFY (no hvac here: the fast KV read uses it too)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from reconciler.client.usererrors import ClientInputError

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


def tls_verify() -> bool | str:
    """What to verify TLS with: VAULT_CACERT's bundle, or False under VAULT_SKIP_VERIFY."""
    if os.environ.get("VAULT_SKIP_VERIFY", "").strip().lower() in _TRUE:
        return False
    cacert = os.environ.get("VAULT_CACERT")
    if cacert:
        if not Path(cacert).is_file():
            raise ClientInputError(f"VAULT_CACERT: no such file: {cacert}")
        return cacert
    return True
