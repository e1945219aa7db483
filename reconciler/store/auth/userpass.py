"""The userpass auth method (`auth/userpass/`): people log in with a name and a password.

Passwords are stored only as argon2id hashes. A wrong password and an unknown user get the
same answer after the same work (an unknown user is checked against a dummy hash), so the
endpoint cannot be used to find out which users exist.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any, ClassVar, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reconciler.store.auth.cidr import addr_allowed
from reconciler.store.auth.token_fields import TokenParams, login_display_name, token_fields
from reconciler.store.errors import BadRequest, InvalidCredentials, NotFound, PermissionDenied
from reconciler.store.framework import Backend, Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Auth, Operation, Request, Response

INVALID_LOGIN = "invalid username or password"
USER = r"(?P<username>[A-Za-z0-9._@-]{1,256})"
LEGACY = ("policies", "ttl", "max_ttl", "bound_cidrs")
FORMAT_VERSION = 1

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters

USER_FIELDS: dict[str, Field] = {
    "username": Field(FieldType.STRING, ""),
    "password": Field(FieldType.STRING, ""),
    **token_fields(LEGACY),
}
PASSWORD_FIELDS: dict[str, Field] = {
    "username": Field(FieldType.STRING, ""),
    "password": Field(FieldType.STRING, ""),
}
POLICY_FIELDS: dict[str, Field] = {
    "username": Field(FieldType.STRING, ""),
    "policies": USER_FIELDS["policies"],
    "token_policies": USER_FIELDS["token_policies"],
}


@cache
def _dummy_hash() -> str:
    # Made once per process with the same parameters as real hashes, so verifying an
    # unknown user costs what verifying a real one does.
    return _HASHER.hash(secrets.token_urlsafe(24))


@dataclass
class User:
    """A userpass user. Invariant: `name` is lowercase; `password_hash` is argon2id."""

    name: str
    password_hash: str
    token: TokenParams = field(default_factory=TokenParams)

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"v": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> User:
        """Decode the stored form."""
        fields = {k: v for k, v in doc.items() if k != "v"}
        fields["token"] = TokenParams.from_json(fields.get("token"))
        return cls(**fields)


def _hash_password(data: FieldData) -> str:
    password = data.get("password")
    if not password:
        raise BadRequest("missing password")
    return _HASHER.hash(password)


class UserpassBackend(Backend):
    """Userpass: users with argon2id password hashes and token settings."""

    type_name: ClassVar[str] = "userpass"
    mount_class: ClassVar[Literal["secret", "auth"]] = "auth"

    def paths(self) -> list[PathSpec]:
        """The userpass path table."""
        return [
            PathSpec(
                rf"login/{USER}",
                {Operation.UPDATE: self._login},
                PASSWORD_FIELDS,
                unauthenticated=True,
                slow=True,  # argon2id: off the request lock
            ),
            PathSpec("users/?", {Operation.LIST: self._list}),
            PathSpec(
                rf"users/{USER}",
                {
                    Operation.READ: self._read,
                    Operation.UPDATE: self._write,
                    Operation.DELETE: self._delete,
                },
                USER_FIELDS,
                existence_check=self._exists,
                slow=True,
            ),
            PathSpec(
                rf"users/{USER}/password",
                {Operation.UPDATE: self._set_password},
                PASSWORD_FIELDS,
                slow=True,
            ),
            PathSpec(
                rf"users/{USER}/policies", {Operation.UPDATE: self._set_policies}, POLICY_FIELDS
            ),
        ]

    # -- storage ---------------------------------------------------------------------------

    @staticmethod
    def _name(data: FieldData) -> str:
        return str(data.get("username")).lower()

    def _get(self, name: str) -> User | None:
        doc = self.storage.get_json(f"user/{name}")
        return None if doc is None else User.from_json(doc)

    def _put(self, user: User) -> None:
        self.storage.put_json(f"user/{user.name}", user.to_json())

    def _require(self, data: FieldData) -> User:
        user = self._get(self._name(data))
        if user is None:
            raise NotFound()
        return copy.deepcopy(user)

    # -- users -----------------------------------------------------------------------------

    def _exists(self, req: Request, data: FieldData) -> bool:
        return self._get(self._name(data)) is not None

    def _list(self, req: Request, data: FieldData) -> Response:
        names = [k for k in self.storage.list("user/") if not k.endswith("/")]
        if not names:
            raise NotFound()
        return Response(data={"keys": names})

    def _read(self, req: Request, data: FieldData) -> Response:
        # Only the token settings: the hash never leaves the store.
        return Response(data=self._require(data).token.render())

    def _write(self, req: Request, data: FieldData) -> None:
        name = self._name(data)
        existing = self._get(name)
        if existing is None:
            user = User(name=name, password_hash=_hash_password(data))
        else:
            user = copy.deepcopy(existing)
            if data.present("password"):
                user.password_hash = _hash_password(data)
        user.token.update(data, LEGACY)
        self._put(user)

    def _delete(self, req: Request, data: FieldData) -> None:
        self.storage.delete(f"user/{self._name(data)}")

    def _set_password(self, req: Request, data: FieldData) -> None:
        user = self._require(data)
        user.password_hash = _hash_password(data)
        self._put(user)

    def _set_policies(self, req: Request, data: FieldData) -> None:
        user = self._require(data)
        user.token.update(data, ("policies",))
        self._put(user)

    # -- login -----------------------------------------------------------------------------

    def _login(self, req: Request, data: FieldData) -> Response:
        password = data.get("password")
        if not password:
            raise BadRequest("missing password")
        user = self._get(self._name(data))
        matches = _verify(user.password_hash if user else _dummy_hash(), password)
        if user is None:
            raise BadRequest(INVALID_LOGIN)
        if not matches:  # a real user's wrong password: counts toward the user lock-out
            raise InvalidCredentials(INVALID_LOGIN)
        if not addr_allowed(req.remote_addr, user.token.bound_cidrs):
            raise PermissionDenied()
        self._maybe_rehash(user, password)
        auth = user.token.fill(Auth())
        auth.metadata = {"username": user.name}
        auth.alias_name = user.name
        auth.display_name = login_display_name(self.ctx.mount.path, user.name)
        return Response(auth=auth)

    def _maybe_rehash(self, user: User, password: str) -> None:
        # Hashes made with weaker parameters are upgraded on the next good login.
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
            self._put(user)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
