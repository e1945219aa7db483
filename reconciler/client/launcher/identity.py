"""Log in as the platform identity (`--auth`), or use the token every command uses.

Credentials are read from files or the environment, never from argv: a command line is
visible to every user of the machine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import hvac

from reconciler.client.aws_signing import iam_login_fields
from reconciler.client.connection import resolve_token
from reconciler.client.errors import ClientInputError
from reconciler.client.results import as_json

AuthKind = Literal["approle", "kubernetes", "jwt", "aws"]
AUTH_KINDS: tuple[AuthKind, ...] = ("approle", "kubernetes", "jwt", "aws")
K8S_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


@dataclass(frozen=True)
class Identity:
    """How `run` logs in. `auth` None means: the caller's token (VAULT_TOKEN, ~/.vault-token).

    File options win over their environment variables (SEALKEEP_ROLE_ID, SEALKEEP_SECRET_ID).
    """

    auth: AuthKind | None = None
    mount: str = ""
    role: str = ""
    role_id_file: Path | None = None
    secret_id_file: Path | None = None
    jwt_file: Path | None = None
    header_value: str = ""
    region: str = ""


@dataclass
class Session:
    """A token and when to renew it. `logged_in` tokens are ours to revoke at the end."""

    token: str
    ttl: int
    renewable: bool
    logged_in: bool
    accessor: str = ""
    renew_at: float = field(default=0.0)
    first_ttl: int = 0

    def schedule(self, ttl: int) -> None:
        """Renew when two thirds of `ttl` have passed (never, for a token without a TTL)."""
        self.ttl = ttl
        self.first_ttl = self.first_ttl or ttl
        self.renew_at = time.monotonic() + ttl * 2 / 3 if ttl else float("inf")


def _read(path: Path | None, env: str, what: str) -> str:
    if path is not None:
        try:
            value = path.read_text().strip()
        except OSError as exc:
            raise ClientInputError(
                f"cannot read the {what}: {exc.strerror}", where=str(path)
            ) from None
        if not value:
            raise ClientInputError(f"the {what} file is empty", where=str(path))
        return value
    value = os.environ.get(env, "").strip()
    if not value:
        raise ClientInputError(f"no {what}: give its file, or set {env}")
    return value


def _login_body(identity: Identity) -> dict[str, object]:
    if identity.auth == "approle":
        body: dict[str, object] = {
            "role_id": _read(identity.role_id_file, "SEALKEEP_ROLE_ID", "role id")
        }
        if identity.secret_id_file is not None or os.environ.get("SEALKEEP_SECRET_ID"):
            body["secret_id"] = _read(identity.secret_id_file, "SEALKEEP_SECRET_ID", "secret id")
        return body
    if identity.auth == "aws":
        return iam_login_fields(identity.role, identity.header_value, identity.region)
    if not identity.role:
        raise ClientInputError(f"--auth {identity.auth} needs --role")
    default = Path(K8S_TOKEN) if identity.auth == "kubernetes" else None
    jwt = _read(identity.jwt_file or default, "SEALKEEP_JWT", "JWT")
    return {"role": identity.role, "jwt": jwt}


def start_session(client: hvac.Client, identity: Identity) -> Session:
    """Log in (or take the caller's token) and set it on `client`."""
    if identity.auth is None:
        token = client.token or resolve_token(None)
        if not token:
            raise ClientInputError(
                "no token", hint="export VAULT_TOKEN, run `sealkeep login`, or give --auth"
            )
        client.token = token
        data = as_json(client.auth.token.lookup_self()).get("data") or {}
        session = Session(
            token, 0, bool(data.get("renewable")), False, str(data.get("accessor", ""))
        )
        session.schedule(int(data.get("ttl") or 0))
        return session
    mount = (identity.mount or identity.auth).strip("/").removeprefix("auth/")
    answer = as_json(client.adapter.login(f"/v1/auth/{mount}/login", json=_login_body(identity)))
    auth = answer.get("auth") or {}
    if not auth.get("client_token"):
        raise ClientInputError(f"auth/{mount}/login answered without a token")
    session = Session(
        str(auth["client_token"]),
        0,
        bool(auth.get("renewable")),
        True,
        str(auth.get("accessor", "")),
    )
    client.token = session.token
    session.schedule(int(auth.get("lease_duration") or 0))
    return session
