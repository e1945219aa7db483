"""Login tokens seen as leases, as Vault registers them: `auth/<mount>/login/h<hash>`.

A token with a TTL is indexed at creation under `lease/<creation path>/h<id hash>` in the
token store, and the index entry goes with the token. `sys/leases/lookup` lists and looks
them up, and revoking a lease or a prefix (`lease revoke -prefix auth/approle/login`)
revokes the tokens, so they are refused from then on. Renewal stays with the token
endpoints (`sys/leases/renew` refuses tokens, as Vault does).
"""

from __future__ import annotations

from typing import Any

from reconciler.store.auth.token_entry import TokenEntry
from reconciler.store.auth.tokens import TokenStore
from reconciler.store.errors import BadRequest
from reconciler.store.timefmt import now, rfc3339nano

INDEX = "lease/"


def lease_id_for(path: str, id_hash: str) -> str:
    """The lease ID of the token stored under `id_hash`, created at `path`."""
    return f"{path.strip('/')}/h{id_hash}"


def is_token_lease(lease_id: str) -> bool:
    """Leases under `auth/` are tokens."""
    return lease_id.startswith("auth/")


class TokenLeases:
    """The token store's lease view. Invariant: an index entry exists only for a live token."""

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens

    def list(self, prefix: str) -> list[str]:
        """Immediate children under a lease prefix ("" or ending with "/")."""
        return self.tokens.storage.list(INDEX + prefix)

    def _entry(self, lease_id: str) -> TokenEntry | None:
        name = lease_id.rsplit("/", 1)[-1]
        if not name.startswith("h") or self.tokens.storage.get(INDEX + lease_id) is None:
            return None
        return self.tokens.lookup_hash(name[1:])

    def lookup(self, lease_id: str) -> dict[str, Any]:
        """sys/leases/lookup data for a token lease; unknown -> 400 `invalid lease`."""
        entry = self._entry(lease_id)
        if entry is None:
            raise BadRequest("invalid lease")
        return {
            "id": lease_id,
            "issue_time": rfc3339nano(entry.creation_time),
            "expire_time": rfc3339nano(entry.expire_time) if entry.expire_time else None,
            "last_renewal": rfc3339nano(entry.last_renewal_time)
            if entry.last_renewal_time
            else None,
            "renewable": entry.renewable,
            "ttl": max(int(entry.expire_time - now()), 0) if entry.expire_time else 0,
            "path": lease_id.rsplit("/", 1)[0],
        }

    def revoke(self, lease_id: str) -> None:
        """Revoke the token behind a lease (and its children), if it still exists."""
        entry = self._entry(lease_id)
        if entry is not None:
            self.tokens.revoke_tree(entry.id_hash)
        else:
            self.tokens.storage.delete(INDEX + lease_id)

    def revoke_prefix(self, prefix: str) -> int:
        """Revoke every token whose lease ID starts with `prefix`; returns how many."""
        folder = prefix.rstrip("/") + "/" if prefix else ""
        found = [key[len(INDEX) :] for key in self.tokens.storage.walk(INDEX + folder)]
        for lease_id in found:
            self.revoke(lease_id)
        return len(found)
