"""The text a watch prints per cycle: only what differs from the previous plan."""

from __future__ import annotations

from datetime import datetime

from reconciler.gitops.apply.runner import ApplyResult
from reconciler.gitops.watch.delta import Delta
from reconciler.gitops.watch.watcher import WatchReport


def _blocks(title: str, blocks: tuple[tuple[str, ...], ...]) -> list[str]:
    if not blocks:
        return []
    lines = [f"{title}:"]
    for heading, *details in blocks:
        lines.append(f"  {heading}")
        lines += details
    return lines


def delta_lines(delta: Delta) -> list[str]:
    """Problems that appeared or went away, then planned changes new, altered or gone."""
    lines: list[str] = []
    if delta.new_problems:
        lines += ["New problems:", *(f"  + {p}" for p in delta.new_problems)]
    if delta.fixed_problems:
        lines += ["Fixed problems:", *(f"  - {p}" for p in delta.fixed_problems)]
    lines += _blocks("New changes", delta.new_changes)
    lines += _blocks("Changed since the last plan", delta.altered_changes)
    if delta.dropped_changes:
        lines += ["No longer planned:", *(f"  {h}" for h in delta.dropped_changes)]
    return lines


def _applied_lines(result: ApplyResult) -> list[str]:
    lines = []
    for outcome in result.outcomes:
        error = f": {outcome.error}" if outcome.error else ""
        lines.append(f"  {outcome.status:<11} {outcome.action:<7} {outcome.ref}{error}")
    if result.ok:
        return [*lines, f"Applied {len(result.applied)} change(s) (apply {result.apply_id})."]
    return [*lines, f"Apply failed (apply {result.apply_id}); the next change plans again."]


def render_report(report: WatchReport, now: datetime | None = None) -> str:
    """One cycle's report as text, headed by the time and what set it off."""
    stamp = (now or datetime.now()).strftime("%H:%M:%S")
    cause = f"changed: {', '.join(report.paths)}" if report.paths else "initial plan"
    lines = [f"[{stamp}] {cause}"]
    body = delta_lines(report.delta)
    lines += body or ["No difference since the last plan."]
    if report.delta.summary and (body or report.cycle == 1):
        lines.append(report.delta.summary)
    if report.applied is not None:
        lines += _applied_lines(report.applied)
    return "\n".join(lines) + "\n"
