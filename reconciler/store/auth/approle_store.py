"""AppRole's stored state: roles, the role-ID index and secret IDs (kept only as HMACs).

Layout inside the mount's storage view:

    salt                                   per-mount random HMAC key (created on first use)
    role/<hmac(name)>                      Role (name lowercased: lookups are case-insensitive)
    role_id/<hmac(role_id)>                {"name": role name}
    secret_id/<hmac(name)>/<hmac(id)>      SecretIDEntry
    accessor/<hmac(name)>/<hmac(accessor)> {"secret_id_hmac": ...}

Names and IDs only ever reach a storage key through an HMAC, so a crafted role name or
accessor cannot address another key, and a storage dump reveals no usable secret ID.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from reconciler.store.auth.token_fields import TokenParams
from reconciler.store.storage.view import StorageView
from reconciler.store.timefmt import ZERO_TIME, rfc3339nano

FORMAT_VERSION = 1


@dataclass
class Role:
    """An AppRole role. Invariant: `name` is lowercase; `role_id` is unique in the mount."""

    name: str
    role_id: str
    bind_secret_id: bool = True
    secret_id_bound_cidrs: list[str] = field(default_factory=list)
    secret_id_num_uses: int = 0
    secret_id_ttl: int = 0
    local_secret_ids: bool = False
    token: TokenParams = field(default_factory=TokenParams)

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"v": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Role:
        """Decode the stored form."""
        fields = {k: v for k, v in doc.items() if k != "v"}
        fields["token"] = TokenParams.from_json(fields.get("token"))
        return cls(**fields)

    def render(self) -> dict[str, Any]:
        """The read-response `data` (Vault's shape; legacy fields only when in use)."""
        return {
            "bind_secret_id": self.bind_secret_id,
            "local_secret_ids": self.local_secret_ids,
            # Vault and OpenBao read an unset list back as null, not [].
            "secret_id_bound_cidrs": list(self.secret_id_bound_cidrs) or None,
            "secret_id_num_uses": self.secret_id_num_uses,
            "secret_id_ttl": self.secret_id_ttl,
            **self.token.render(),
        }


@dataclass
class SecretIDEntry:
    """One secret ID (the ID itself is not here). Times are unix seconds; 0 = never expires.

    `num_uses` counts the logins left; 0 means unlimited.
    """

    accessor: str
    num_uses: int
    ttl: int
    creation_time: float
    expiration_time: float
    last_updated_time: float
    metadata: dict[str, str] = field(default_factory=dict)
    cidr_list: list[str] = field(default_factory=list)
    token_bound_cidrs: list[str] = field(default_factory=list)

    def expired(self, now: float) -> bool:
        """True once the TTL has run out."""
        return bool(self.expiration_time) and now >= self.expiration_time

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"v": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SecretIDEntry:
        """Decode the stored form."""
        return cls(**{k: v for k, v in doc.items() if k != "v"})

    def render(self) -> dict[str, Any]:
        """The lookup-response `data`."""
        expires = rfc3339nano(self.expiration_time) if self.expiration_time else ZERO_TIME
        return {
            "secret_id_accessor": self.accessor,
            "secret_id_num_uses": self.num_uses,
            "secret_id_ttl": self.ttl,
            "creation_time": rfc3339nano(self.creation_time),
            "expiration_time": expires,
            "last_updated_time": rfc3339nano(self.last_updated_time),
            "metadata": dict(self.metadata),
            "cidr_list": list(self.cidr_list),
            "token_bound_cidrs": list(self.token_bound_cidrs),
        }


class AppRoleStore:
    """Typed access to one AppRole mount's storage."""

    def __init__(self, storage: StorageView) -> None:
        self.storage = storage
        self._key: bytes | None = None

    # -- HMAC ------------------------------------------------------------------------------

    def _salt(self) -> bytes:
        if self._key is None:
            with self.storage.transaction() as txn:
                raw = txn.get("salt")
                if raw is None:
                    raw = secrets.token_bytes(32)
                    txn.put("salt", raw)
            self._key = raw
        return self._key

    def hmac(self, value: str) -> str:
        """HMAC-SHA256 of `value` under the mount's salt, hex encoded."""
        return hmac.new(self._salt(), value.encode(), hashlib.sha256).hexdigest()

    # -- roles -----------------------------------------------------------------------------

    def get_role(self, name: str) -> Role | None:
        """The role called `name` (any case), or None."""
        doc = self.storage.get_json(f"role/{self.hmac(name.lower())}")
        return None if doc is None else Role.from_json(doc)

    def role_by_id(self, role_id: str) -> Role | None:
        """The role whose role_id is `role_id`, or None."""
        index = self.storage.get_json(f"role_id/{self.hmac(role_id)}")
        return None if index is None else self.get_role(index["name"])

    def list_roles(self) -> list[str]:
        """Role names, sorted."""
        return sorted(
            doc["name"]
            for key in self.storage.list("role/")
            if (doc := self.storage.get_json(f"role/{key}")) is not None
        )

    def put_role(self, role: Role, previous_role_id: str = "") -> None:
        """Store `role` and keep the role-ID index in step (one transaction)."""
        with self.storage.transaction() as txn:
            if previous_role_id and previous_role_id != role.role_id:
                txn.delete(f"role_id/{self.hmac(previous_role_id)}")
            txn.put_json(f"role_id/{self.hmac(role.role_id)}", {"name": role.name})
            txn.put_json(f"role/{self.hmac(role.name)}", role.to_json())

    def role_id_taken(self, role_id: str, by_other_than: str) -> bool:
        """True when `role_id` already belongs to a role other than `by_other_than`."""
        index = self.storage.get_json(f"role_id/{self.hmac(role_id)}")
        return index is not None and index["name"] != by_other_than

    def delete_role(self, role: Role) -> None:
        """Remove the role, its role-ID index, and all its secret IDs and accessors."""
        folder = self.hmac(role.name)
        with self.storage.transaction() as txn:
            txn.delete(f"role/{folder}")
            txn.delete(f"role_id/{self.hmac(role.role_id)}")
            txn.delete_all(f"secret_id/{folder}/")
            txn.delete_all(f"accessor/{folder}/")

    # -- secret IDs ------------------------------------------------------------------------

    def _secret_key(self, role: Role, secret_id: str) -> str:
        return f"secret_id/{self.hmac(role.name)}/{self.hmac(secret_id)}"

    def _accessor_key(self, role: Role, accessor: str) -> str:
        return f"accessor/{self.hmac(role.name)}/{self.hmac(accessor)}"

    def add_secret_id(self, role: Role, secret_id: str, entry: SecretIDEntry) -> bool:
        """Store a new secret ID; False (and nothing stored) if that ID already exists."""
        key = self._secret_key(role, secret_id)
        with self.storage.transaction() as txn:
            if txn.get(key) is not None:
                return False
            txn.put_json(key, entry.to_json())
            txn.put_json(
                self._accessor_key(role, entry.accessor), {"secret_id_hmac": key.rsplit("/")[-1]}
            )
        return True

    def get_secret_id(self, role: Role, secret_id: str) -> SecretIDEntry | None:
        """The entry for `secret_id` under `role`, or None."""
        doc = self.storage.get_json(self._secret_key(role, secret_id))
        return None if doc is None else SecretIDEntry.from_json(doc)

    def delete_secret_id(self, role: Role, secret_id: str) -> None:
        """Destroy a secret ID and its accessor (missing is not an error)."""
        entry = self.get_secret_id(role, secret_id)
        with self.storage.transaction() as txn:
            txn.delete(self._secret_key(role, secret_id))
            if entry is not None:
                txn.delete(self._accessor_key(role, entry.accessor))

    def secret_hmac_for_accessor(self, role: Role, accessor: str) -> str | None:
        """The stored HMAC of the secret ID behind `accessor`, or None."""
        doc = self.storage.get_json(self._accessor_key(role, accessor))
        return None if doc is None else str(doc["secret_id_hmac"])

    def get_by_hmac(self, role: Role, secret_hmac: str) -> SecretIDEntry | None:
        """The entry stored under a secret-ID HMAC, or None."""
        doc = self.storage.get_json(f"secret_id/{self.hmac(role.name)}/{secret_hmac}")
        return None if doc is None else SecretIDEntry.from_json(doc)

    def delete_by_accessor(self, role: Role, accessor: str) -> bool:
        """Destroy the secret ID behind `accessor`; False when there is none."""
        secret_hmac = self.secret_hmac_for_accessor(role, accessor)
        if secret_hmac is None:
            return False
        with self.storage.transaction() as txn:
            txn.delete(f"secret_id/{self.hmac(role.name)}/{secret_hmac}")
            txn.delete(self._accessor_key(role, accessor))
        return True

    def entries(self, role: Role) -> list[tuple[str, SecretIDEntry]]:
        """Every (secret HMAC, entry) of the role."""
        prefix = f"secret_id/{self.hmac(role.name)}/"
        out = []
        for key in self.storage.list(prefix):
            doc = self.storage.get_json(prefix + key)
            if doc is not None:
                out.append((key, SecretIDEntry.from_json(doc)))
        return out

    def consume(self, role: Role, secret_id: str, now: float) -> SecretIDEntry | None:
        """Use a secret ID once, atomically: None if unknown, expired or used up.

        The read, the decrement and the delete at zero happen in one storage transaction,
        so two concurrent logins can never both spend the last use.
        """
        key = self._secret_key(role, secret_id)
        with self.storage.transaction() as txn:
            doc = txn.get_json(key)
            if doc is None:
                return None
            entry = SecretIDEntry.from_json(doc)
            if entry.expired(now) or entry.num_uses < 0:
                txn.delete(key)
                txn.delete(self._accessor_key(role, entry.accessor))
                return None
            if entry.num_uses == 1:
                txn.delete(key)
                txn.delete(self._accessor_key(role, entry.accessor))
            elif entry.num_uses > 1:
                txn.put_json(key, {**doc, "num_uses": entry.num_uses - 1, "last_updated_time": now})
        return entry

    def tidy(self, now: float) -> int:
        """Delete expired secret IDs of every role; returns how many went."""
        removed = 0
        for name in self.list_roles():
            role = self.get_role(name)
            if role is None:
                continue
            for secret_hmac, entry in self.entries(role):
                if entry.expired(now):
                    with self.storage.transaction() as txn:
                        txn.delete(f"secret_id/{self.hmac(role.name)}/{secret_hmac}")
                        txn.delete(self._accessor_key(role, entry.accessor))
                    removed += 1
        return removed
