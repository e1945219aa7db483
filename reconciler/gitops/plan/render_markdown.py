"""The pull-request view of a Plan: a summary table and each change folded in <details>.

GitHub refuses comments over 65,536 characters; the rendering stays under that and says
how many changes it left out when it has to truncate.
"""

from __future__ import annotations

from reconciler.gitops.plan.model import Action, Change, FilesChanged, Plan
from reconciler.gitops.plan.render_text import (
    change_heading,
    change_lines,
    destroy_lines,
    display_order,
    kept_lines,
    source_line,
    unchanged_line,
)

GITHUB_COMMENT_LIMIT = 65_536
RESERVE = 1_000
LABELS = {
    Action.CREATE: "to add",
    Action.UPDATE: "to change",
    Action.REPLACE: "to replace",
    Action.DELETE: "to destroy",
}


def _table(plan: Plan) -> list[str]:
    summary = plan.summary()
    counts = {
        Action.CREATE: summary.add,
        Action.UPDATE: summary.change,
        Action.REPLACE: summary.replace,
        Action.DELETE: summary.destroy,
    }
    order = (Action.DELETE, Action.CREATE, Action.UPDATE, Action.REPLACE)
    rows = [f"| `{a.value}` | {LABELS[a]} | {counts[a]} |" for a in order]
    extra = [
        ("adopted", len(plan.adopt)),
        ("unmanaged (left alone)", len(plan.unmanaged)),
        ("removed from Git (kept)", len(plan.orphans)),
    ]
    rows += [f"| | {label} | {n} |" for label, n in extra if n]
    return ["| | action | objects |", "|---|---|---:|", *rows]


def _section(change: Change) -> str:
    body = "\n".join(line.removeprefix("    ") for line in change_lines(change)) or "(no details)"
    heading = change_heading(change).replace("<", "&lt;")
    return (
        f"<details><summary><code>{heading}</code></summary>\n\n"
        f"```diff\n{body}\n```\n\n</details>\n"
    )


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def files_section(files: FilesChanged) -> list[str]:
    """The "Files changed in this pull request" table: what the PR changes, beside what the
    store will see (the plan)."""
    lines = [
        "#### Files changed in this pull request",
        "",
        f"Against {_code(files.base)} (from {_code(files.base_commit[:12])}):",
        "",
    ]
    if not files.files:
        return [*lines, "_No manifest file changed._", ""]
    lines += ["| file | change |", "|---|---|"]
    for item in files.files:
        where = _code(item.path)
        if item.old_path:
            where = f"{_code(item.old_path)} → {where}"
        lines.append(f"| {where} | {item.status} |")
    return [*lines, ""]


def _context(plan: Plan) -> list[str]:
    lines = []
    if plan.source is not None:
        lines.append(source_line(plan.source).replace("<", "&lt;"))
    lines += [f"> {note}" for note in plan.notes]
    if lines:
        lines.append("")
    if plan.files_changed is not None:
        lines += files_section(plan.files_changed)
    return lines


def render_markdown(plan: Plan, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The plan as a PR comment, at most `limit` characters."""
    commit = f" at `{plan.commit[:12]}`" if plan.commit else ""
    head = [f"### Sealkeep plan for `{plan.target.name}`{commit}", "", *_context(plan)]
    head += [*_table(plan), ""]
    unchanged = unchanged_line(plan)
    if unchanged is not None:
        head += [f"_{unchanged}_", ""]
    head.append(f"**{plan.summary().line()}**\n")
    head += [f"> **{line}**" for line in destroy_lines(plan)]
    head += [f"- {line.strip()}" if line.startswith("  ") else line for line in kept_lines(plan)]
    head.append("\n")
    text = "\n".join(head)
    if not plan.changes:
        return text + "\nNo changes. The store matches the repo.\n"
    budget = limit - RESERVE
    shown = 0
    for change in display_order(plan):
        section = _section(change)
        if len(text) + len(section) > budget:
            break
        text += section
        shown += 1
    left = len(plan.changes) - shown
    if left:
        text += (
            f"\n_… {left} more change(s) not shown: the comment is truncated to stay under "
            f"GitHub's {limit:,}-character limit. Run `sealkeep plan` for the full plan._\n"
        )
    if plan.unmanaged:
        text += f"\n{len(plan.unmanaged)} unmanaged object(s) in the store are left alone.\n"
    return text
