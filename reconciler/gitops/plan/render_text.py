"""The human view of a Plan: one block per change, symbols `+ ~ - ±`, a summary line.

Colour only when asked (the CLI asks when stdout is a terminal; click.style output is
stripped when NO_COLOR or --no-color says so). Deletes come first, in red, so a reviewer
sees what is destroyed before anything else. Secret values never appear: a Secret shows
its key names and value fingerprints.
"""

from __future__ import annotations

from collections.abc import Iterable

import click

from reconciler.gitops.live.model import ObjectRef
from reconciler.gitops.plan.model import Action, Change, FilesChanged, Plan, PlanSource

COLOURS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}
COLOURS[Action.REPLACE] = "magenta"
KEY_SYMBOLS = {"added": "+", "changed": "~", "removed": "-"}


def _paint(text: str, colour: str | None, color: bool, bold: bool = False) -> str:
    return click.style(text, fg=colour, bold=bold) if color and colour else text


def change_lines(change: Change) -> list[str]:
    """The detail lines of one change (no colour), indented by four spaces."""
    lines = []
    for note in change.notes:
        lines.append(f"    # {note}")
    for field in change.fields:
        if change.action is Action.CREATE:
            lines.append(f"    {field.path}: {field.after}")
        else:
            lines.append(f"    {field.path}: {field.before} -> {field.after}")
    for key in change.keys:
        symbol = KEY_SYMBOLS[key.change]
        if key.change == "changed":
            lines.append(f"    {symbol} key {key.key}: {key.before} -> {key.after}")
        else:
            lines.append(f"    {symbol} key {key.key}: {key.after or key.before}")
    return lines


def change_heading(change: Change) -> str:
    """`+ Kind/name (address)`."""
    return f"{change.action.value} {change.ref} ({change.ref.address})"


def display_order(plan: Plan) -> list[Change]:
    """The changes as shown: deletes first (in execution order), then the rest."""
    deletes = [c for c in plan.changes if c.action is Action.DELETE]
    return deletes + [c for c in plan.changes if c.action is not Action.DELETE]


def destroy_lines(plan: Plan) -> list[str]:
    """What the deletion guard says: why apply refuses the plan, or that it was allowed."""
    reasons = plan.destroy_reasons()
    if not reasons:
        return []
    if plan.destroy.allowed:
        return [f"Destroy allowed (--allow-destroy): {r}." for r in reasons]
    return [
        *(f"Apply will refuse this plan: {r}." for r in reasons),
        "Plan again with --allow-destroy if this is intended.",
    ]


def kept_lines(plan: Plan) -> list[str]:
    """Mounts prune keeps because they hold objects the reconciler does not manage."""
    if not plan.kept:
        return []
    title = "Kept (removed from Git, but holds data the reconciler does not manage; not deleted)"
    items = [f"  {m.ref} ({m.ref.address}): {m.unmanaged} unmanaged object(s)" for m in plan.kept]
    return ["", f"{title}:", *items]


def _refs(title: str, refs: Iterable[ObjectRef]) -> list[str]:
    items = list(refs)
    if not items:
        return []
    return ["", f"{title}:", *(f"  {r} ({r.address})" for r in items)]


def source_line(source: PlanSource) -> str:
    """`Commit 1a2b3c4d5e6f (ref main) by Alice <a@x>: subject`, marking a dirty tree."""
    ref = f" ({source.ref})" if source.ref else ""
    dirty = " + uncommitted changes" if source.dirty else ""
    return f"Commit {source.short}{ref}{dirty} by {source.author}: {source.subject}"


def files_changed_lines(files: FilesChanged) -> list[str]:
    """The "Files changed in this pull request" section, one file a line."""
    lines = [
        f"Files changed in this pull request (against {files.base}, from {files.base_commit[:12]}):"
    ]
    if not files.files:
        lines.append("  (no manifest file changed)")
    for item in files.files:
        where = f"{item.old_path} -> {item.path}" if item.old_path else item.path
        lines.append(f"  {item.status:<9} {where}")
    return lines


def unchanged_line(plan: Plan) -> str | None:
    """`Skipped (unchanged since <sha>): N object(s) in M file(s) not read.`"""
    if plan.unchanged is None:
        return None
    found = plan.unchanged
    return (
        f"Skipped (unchanged since {found.since[:12]}): {len(found.refs):,} object(s) in "
        f"{found.files:,} file(s) not read; run a full plan to check them for drift."
    )


def _context(plan: Plan) -> list[str]:
    commit = f" at commit {plan.commit[:12]}" if plan.commit else ""
    lines = [f"Target {plan.target.name} ({plan.target.address}){commit}"]
    if plan.source is not None:
        lines.append(source_line(plan.source))
    if plan.ephemeral_fingerprints:
        lines.append("Note: the fingerprint key could not be stored; fingerprints are per-run.")
    lines += [f"Note: {note}" for note in plan.notes]
    if plan.files_changed is not None:
        lines += ["", *files_changed_lines(plan.files_changed)]
    return lines


def render_text(plan: Plan, color: bool = False) -> str:
    """The whole plan as text, ending with the summary line."""
    lines = [*_context(plan), ""]
    if not plan.changes:
        lines.append("No changes. The store matches the repo.")
    for change in display_order(plan):
        colour = COLOURS[change.action]
        lines.append(_paint("  " + change_heading(change), colour, color, bold=True))
        lines += [_paint(line, colour, color) for line in change_lines(change)]
    lines += kept_lines(plan)
    if plan.adopt:
        lines += _refs("Adopted into the inventory (already in sync)", (a.ref for a in plan.adopt))
    lines += _refs("Forgotten (managed, gone from Git and from the store)", plan.forget)
    lines += _refs("Managed but removed from Git (kept; use --prune to delete)", plan.orphans)
    lines += _refs("Unmanaged (in the store, not in Git; left alone)", plan.unmanaged)
    lines += _refs("Not reconciled (kind not supported by this reconciler)", plan.skipped)
    unchanged = unchanged_line(plan)
    if unchanged is not None:
        lines += ["", unchanged]
    lines += ["", _paint(plan.summary().line(), None, color, bold=True)]
    guard = destroy_lines(plan)
    if guard:
        colour = "yellow" if plan.destroy.allowed else "red"
        lines += [_paint(line, colour, color, bold=True) for line in guard]
    return "\n".join(lines) + "\n"
