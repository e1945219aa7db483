"""`sealkeep login -method=...`: authenticate and keep the token in ~/.vault-token."""

from __future__ import annotations

from typing import cast

import click

from reconciler.cli.options import Session, stdin, store_command
from reconciler.cli.render import emit
from reconciler.cli.terminal import read_secret
from reconciler.client import logins
from reconciler.client.args import parse_kv_args


def _ask(name: str) -> str:
    return read_secret(f"{name.capitalize()} (will be hidden)")


@click.command("login")
@click.argument("fields", nargs=-1, metavar="[K=V]...")
@click.option(
    "-method",
    "--method",
    type=click.Choice(logins.METHODS),
    default="token",
    show_default=True,
    help="The auth method to log in with.",
)
@click.option("-path", "--path", default=None, help="Where the method is mounted (auth/PATH).")
@click.option("-no-store", "--no-store", is_flag=True, help="Print the token; do not save it.")
@store_command
def login(
    session: Session, fields: tuple[str, ...], method: str, path: str | None, no_store: bool
) -> None:
    """Log in with an auth method and keep the token: `-method=approle role_id=... secret_id=-`.

    A value `-` is read from stdin.

    Passwords and tokens are asked for, hidden, when not given. The token is saved to
    ~/.vault-token unless -no-store, in which case it is printed instead.
    """
    result = logins.login(
        session.client(),
        cast(logins.Method, method),
        parse_kv_args(fields, stdin()),
        _ask,
        path=path,
        store=not no_store,
    )
    where = f"(stored in {result.stored_at})" if result.stored_at else result.token
    emit(session.fmt, result.raw, {"token": where, **result.data}, sort=False)
