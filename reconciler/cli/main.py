"""The `sealkeep` command: a click group, and one error handler mapping errors to exit codes.

Exit codes: 0 ok, 1 user error (message shown as written), 2 "changes present" for
`plan --detailed-exitcode`, 3 internal fault, 130 interrupted.
"""

from __future__ import annotations

import importlib
import sys

import click

from reconciler.cli.errors import run_with_exit_codes

# Each module exposes a click command or group named in the tuple; the order is the help order.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("reconciler.cli.server", "server"),
    ("reconciler.cli.operator", "status"),
    ("reconciler.cli.operator", "operator"),
    ("reconciler.cli.kv", "kv"),
    ("reconciler.cli.policy", "policy"),
    ("reconciler.cli.token", "token"),
    ("reconciler.cli.mounts", "secrets"),
    ("reconciler.cli.mounts", "auth"),
    ("reconciler.cli.login", "login"),
    ("reconciler.cli.generic", "read"),
    ("reconciler.cli.generic", "write"),
    ("reconciler.cli.generic", "delete"),
    ("reconciler.cli.generic", "list"),
    ("reconciler.cli.lease", "lease"),
    ("reconciler.cli.secret", "secret"),
    ("reconciler.cli.audit", "audit"),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sealkeep")
def cli() -> None:
    """Sealkeep: a Vault-compatible encrypted secrets store and a GitOps reconciler."""


def _register() -> None:
    for module_name, attribute in COMMANDS:
        module = importlib.import_module(module_name)
        command = getattr(module, attribute)
        cli.add_command(command, name=attribute)


_register()


def main() -> None:
    """Console entry point."""
    sys.exit(run_with_exit_codes(cli))


if __name__ == "__main__":
    main()
