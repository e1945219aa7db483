"""`sealkeep merge-driver`: Git calls `sealkeep merge-driver %O %A %B %P`; `install` sets it up.

Exit codes (Git reads any non-zero as "conflict, leave the file as ours"): 0 merged,
1 conflict or a file that cannot be decrypted. Failures are raised as UserError so the status
survives any way of running the command.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.errors import UserError, user_errors
from reconciler.gitops.mergedriver import DEFAULT_PATTERNS, MergeConflict, install, merge_files
from reconciler.gitops.sops import SopsError

_FILE = click.Path(path_type=Path, dir_okay=False, exists=True)


class _DriverGroup(click.Group):
    """A group whose bare form (`merge-driver %O %A %B %P`) runs the `run` subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("merge-driver", cls=_DriverGroup)
def merge_driver() -> None:
    """Merge SOPS-encrypted files value by value (a Git merge driver)."""


@merge_driver.command("run")
@click.argument("base", type=_FILE)
@click.argument("ours", type=_FILE)
@click.argument("theirs", type=_FILE)
@click.argument("path", required=False, default=None)
def run(base: Path, ours: Path, theirs: Path, path: str | None) -> None:
    """Merge BASE and THEIRS into OURS (%O %A %B); PATH (%P) names the file in messages."""
    shown = path or str(ours)
    try:
        outcome = merge_files(base, ours, theirs, shown)
    except (MergeConflict, SopsError) as exc:
        # An exception, not ctx.exit: Git must see a non-zero status however we are run.
        raise UserError(f"sealkeep merge-driver: {exc}") from None
    if not outcome.merged:
        raise UserError(f"sealkeep merge-driver: {outcome.message}")
    click.echo(f"sealkeep merge-driver: {outcome.message}", err=True)


@merge_driver.command("install")
@click.argument("root", type=click.Path(path_type=Path, file_okay=False, exists=True), default=".")
@click.option(
    "--pattern",
    "patterns",
    multiple=True,
    metavar="GLOB",
    help=f"Files the driver merges (repeatable; default: {', '.join(DEFAULT_PATTERNS)}).",
)
@user_errors
def install_command(root: Path, patterns: tuple[str, ...]) -> None:
    """Set merge.sealkeep.driver in the repo's Git config and add .gitattributes lines."""
    result = install(root, patterns or DEFAULT_PATTERNS)
    for line in result.added:
        click.echo(f"{result.attributes}: added '{line}'")
    click.echo("git config: merge.sealkeep.driver set (commit .gitattributes to share it)")


if __name__ == "__main__":
    # `python -m reconciler.cli.mergedriver %O %A %B %P` works without the console script.
    merge_driver(prog_name="sealkeep merge-driver")
