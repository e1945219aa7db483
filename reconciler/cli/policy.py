"""`sealkeep policy list|read|write|delete|fmt`: ACL policies."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import Session, stdin, store_command, user_input
from reconciler.cli.render import done, emit, emit_keys
from reconciler.client import policies
from reconciler.client.args import read_source


@click.group("policy")
def policy() -> None:
    """Manage ACL policies."""


@policy.command("list")
@store_command
def list_(session: Session) -> None:
    """List the policy names."""
    listing = policies.list_policies(session.client())
    emit_keys(session.fmt, listing.raw, listing.keys)


@policy.command("read")
@click.argument("name")
@store_command
def read(session: Session, name: str) -> None:
    """Print policy NAME (its HCL text, or the full answer with -format json)."""
    result = policies.read_policy(session.client(), name)
    if session.fmt == "json":
        emit("json", result.raw, {})
    else:
        click.echo(str(result.data.get("policy", "")).rstrip("\n"))


@policy.command("write")
@click.argument("name")
@click.argument("source", metavar="FILE|-")
@store_command
def write(session: Session, name: str, source: str) -> None:
    """Create or replace policy NAME from FILE (or `-` for stdin); HCL or JSON."""
    text = read_source(source, stdin())
    policies.write_policy(session.client(), name, text, "stdin" if source == "-" else source)
    done(f"Uploaded policy: {name}")


@policy.command("delete")
@click.argument("name")
@store_command
def delete(session: Session, name: str) -> None:
    """Delete policy NAME."""
    policies.delete_policy(session.client(), name)
    done(f"Deleted policy: {name}")


@policy.command("fmt")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@user_input
def fmt(file: Path) -> None:
    """Rewrite FILE as canonical HCL, in place (offline; no server needed)."""
    changed = policies.format_policy_file(file)
    done(f"Formatted policy: {file}" if changed else f"{file} is already canonical")
