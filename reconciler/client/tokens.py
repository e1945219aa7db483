"""Tokens: create (and create-orphan), lookup, renew, revoke (`auth/token/...`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import hvac

from reconciler.client.errors import ClientInputError
from reconciler.client.results import Result, result_of


@dataclass(frozen=True)
class TokenRequest:
    """The options of a new token; None leaves the server's default."""

    policies: tuple[str, ...] = ()
    ttl: str | None = None
    explicit_max_ttl: str | None = None
    num_uses: int = 0
    period: str | None = None
    orphan: bool = False
    no_default_policy: bool = False
    display_name: str = "token"
    metadata: dict[str, str] = field(default_factory=dict)


def create_token(client: hvac.Client, request: TokenRequest) -> Result:
    """A new child token (or an orphan via `create-orphan`); the table shows its auth block."""
    if request.num_uses < 0:
        raise ClientInputError("-num-uses must be 0 (unlimited) or more")
    kwargs = {
        "policies": list(request.policies) or None,
        "ttl": request.ttl,
        "explicit_max_ttl": request.explicit_max_ttl,
        "num_uses": request.num_uses,
        "period": request.period,
        "no_default_policy": request.no_default_policy,
        "display_name": request.display_name,
        "meta": request.metadata or None,
    }
    token_api = client.auth.token
    answer = token_api.create_orphan(**kwargs) if request.orphan else token_api.create(**kwargs)
    return result_of(answer, "auth")


def lookup_token(client: hvac.Client, token: str | None, accessor: bool = False) -> Result:
    """Look up `token` (or, with `accessor`, the token by its accessor; none: the caller's)."""
    if accessor:
        if not token:
            raise ClientInputError("-accessor needs the accessor as the argument")
        return result_of(client.auth.token.lookup_accessor(token))
    if token:
        return result_of(client.auth.token.lookup(token))
    return result_of(client.auth.token.lookup_self())


def renew_token(client: hvac.Client, token: str | None, increment: str | None) -> Result:
    """Renew `token` (or the caller's) by `increment`; the table shows the auth block."""
    if token:
        return result_of(client.auth.token.renew(token, increment=increment), "auth")
    return result_of(client.auth.token.renew_self(increment=increment), "auth")


RevokeMode = Literal["", "orphan"]


def revoke_token(
    client: hvac.Client,
    token: str | None,
    *,
    accessor: bool = False,
    self_: bool = False,
    mode: RevokeMode = "",
) -> None:
    """Revoke a token and its children; `mode="orphan"` keeps the children as orphans."""
    if self_:
        if token or accessor or mode:
            raise ClientInputError("-self takes no token, -accessor or -mode")
        client.auth.token.revoke_self()
        return
    if not token:
        raise ClientInputError("give the token to revoke (or -accessor ACCESSOR, or -self)")
    if accessor:
        if mode:
            raise ClientInputError("-mode orphan cannot be used with -accessor")
        client.auth.token.revoke_accessor(token)
    elif mode == "orphan":
        client.auth.token.revoke_and_orphan_children(token)
    else:
        client.auth.token.revoke(token)
