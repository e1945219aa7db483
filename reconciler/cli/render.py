"""Render results as `--format table` (aligned Key/Value columns, like the vault CLI) or json.

JSON output is the server's whole response, indented; tables show the part a person reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import click

from reconciler.cli.errors import UserError

Format = Literal["table", "json"]
FORMATS: tuple[Format, ...] = ("table", "json")


def format_value(value: Any) -> str:
    """One table cell, spelled as the vault CLI spells Go values."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = " ".join(f"{k}:{format_value(v)}" for k, v in sorted(value.items()))
        return f"map[{inner}]"
    return str(value)


def columns(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned table: headers, a dashed rule under each, then the rows."""
    cells = [list(headers), ["-" * len(h) for h in headers]]
    cells += [[format_value(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["    ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def key_values(pairs: Mapping[str, Any], sort: bool = True) -> str:
    """A Key/Value table of `pairs`."""
    items = sorted(pairs.items()) if sort else list(pairs.items())
    return columns(("Key", "Value"), items)


def to_json(value: Any) -> str:
    """Indented JSON, as the vault CLI prints with -format=json."""
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def emit(fmt: Format, raw: Any, table: Mapping[str, Any], sort: bool = True) -> None:
    """Print `raw` as JSON, or `table` as Key/Value rows."""
    if fmt == "json":
        click.echo(to_json(raw))
    elif table:
        click.echo(key_values(table, sort))


def emit_rows(fmt: Format, raw: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print `raw` as JSON, or `rows` under `headers`."""
    click.echo(to_json(raw) if fmt == "json" else columns(headers, rows))


def emit_keys(fmt: Format, raw: Any, keys: Sequence[str]) -> None:
    """Print a LIST answer: JSON, or one key a line under `Keys`."""
    if fmt == "json":
        click.echo(to_json(raw))
    else:
        click.echo("\n".join(["Keys", "----", *keys]))


def emit_sections(fmt: Format, raw: Any, sections: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Print `raw` as JSON, or each non-empty section as a titled Key/Value table."""
    if fmt == "json":
        click.echo(to_json(raw))
        return
    blocks = []
    for title, pairs in sections:
        if pairs:
            table = key_values(pairs)
            width = max(len(title) + 8, len(table.splitlines()[0]))
            banner = f" {title} ".center(width, "=")
            blocks.append(f"{banner}\n{table}")
    click.echo("\n\n".join(blocks))


def emit_field(data: Mapping[str, Any] | None, field: str) -> None:
    """Print one field's value alone (no newline added to strings, as `vault -field` does)."""
    if not data or field not in data:
        raise UserError(f"field {field!r} is not in the answer")
    value = data[field]
    if isinstance(value, str):
        click.echo(value, nl=False)
    else:
        click.echo(to_json(value) if isinstance(value, dict | list) else format_value(value))


def done(message: str) -> None:
    """A one-line success message, as `Success! ...` in the vault CLI."""
    click.echo(f"Success! {message}")
