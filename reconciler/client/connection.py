"""Connect to a store the way the vault CLI does: VAULT_ADDR, VAULT_TOKEN, ~/.vault-token."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import hvac

from reconciler.client.errors import ClientInputError

DEFAULT_ADDRESS = "http://127.0.0.1:8200"
_TRUE = frozenset({"1", "t", "true", "yes", "y"})


def token_file() -> Path:
    """The token helper file the vault CLI uses: `~/.vault-token`."""
    return Path.home() / ".vault-token"


def resolve_address(address: str | None) -> str:
    """`address`, else VAULT_ADDR, else the default; must be an http(s) URL."""
    url = (address or os.environ.get("VAULT_ADDR") or DEFAULT_ADDRESS).rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ClientInputError(f"address {url!r} is not an http:// or https:// URL")
    return url


def resolve_token(token: str | None) -> str | None:
    """`token`, else VAULT_TOKEN, else the contents of ~/.vault-token, else None."""
    if token:
        return token
    from_env = os.environ.get("VAULT_TOKEN")
    if from_env:
        return from_env
    path = token_file()
    if path.is_file():
        stored = path.read_text().strip()
        return stored or None
    return None


def _verify() -> bool | str:
    if os.environ.get("VAULT_SKIP_VERIFY", "").strip().lower() in _TRUE:
        return False
    cacert = os.environ.get("VAULT_CACERT")
    if cacert:
        if not Path(cacert).is_file():
            raise ClientInputError(f"VAULT_CACERT: no such file: {cacert}")
        return cacert
    return True


def connect(address: str | None = None, token: str | None = None) -> hvac.Client:
    """An hvac client for `address` / `token`, falling back to the vault CLI's environment.

    TLS: VAULT_CACERT names a CA bundle; VAULT_SKIP_VERIFY=true turns verification off.
    """
    return hvac.Client(url=resolve_address(address), token=resolve_token(token), verify=_verify())


def save_token(token: str) -> Path:
    """Write `token` to ~/.vault-token, readable by the owner only (0600); returns the path."""
    path = token_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    os.chmod(path, 0o600)
    return path
