"""The `sealkeep` command: a lazy click group, and one error handler mapping errors to exit codes.

Exit codes: 0 ok, 1 user error (message shown as written), 2 "changes present" for
`plan --detailed-exitcode`, 3 internal fault, 130 interrupted.

Start-up is kept fast on purpose (a CI job may call the CLI twenty times): this module
imports only click and the error handler, the COMMANDS table names where each command lives,
and only the command that runs is imported. `--help` lists the table's own help lines, so it
imports no command module either.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import NamedTuple

import click

from reconciler import __version__
from reconciler.cli.errors import run_with_exit_codes
from reconciler.cli.terminal import no_color


class Entry(NamedTuple):
    """Where a command lives and the one line `sealkeep --help` shows for it."""

    module: str
    attribute: str
    help: str


# Command name -> where it lives. Keep `help` in step with the command's docstring
# (tests/gitops/cli/test_main_cli.py checks both, and that each name is the command's own).
COMMANDS: dict[str, Entry] = {
    "server": Entry(
        "reconciler.cli.server", "server", "Run the Sealkeep store (speaks the Vault HTTP API)."
    ),
    "status": Entry(
        "reconciler.cli.operator", "status", "Show whether the server is initialised and sealed."
    ),
    "operator": Entry(
        "reconciler.cli.operator", "operator", "Initialise, unseal, seal and rotate the keys."
    ),
    "kv": Entry("reconciler.cli.kv", "kv", "Read and write KV secrets (v1 and v2)."),
    "policy": Entry("reconciler.cli.policy", "policy", "Manage ACL policies."),
    "token": Entry("reconciler.cli.token", "token", "Create, look up, renew and revoke tokens."),
    "secrets": Entry(
        "reconciler.cli.mounts", "secrets", "Enable, disable and list secrets engines."
    ),
    "auth": Entry("reconciler.cli.mounts", "auth", "Enable, disable and list auth methods."),
    "login": Entry(
        "reconciler.cli.login", "login", "Log in with an auth method and keep the token."
    ),
    "read": Entry("reconciler.cli.generic", "read", "Read any API path."),
    "write": Entry("reconciler.cli.generic", "write", "Write data to any API path."),
    "delete": Entry("reconciler.cli.generic", "delete", "Delete any API path."),
    "list": Entry("reconciler.cli.generic", "list", "List the keys under any API path."),
    "unwrap": Entry("reconciler.cli.wrapping", "unwrap", "Open a response-wrapping token."),
    "run": Entry(
        "reconciler.cli.run", "run_command", "Run a command with secrets in its environment."
    ),
    "lease": Entry("reconciler.cli.lease", "lease", "Look up, renew and revoke leases."),
    "secret": Entry(
        "reconciler.cli.secret", "secret", "Create and edit encrypted Secret manifests (SOPS)."
    ),
    "audit": Entry("reconciler.cli.audit", "audit", "Audit devices; verify and query audit files."),
    "validate": Entry(
        "reconciler.cli.validate", "validate", "Check the repo's manifests (no store needed)."
    ),
    "plan": Entry("reconciler.cli.plan", "plan", "Show what apply would change in the store."),
    "apply": Entry("reconciler.cli.apply", "apply", "Apply a saved plan, or plan and apply."),
    "drift": Entry(
        "reconciler.cli.drift", "drift", "Find managed objects changed outside Git (exit 2)."
    ),
    "history": Entry(
        "reconciler.cli.history", "history", "Show who applied what, when and from which commit."
    ),
    "import": Entry("reconciler.cli.importcmd", "import_", "Adopt live objects that Git declares."),
    "export": Entry(
        "reconciler.cli.export", "export", "Write the manifests that describe a live server."
    ),
    "lint": Entry(
        "reconciler.cli.lint", "lint", "Check the repo for the anti-patterns of secrets-as-code."
    ),
    "check-secrets": Entry(
        "reconciler.cli.lint", "check_secrets", "Refuse Secret manifests with a value in clear."
    ),
    "merge-driver": Entry(
        "reconciler.cli.mergedriver", "merge_driver", "Merge SOPS files value by value (Git)."
    ),
    "init": Entry("reconciler.cli.init", "init", "Scaffold a Sealkeep repo."),
    "demo": Entry("reconciler.cli.demo", "demo", "Run the whole story on an embedded store."),
    "watch": Entry("reconciler.cli.watch", "watch", "Re-plan a working tree on every change."),
    "reconcile": Entry(
        "reconciler.cli.reconcile", "reconcile", "Keep a store in line with a Git branch."
    ),
}


def load_command(name: str) -> click.Command:
    """Import the module of command `name` and return its click command."""
    entry = COMMANDS[name]
    command = getattr(importlib.import_module(entry.module), entry.attribute)
    if not isinstance(command, click.Command):  # a wrong table row, caught by the tests
        raise TypeError(f"{entry.module}.{entry.attribute} is not a click command")
    return command


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, in the table's order (as `--help` shows them)."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command `cmd_name`, imported now; None for an unknown name."""
        if cmd_name not in COMMANDS:
            return None
        return load_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands with the table's help lines, importing none of them."""
        rows = [(name, entry.help) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _no_color(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    # NO_COLOR (https://no-color.org) is what every renderer checks, so setting it makes the
    # option reach library code too (plan text, rich's bar) without threading a flag.
    if value:
        os.environ["NO_COLOR"] = "1"
    if no_color():
        # click.echo then strips any style a command added, in every subcommand's context.
        ctx.color = False
    return value


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sealkeep", help="Show the version and exit.")
@click.option(
    "--no-color",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_no_color,
    help="Never colour the output (as the NO_COLOR environment variable does).",
)
def cli() -> None:
    """Sealkeep: a Vault-compatible encrypted secrets store and a GitOps reconciler.

    Shell completion: eval "$(_SEALKEEP_COMPLETE=bash_source sealkeep)" (zsh_source, fish_source).
    """


def main() -> None:
    """Console entry point."""
    sys.exit(run_with_exit_codes(cli))


if __name__ == "__main__":
    main()
