"""The `sealkeep` command: a click group, and one error handler mapping errors to exit codes.

Exit codes: 0 ok, 1 user error (message shown as written), 2 "changes present" for
`plan --detailed-exitcode`, 3 internal fault, 130 interrupted.
"""

from __future__ import annotations

import importlib
import sys

import click

from reconciler.cli.errors import run_with_exit_codes

# (module, attribute): each attribute is a click command or group, registered under its own
# command name (e.g. `merge_driver` is `sealkeep merge-driver`).
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
    ("reconciler.cli.validate", "validate"),
    ("reconciler.cli.plan", "plan"),
    ("reconciler.cli.apply", "apply"),
    ("reconciler.cli.drift", "drift"),
    ("reconciler.cli.history", "history"),
    ("reconciler.cli.importcmd", "import_"),
    ("reconciler.cli.lint", "lint"),
    ("reconciler.cli.lint", "check_secrets"),
    ("reconciler.cli.mergedriver", "merge_driver"),
    ("reconciler.cli.init", "init"),
    ("reconciler.cli.demo", "demo"),
    ("reconciler.cli.watch", "watch"),
    ("reconciler.cli.reconcile", "reconcile"),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sealkeep")
def cli() -> None:
    """Sealkeep: a Vault-compatible encrypted secrets store and a GitOps reconciler."""


def _register() -> None:
    for module_name, attribute in COMMANDS:
        module = importlib.import_module(module_name)
        command = getattr(module, attribute)
        cli.add_command(command)


_register()


def main() -> None:
    """Console entry point."""
    sys.exit(run_with_exit_codes(cli))


if __name__ == "__main__":
    main()
