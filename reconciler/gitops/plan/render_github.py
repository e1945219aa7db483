"""The GitHub Actions view of a Plan: workflow-command annotations and the step summary.

Annotations (`::warning file=...,line=...::message`) put load diagnostics and destructive
changes (deletes and replacements) on the manifest lines of the pull request's diff; the
Markdown plan goes to the file `GITHUB_STEP_SUMMARY` names. Nothing here holds a secret
value: messages name objects and addresses only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reconciler.gitops.manifests.diagnostics import Diagnostic, Severity
from reconciler.gitops.manifests.source import Span
from reconciler.gitops.plan.model import Action, Change, Plan
from reconciler.gitops.plan.render_markdown import render_markdown
from reconciler.gitops.plan.render_text import destroy_lines, display_order

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
Level = Literal["error", "warning", "notice"]
DESTRUCTIVE = {
    Action.DELETE: "deletes",
    Action.REPLACE: "deletes and recreates",
}


@dataclass(frozen=True)
class Annotation:
    """One workflow command: level, optional file/line (relative to the workspace), text."""

    level: Level
    message: str
    title: str | None = None
    file: str | None = None
    line: int | None = None
    col: int | None = None

    def command(self) -> str:
        """`::level file=F,line=L,title=T::message`, escaped as the runner expects."""
        props = []
        if self.file is not None:
            props.append(f"file={_escape_property(self.file)}")
        if self.line is not None:
            props.append(f"line={self.line}")
        if self.col is not None:
            props.append(f"col={self.col}")
        if self.title is not None:
            props.append(f"title={_escape_property(self.title)}")
        joined = " " + ",".join(props) if props else ""
        return f"::{self.level}{joined}::{_escape_data(self.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _in_workspace(path: str, prefix: str) -> str:
    return f"{prefix.rstrip('/')}/{path}" if prefix and prefix != "." else path


def diagnostic_annotation(diagnostic: Diagnostic, prefix: str = "") -> Annotation:
    """A load diagnostic on its file and line (`prefix`: the repo root in the workspace)."""
    level: Level = "error" if diagnostic.severity is Severity.ERROR else "warning"
    subject = f"{diagnostic.subject}: " if diagnostic.subject else ""
    where = f"{diagnostic.json_path}: " if diagnostic.json_path else ""
    return Annotation(
        level,
        f"{subject}{where}{diagnostic.message}",
        title="sealkeep validate",
        file=_in_workspace(diagnostic.path, prefix),
        line=diagnostic.line,
        col=diagnostic.column,
    )


def _change_annotation(change: Change, where: Span | None, prefix: str) -> Annotation:
    verb = DESTRUCTIVE[change.action]
    reasons = "; ".join(change.notes)
    message = f"apply {verb} {change.ref} ({change.ref.address})"
    if reasons:
        message += f": {reasons}"
    if where is None:
        message += " (no longer declared in Git)"
        return Annotation("warning", message, title=f"sealkeep plan: {change.action.verb}")
    return Annotation(
        "warning",
        message,
        title=f"sealkeep plan: {change.action.verb}",
        file=_in_workspace(where.path, prefix),
        line=where.line,
    )


def plan_annotations(plan: Plan, prefix: str = "") -> list[Annotation]:
    """Annotations for the plan's warnings and for every delete and replacement."""
    found = [diagnostic_annotation(d, prefix) for d in plan.warnings]
    # The deletion guard's verdict comes first: an error when apply will refuse the plan.
    level: Level = "notice" if plan.destroy.allowed else "error"
    for line in destroy_lines(plan):
        found.append(Annotation(level, line, title="sealkeep plan: destroy"))
    for kept in plan.kept:
        message = (
            f"prune keeps {kept.ref} ({kept.ref.address}): it holds {kept.unmanaged} "
            "object(s) the reconciler does not manage"
        )
        found.append(Annotation("warning", message, title="sealkeep plan: kept"))
    for change in display_order(plan):
        if change.action in DESTRUCTIVE:
            where = plan.locations.get(str(change.ref))
            found.append(_change_annotation(change, where, prefix))
    return found


def render_annotations(annotations: Iterable[Annotation]) -> str:
    """One workflow command a line."""
    return "".join(a.command() + "\n" for a in annotations)


def append_step_summary(plan: Plan, environ: Mapping[str, str]) -> Path | None:
    """Append the Markdown plan to the step summary file when running under Actions; the
    file written, or None when `GITHUB_STEP_SUMMARY` is not set."""
    target = environ.get(SUMMARY_ENV)
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as summary:
        summary.write(render_markdown(plan) + "\n")
    return path


def workspace_prefix(root: Path, environ: Mapping[str, str]) -> str:
    """Where the repo root sits in `GITHUB_WORKSPACE` (annotations name workspace paths);
    '' when not under Actions or the root is outside the workspace."""
    workspace = environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return ""
    try:
        return root.resolve().relative_to(Path(workspace).resolve()).as_posix()
    except ValueError:
        return ""
