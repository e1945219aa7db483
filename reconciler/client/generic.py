"""Any API path: read, write, delete, list (`sealkeep read|write|delete|list`)."""

from __future__ import annotations

from typing import Any

import hvac

from reconciler.client.errors import ClientInputError, ClientNotFound
from reconciler.client.results import Listing, Result, as_json, listing_of, result_of


def _clean(path: str) -> str:
    clean = path.strip().strip("/").removeprefix("v1/")
    if not clean:
        raise ClientInputError("give an API path, e.g. secret/data/app")
    return clean


def read(client: hvac.Client, path: str) -> Result:
    """GET `path`; nothing there is a ClientNotFound."""
    clean = _clean(path)
    answer = client.read(clean)
    if answer is None:
        raise ClientNotFound(f"no value found at {clean}")
    return result_of(answer)


def write(client: hvac.Client, path: str, data: dict[str, Any], force: bool = False) -> Result:
    """POST `data` to `path`; the table shows the answer's `data` (or `auth`, after a login).

    Writing no data at all needs `force`, as `vault write -f` does.
    """
    if not data and not force:
        raise ClientInputError("nothing to write: give key=value arguments (or -force)")
    answer = as_json(client.write_data(_clean(path), data=data))
    if answer.get("auth"):
        return result_of(answer, "auth")
    return result_of(answer)


def delete(client: hvac.Client, path: str) -> None:
    """DELETE `path`."""
    client.delete(_clean(path))


def list_keys(client: hvac.Client, path: str) -> Listing:
    """LIST `path`; nothing there is a ClientNotFound."""
    clean = _clean(path)
    answer = client.list(clean)
    if answer is None:
        raise ClientNotFound(f"no keys under {clean}/")
    return listing_of(answer)
