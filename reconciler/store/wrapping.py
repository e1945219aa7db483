"""Response wrapping: a response swapped for a single-use token that can fetch it once.

As in Vault, the wrapped response is kept in the wrapping token's cubbyhole (`response`,
beside `wrapinfo`: creation TTL, time and path). The token has the `response-wrapping`
policy, one use and the requested TTL, and no parent; unwrapping (or expiry) revokes it,
which destroys its cubbyhole and with it the only copy of the payload.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from reconciler.store.acl.builtin import RESPONSE_WRAPPING_POLICY_NAME
from reconciler.store.auth.token_entry import TokenEntry
from reconciler.store.auth.tokens import TokenParams
from reconciler.store.errors import BadRequest
from reconciler.store.logical import Auth, Request, Response, Secret
from reconciler.store.timefmt import rfc3339nano

if TYPE_CHECKING:
    from reconciler.store.runtime import Runtime

INVALID = "wrapping token is not valid or does not exist"
RESPONSE_KEY = "response"
WRAPINFO_KEY = "wrapinfo"


def should_wrap(req: Request, resp: Response | None) -> bool:
    """A successful enveloped answer to a request that asked for wrapping."""
    if not req.wrap_ttl or resp is None or resp.raw is not None or resp.wrap_info is not None:
        return False
    return not (resp.status and resp.status >= 400)


def encode_response(resp: Response) -> dict[str, Any]:
    """The stored form of a response (what unwrapping gives back)."""
    secret = resp.secret
    return {
        "v": 1,
        "data": resp.data,
        "warnings": list(resp.warnings),
        "auth": asdict(resp.auth) if resp.auth is not None else None,
        "secret": None
        if secret is None
        else {"lease_id": secret.lease_id, "ttl": secret.ttl, "renewable": secret.renewable},
    }


def decode_response(doc: dict[str, Any]) -> Response:
    """A stored response, ready to render; its lease and token already exist."""
    secret = doc.get("secret")
    return Response(
        data=doc.get("data"),
        warnings=list(doc.get("warnings") or []),
        auth=Auth(**doc["auth"]) if doc.get("auth") else None,
        secret=None
        if secret is None
        else Secret(
            ttl=int(secret["ttl"]),
            renewable=bool(secret["renewable"]),
            lease_id=str(secret["lease_id"]),
            informational=not secret["lease_id"],  # never register a lease again
        ),
    )


def wrapped_accessor(resp: Response) -> str:
    """The accessor of what is wrapped: a token's, or an AppRole secret ID's."""
    if resp.auth is not None:
        return resp.auth.accessor
    data = resp.data or {}
    return str(data.get("secret_id_accessor") or "")


class Wrapper:
    """Creates, looks up and opens wrapping tokens for one unsealed store."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def wrap(self, req: Request, resp: Response) -> Response:
        """Swap `resp` for a wrapping token valid `req.wrap_ttl` seconds."""
        return self.wrap_payload(
            encode_response(resp), req.path, req.wrap_ttl, wrapped_accessor(resp)
        )

    def wrap_payload(
        self, payload: dict[str, Any], creation_path: str, ttl: int, accessor: str
    ) -> Response:
        """Store `payload` in a new wrapping token's cubbyhole; answer with its wrap_info."""
        params = TokenParams(
            policies=[RESPONSE_WRAPPING_POLICY_NAME],
            path=creation_path,
            display_name="",
            ttl=ttl,
            explicit_max_ttl=ttl,
            num_uses=1,
            renewable=False,
            no_default_policy=True,
        )
        token_id, entry = self.runtime.tokens.create(params)
        created = rfc3339nano(entry.creation_time or time.time())
        cubbyhole = self.runtime.cubbyhole()
        cubbyhole.put_for(entry.id_hash, RESPONSE_KEY, payload)
        info = {"creation_ttl": ttl, "creation_time": created, "creation_path": creation_path}
        cubbyhole.put_for(entry.id_hash, WRAPINFO_KEY, info)
        wrap_info: dict[str, Any] = {
            "token": token_id,
            "accessor": entry.accessor,
            "ttl": ttl,
            "creation_time": created,
            "creation_path": creation_path,
        }
        if accessor:
            wrap_info["wrapped_accessor"] = accessor
        return Response(wrap_info=wrap_info)

    def _entry(self, token: str) -> TokenEntry:
        entry = self.runtime.tokens.lookup(token) if token else None
        if entry is None or entry.policies != [RESPONSE_WRAPPING_POLICY_NAME]:
            raise BadRequest(INVALID)
        return entry

    def lookup(self, token: str) -> dict[str, Any]:
        """creation_path, creation_time and creation_ttl of a live wrapping token."""
        entry = self._entry(token)
        info = self.runtime.cubbyhole().get_for(entry.id_hash, WRAPINFO_KEY)
        if info is None:
            raise BadRequest(INVALID)
        return info

    def take(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The payload and wrap info of a wrapping token, which is revoked (single use)."""
        entry = self._entry(token)
        cubbyhole = self.runtime.cubbyhole()
        payload = cubbyhole.get_for(entry.id_hash, RESPONSE_KEY)
        info = cubbyhole.get_for(entry.id_hash, WRAPINFO_KEY)
        self.runtime.tokens.revoke_tree(entry.id_hash)
        if payload is None or info is None:
            raise BadRequest(INVALID)
        return payload, info

    def unwrap(self, token: str) -> Response:
        """Open a wrapping token: the original response, once."""
        payload, _info = self.take(token)
        return decode_response(payload)

    def rewrap(self, token: str) -> Response:
        """Move a payload to a fresh wrapping token with the same TTL and creation path."""
        payload, info = self.take(token)
        accessor = wrapped_accessor(decode_response(payload))
        return self.wrap_payload(
            payload, str(info["creation_path"]), int(info["creation_ttl"]), accessor
        )
