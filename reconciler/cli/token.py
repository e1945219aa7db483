"""`sealkeep token create|lookup|renew|revoke`."""

from __future__ import annotations

import click

from reconciler.cli.options import Session, store_command
from reconciler.cli.render import done, emit
from reconciler.client import tokens
from reconciler.client.args import parse_pairs
from reconciler.client.results import JSONDict


@click.group("token")
def token() -> None:
    """Create, look up, renew and revoke tokens."""


def _auth_table(auth: JSONDict) -> JSONDict:
    return {
        "token": auth.get("client_token"),
        "token_accessor": auth.get("accessor"),
        "token_duration": auth.get("lease_duration"),
        "token_renewable": auth.get("renewable"),
        "token_policies": auth.get("token_policies"),
        "policies": auth.get("policies"),
    }


@token.command("create")
@click.option("-policy", "--policy", "policies", multiple=True, help="Repeat for several.")
@click.option("-ttl", "--ttl", default=None, help="Time to live, e.g. 1h.")
@click.option(
    "-explicit-max-ttl", "--explicit-max-ttl", default=None,
    help="A hard limit renewals cannot pass, e.g. 24h.",
)  # fmt: skip
@click.option(
    "-num-uses", "--num-uses", type=int, default=0, show_default=True,
    help="Requests the token may make (0: unlimited).",
)  # fmt: skip
@click.option("-period", "--period", default=None, help="A periodic token renewed by this.")
@click.option("-orphan", "--orphan", is_flag=True, help="A token with no parent.")
@click.option(
    "-no-default-policy", "--no-default-policy", is_flag=True,
    help="Leave out the `default` policy.",
)  # fmt: skip
@click.option(
    "-display-name", "--display-name", default="token", show_default=True,
    help="A name shown in the audit log.",
)  # fmt: skip
@click.option("-metadata", "--metadata", multiple=True, help="key=value, repeated.")
@store_command
def create(
    session: Session,
    policies: tuple[str, ...],
    ttl: str | None,
    explicit_max_ttl: str | None,
    num_uses: int,
    period: str | None,
    orphan: bool,
    no_default_policy: bool,
    display_name: str,
    metadata: tuple[str, ...],
) -> None:
    """Create a token; prints it (the one time it is shown) with its accessor and policies."""
    request = tokens.TokenRequest(
        policies=tuple(p for item in policies for p in item.split(",") if p),
        ttl=ttl,
        explicit_max_ttl=explicit_max_ttl,
        num_uses=num_uses,
        period=period,
        orphan=orphan,
        no_default_policy=no_default_policy,
        display_name=display_name,
        metadata=parse_pairs(metadata, "-metadata"),
    )
    result = tokens.create_token(session.client(), request)
    emit(session.fmt, result.raw, _auth_table(result.data), sort=False)


@token.command("lookup")
@click.argument("token_arg", metavar="[TOKEN]", required=False)
@click.option("-accessor", "--accessor", is_flag=True, help="The argument is an accessor.")
@store_command
def lookup(session: Session, token_arg: str | None, accessor: bool) -> None:
    """Show a token's properties (the caller's when no TOKEN is given)."""
    result = tokens.lookup_token(session.client(), token_arg, accessor)
    table = {k: v for k, v in result.data.items() if k != "id"}
    emit(session.fmt, result.raw, table)


@token.command("renew")
@click.argument("token_arg", metavar="[TOKEN]", required=False)
@click.option("-increment", "-i", "--increment", default=None, help="e.g. 1h")
@store_command
def renew(session: Session, token_arg: str | None, increment: str | None) -> None:
    """Renew a token's lease (the caller's when no TOKEN is given)."""
    result = tokens.renew_token(session.client(), token_arg, increment)
    table = _auth_table(result.data)
    table.pop("token")
    emit(session.fmt, result.raw, table, sort=False)


@token.command("revoke")
@click.argument("token_arg", metavar="[TOKEN]", required=False)
@click.option("-accessor", "--accessor", is_flag=True, help="The argument is an accessor.")
@click.option("-self", "--self", "self_", is_flag=True, help="Revoke the caller's token.")
@click.option(
    "-mode",
    "--mode",
    type=click.Choice(["orphan"]),
    default=None,
    help="orphan: revoke the token only; its children become orphans.",
)
@store_command
def revoke(
    session: Session, token_arg: str | None, accessor: bool, self_: bool, mode: str | None
) -> None:
    """Revoke a token and its children."""
    tokens.revoke_token(
        session.client(),
        token_arg,
        accessor=accessor,
        self_=self_,
        mode="orphan" if mode == "orphan" else "",
    )
    done("Revoked token (if it existed)")
