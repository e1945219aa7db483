"""`-wrap-ttl` for the commands that read or write, and `sealkeep unwrap [TOKEN]`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.cli.options import Session, store_command
from reconciler.cli.render import emit, emit_field
from reconciler.client import wrapping

F = TypeVar("F", bound=Callable[..., Any])


def wrap_ttl_option(func: F) -> F:
    """Add `-wrap-ttl` (passed on as `wrap_ttl`), as the vault CLI has it."""
    option = click.option(
        "-wrap-ttl",
        "--wrap-ttl",
        "wrap_ttl",
        default=None,
        help="Wrap the answer in a single-use token valid this long (e.g. 5m).",
    )
    return option(func)  # type: ignore[return-value]


def emit_if_wrapped(session: Session, raw: dict[str, Any], field: str | None = None) -> bool:
    """Print a wrapped answer's wrapping token (never anything else); True when it was one."""
    info = wrapping.wrap_info(raw)
    if info is None:
        return False
    if field:  # `-field=wrapping_token` as the vault CLI allows
        emit_field({"wrapping_token": info.get("token"), **info}, field)
    else:
        emit(session.fmt, raw, wrapping.wrap_info_rows(info), sort=False)
    return True


@click.command("unwrap")
@click.argument("wrapping_token", metavar="TOKEN", required=False)
@click.option("-field", "--field", default=None, help="Print only this field's value.")
@store_command
def unwrap(session: Session, wrapping_token: str | None, field: str | None) -> None:
    """Open a wrapping TOKEN (once); without TOKEN, the client's own token is the wrapper."""
    result = wrapping.unwrap(session.client(), wrapping_token)
    if field:
        emit_field(result.data, field)
    else:
        emit(session.fmt, result.raw, result.data)
