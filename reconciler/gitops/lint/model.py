"""Lint rules and findings: what a rule checks, why it matters, and where it fired."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reconciler.gitops.manifests import Severity, Span

if TYPE_CHECKING:
    from reconciler.gitops.lint.context import LintContext


@dataclass(frozen=True, order=True)
class Finding:
    """One rule firing at one place, printed as `file:line:col: ID severity: message`.

    Invariant: `message` never holds a secret value (only key paths, names and kinds);
    `path` is POSIX and relative to the linted root.
    """

    path: str
    line: int
    column: int
    rule_id: str
    message: str
    severity: Severity = Severity.ERROR
    subject: str | None = None

    @classmethod
    def at(cls, span: Span, rule_id: str, message: str, subject: str | None = None) -> Finding:
        """A finding located at `span` (severity set later from the rule and the config)."""
        return cls(span.path, span.line, span.column, rule_id, message, subject=subject)

    def with_severity(self, severity: Severity) -> Finding:
        """This finding at another severity."""
        return replace(self, severity=severity)

    def __str__(self) -> str:
        subject = f"{self.subject}: " if self.subject else ""
        return (
            f"{self.path}:{self.line}:{self.column}: {self.rule_id} "
            f"{self.severity.value}: {subject}{self.message}"
        )


Check = Callable[["LintContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A lint rule: a stable ID (SK001...), a short name, its default severity and its text.

    `why` says what goes wrong if the finding is ignored; `fix` says how to make it go away.
    `needs_manifests` rules are skipped when the manifests do not load.
    """

    id: str
    name: str
    severity: Severity
    title: str
    why: str
    fix: str
    check: Check
    needs_manifests: bool = True
    tags: tuple[str, ...] = ("security",)
