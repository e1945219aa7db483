"""Diagnostics: every problem found while loading, collected and reported together."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from reconciler.gitops.manifests.source import JsonPath, Span

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class Severity(Enum):
    """How a diagnostic counts: errors block loading, warnings are only shown."""

    ERROR = "error"
    WARNING = "warning"


def format_json_path(path: JsonPath) -> str:
    """Render a JSON path as `spec.rules[0].path` (unusual keys as `data["a.b"]`)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


@dataclass(frozen=True)
class Diagnostic:
    """One problem, printed as `file:line:col: Kind/name: json.path: message`.

    `kind`/`name` are None when the object is unknown (YAML syntax, repo config); `json_path`
    is empty for problems about a whole document or file. Messages never hold secret values.
    """

    path: str
    line: int
    column: int
    message: str
    kind: str | None = None
    name: str | None = None
    json_path: str = ""
    severity: Severity = Severity.ERROR

    @classmethod
    def at(
        cls,
        span: Span,
        message: str,
        *,
        kind: str | None = None,
        name: str | None = None,
        json_path: JsonPath = (),
    ) -> Diagnostic:
        """Build a diagnostic located at `span`."""
        return cls(
            span.path, span.line, span.column, message, kind, name, format_json_path(json_path)
        )

    @property
    def subject(self) -> str | None:
        """`Kind/name` of the object concerned, if known (`?` for a missing name)."""
        if self.kind is None:
            return None
        return f"{self.kind}/{self.name or '?'}"

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order by file, then line, then column."""
        return (self.path, self.line, self.column, str(self))

    def __str__(self) -> str:
        subject = f"{self.subject}: " if self.subject else ""
        where = f"{self.json_path}: " if self.json_path else ""
        return f"{self.path}:{self.line}:{self.column}: {subject}{where}{self.message}"


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Drop exact repeats and sort by file, line and column."""
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an error (warnings alone do not block)."""
    return any(d.severity is Severity.ERROR for d in diagnostics)


def errors_only(diagnostics: Iterable[Diagnostic]) -> Iterator[Diagnostic]:
    """The error-severity diagnostics."""
    return (d for d in diagnostics if d.severity is Severity.ERROR)
