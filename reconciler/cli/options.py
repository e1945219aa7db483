"""Options every store command shares: -address, -token, -format; and the error mapping."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.cli.errors import user_errors
from reconciler.cli.render import FORMATS, Format

if TYPE_CHECKING:  # hvac is imported when a client is made, not to parse options
    import hvac

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Session:
    """Where to connect and how to print: from the options, else VAULT_* as the vault CLI."""

    address: str | None
    token: str | None
    fmt: Format

    def client(self) -> hvac.Client:
        """A connected hvac client."""
        from reconciler.client.connection import connect

        return connect(self.address, self.token)


def user_input(func: F) -> F:
    """Show the client's errors (bad input, failed requests) the one way errors are shown."""
    return user_errors(func)


def store_command(func: F) -> F:
    """Give a command -address/-token/-format as one `session`; map the client's errors."""

    @functools.wraps(func)
    def wrapper(*args: Any, address: str | None, token: str | None, fmt: str, **kw: Any) -> Any:
        session = Session(address=address, token=token, fmt="json" if fmt == "json" else "table")
        return func(*args, session=session, **kw)

    decorated: Any = user_input(wrapper)
    decorated = click.option(
        "-format",
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        envvar="VAULT_FORMAT",
        show_default=True,
        help="Output: aligned table or the full response as JSON.",
    )(decorated)
    decorated = click.option(
        "-token",
        "--token",
        "token",
        default=None,
        help="Token to use (default: VAULT_TOKEN, then ~/.vault-token).",
    )(decorated)
    decorated = click.option(
        "-address",
        "--address",
        "address",
        default=None,
        help="Server URL (default: VAULT_ADDR, then http://127.0.0.1:8200).",
    )(decorated)
    return decorated  # type: ignore[no-any-return]


def stdin() -> Any:
    """The text stdin (CliRunner swaps sys.stdin in tests)."""
    return sys.stdin
