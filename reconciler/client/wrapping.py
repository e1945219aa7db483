"""Response wrapping from the client side: ask for a wrapped answer, open a wrapping token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from reconciler.client.results import JSONDict, Result, as_json, result_of

if TYPE_CHECKING:  # hvac only for types: `sealkeep kv get` must not pay for importing it
    import hvac

HEADER = "X-Vault-Wrap-TTL"


@contextmanager
def wrapping(client: hvac.Client, wrap_ttl: str | None) -> Iterator[None]:
    """Ask for every answer inside the block to be wrapped for `wrap_ttl` (a duration).

    Only the requests made inside the block are wrapped, so lookups a command makes first
    (which mount holds a KV path) are answered in clear, as the vault CLI does.
    """
    if not wrap_ttl:
        yield
        return
    headers = client.adapter.session.headers
    headers[HEADER] = wrap_ttl
    try:
        yield
    finally:
        headers.pop(HEADER, None)


def wrap_info(raw: JSONDict) -> dict[str, Any] | None:
    """The `wrap_info` of a wrapped answer, None for an answer in clear."""
    info = raw.get("wrap_info")
    return info if isinstance(info, dict) else None


def wrap_info_rows(info: dict[str, Any]) -> dict[str, Any]:
    """The table the vault CLI prints for a wrapped answer."""
    rows = {
        "wrapping_token:": info.get("token"),
        "wrapping_accessor:": info.get("accessor"),
        "wrapping_token_ttl:": info.get("ttl"),
        "wrapping_token_creation_time:": info.get("creation_time"),
        "wrapping_token_creation_path:": info.get("creation_path"),
    }
    if info.get("wrapped_accessor"):
        rows["wrapped_accessor:"] = info["wrapped_accessor"]
    return rows


def unwrap(client: hvac.Client, token: str | None) -> Result:
    """Open a wrapping token (once): `token`, else the client's own token is the wrapper."""
    body = {"token": token} if token else None
    answer = as_json(client.adapter.post("/v1/sys/wrapping/unwrap", json=body))
    return result_of(answer, "auth" if answer.get("auth") else "data")
