"""The fast KV read behind `sealkeep kv get`: two GETs with the standard library, no hvac.

Importing hvac (and requests, urllib3, every hvac.api module) costs more than the rest of a
`kv get` together, and a script may read a dozen secrets in a row. This module makes the
same two requests as `reconciler.client.kv.get` (`sys/internal/ui/mounts/<path>`, then the
read) and answers only the plain success; on any other answer (no such mount, a 403, a 404,
a deleted version, a redirect) it returns None and the caller runs `kv.get` over hvac, which
gives the full behaviour and the translated errors. So there is one behaviour, and the fast
path can only be faster, never different.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from typing import Any

from reconciler.client.environment import resolve_address, resolve_token, tls_verify
from reconciler.client.kvmodel import KvLocation, KvSecret

TIMEOUT = 30.0


class _Fallback(Exception):
    """Anything but a plain success: let the full client handle it."""


def _context(verify: bool | str) -> ssl.SSLContext:
    if verify is False:
        return ssl._create_unverified_context()  # VAULT_SKIP_VERIFY, as hvac honours it
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)


class _Reader:
    """GETs against one server with one token; a non-200 answer raises `_Fallback`."""

    def __init__(self, address: str, token: str) -> None:
        self.address = address
        self.headers = {"X-Vault-Token": token, "X-Vault-Request": "true"}
        verify = tls_verify()
        self.context = _context(verify) if address.startswith("https://") else None

    def get(self, path: str) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.address}/v1/{path}", headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT, context=self.context) as answer:
                if answer.status != 200:
                    raise _Fallback
                body = json.loads(answer.read())
        except (OSError, ValueError) as exc:  # HTTP errors, unreachable, bad JSON
            raise _Fallback from exc
        if not isinstance(body, dict):
            raise _Fallback
        return body

    def locate(self, path: str, mount: str | None) -> KvLocation:
        """As `kv.locate`, for the plain case only (the mount found on the first lookup)."""
        path = path.strip("/")
        full = f"{mount.strip('/')}/{path}" if mount is not None else path
        data = self.get(f"sys/internal/ui/mounts/{full}").get("data") or {}
        kind = data.get("type")
        if kind not in ("kv", "generic") or not data.get("path"):
            raise _Fallback  # no mount named (kv.get tries the default mount), or not KV
        mount_path = str(data["path"]).strip("/")
        version = 2 if str((data.get("options") or {}).get("version", "1")) == "2" else 1
        return KvLocation(mount_path, full[len(mount_path) :].strip("/"), version)


def fast_get(
    address: str | None, token: str | None, path: str, mount: str | None, version: int | None
) -> KvSecret | None:
    """The secret at `path`, or None when the full client must answer (see the module doc)."""
    token = resolve_token(token)
    if not token:
        return None
    try:
        reader = _Reader(resolve_address(address), token)
        loc = reader.locate(path, mount)
        if not loc.path or (version is not None and loc.version != 2):
            return None
        if loc.version == 1:
            raw = reader.get(f"{loc.mount}/{loc.path}")
            return KvSecret(raw=raw, data=raw.get("data") or {}, metadata={}, location=loc)
        query = f"?version={version}" if version is not None else ""
        raw = reader.get(f"{loc.mount}/data/{loc.path}{query}")
    except _Fallback:
        return None
    body = raw.get("data") or {}
    if not body or body.get("data") is None:
        return None
    return KvSecret(raw=raw, data=body["data"], metadata=body.get("metadata") or {}, location=loc)
