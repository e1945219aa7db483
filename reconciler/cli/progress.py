"""Apply's live report: each change's outcome printed as it happens, and on a terminal a
progress bar (rich, which honours NO_COLOR) for long applies. Nothing but the outcome lines
on a pipe or in CI."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from reconciler.gitops.apply.history import Outcome

# Short applies finish before a bar would help; a bar appears from this many changes.
PROGRESS_FROM = 20
MARKS = {"applied": "ok", "failed": "FAILED", "not applied": "skipped", "server config": "config"}
COLOURS = {"applied": "green", "failed": "red", "not applied": "yellow", "server config": "cyan"}


def outcome_line(outcome: Outcome) -> str:
    """`  ok       create   Kind/name (address)`, with the error of a failed change."""
    error = f": {outcome.error}" if outcome.error else ""
    mark = click.style(
        f"{MARKS.get(outcome.status, outcome.status):<8}", fg=COLOURS.get(outcome.status)
    )
    return f"  {mark} {outcome.action:<8} {outcome.ref} ({outcome.ref.address}){error}"


@dataclass
class LiveReport:
    """Callbacks for ApplyOptions: `start(total)` then `outcome(o)` per change."""

    bar: bool
    _progress: Progress | None = field(default=None, init=False)
    _task: int | None = field(default=None, init=False)

    def start(self, total: int) -> None:
        """Show a progress bar (terminal, long apply only)."""
        if not self.bar or total < PROGRESS_FROM:
            return
        # The bar shares stdout with the outcome lines, which rich prints above it.
        console = Console()
        self._progress = Progress(
            TextColumn("Applying"), BarColumn(), MofNCompleteColumn(),
            console=console, transient=True,
        )  # fmt: skip
        self._progress.start()
        self._task = self._progress.add_task("apply", total=total)

    def outcome(self, outcome: Outcome) -> None:
        """Print one outcome now (above the bar, when there is one)."""
        line = outcome_line(outcome)
        if self._progress is not None and self._task is not None:
            self._progress.console.print(Text.from_ansi(line), highlight=False)
            self._progress.advance(self._task)
            return
        click.echo(line)

    def stop(self) -> None:
        """Remove the bar."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


@contextmanager
def live_report() -> Iterator[LiveReport]:
    """A LiveReport with a bar only when stdout is a terminal; the bar always goes away."""
    report = LiveReport(bar=sys.stdout.isatty())
    try:
        yield report
    finally:
        report.stop()
