"""`sealkeep lint` and `sealkeep check-secrets`: parse options, call the lint library, render.

Exit codes: 0 no error-severity finding (warnings allowed), 1 errors found or bad input
(raised as UserError, so the status survives however the command is run).
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.errors import UserError, user_errors
from reconciler.gitops.lint import (
    FORMATS,
    HistoryScope,
    LintFormat,
    check_files,
    lint_repo,
    render,
    summary_line,
)

_ROOT = click.Path(path_type=Path, file_okay=False, exists=True)


@click.command("lint")
@click.argument("path", type=_ROOT, default=".")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text (file:line:col: ID severity: message), json or sarif (GitHub code scanning).",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write here.")
@click.option("--only", multiple=True, metavar="ID", help="Run only this rule (repeatable).")
@click.option("--base", default=None, metavar="REF", help="Scan the history of BASE..HEAD.")
@click.option("--all-history", is_flag=True, help="Scan every commit reachable from HEAD.")
@user_errors
def lint(
    path: Path,
    fmt: LintFormat,
    out: Path | None,
    only: tuple[str, ...],
    base: str | None,
    all_history: bool,
) -> None:
    """Check the repo at PATH for the anti-patterns of secrets-as-code (rules SK000-SK013)."""
    history = HistoryScope(base=base, all_history=all_history)
    report = lint_repo(path, only=only or None, history=history)
    rendered = render(report, fmt)
    if out is None:
        click.echo(rendered, nl=False)
    else:
        out.write_text(rendered, encoding="utf-8")
        click.echo(render(report, "text"), nl=False)
        click.echo(f"wrote {out} ({summary_line(report)})", err=True)
    if report.has_errors:
        # An exception rather than ctx.exit, so the status survives standalone_mode=False.
        raise UserError(f"lint found {summary_line(report)}")


@click.command("check-secrets")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
def check_secrets(files: tuple[Path, ...]) -> None:
    """Refuse Secret manifests holding a value in clear (for a pre-commit hook)."""
    findings = check_files(files)
    for finding in findings:
        click.echo(str(finding))
    if findings:
        raise UserError(f"{len(findings)} secret value(s) in clear: encrypt them before committing")
