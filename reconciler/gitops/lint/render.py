"""Lint output as text (one line per finding) and JSON (findings, summary, rule metadata)."""

from __future__ import annotations

import json
from typing import Literal

from reconciler.gitops.lint.engine import LintReport
from reconciler.gitops.lint.model import Rule
from reconciler.gitops.lint.sarif import to_sarif

LintFormat = Literal["text", "json", "sarif"]
FORMATS: tuple[LintFormat, ...] = ("text", "json", "sarif")
JSON_FORMAT_VERSION = 1


def summary_line(report: LintReport) -> str:
    """`2 errors, 1 warning` (or `no findings`)."""
    if not report.findings:
        return "no findings"
    errors = f"{report.errors} error{'s' if report.errors != 1 else ''}"
    warnings = f"{report.warnings} warning{'s' if report.warnings != 1 else ''}"
    return f"{errors}, {warnings}"


def to_text(report: LintReport) -> str:
    """`file:line:col: ID severity: message` per finding, then the summary."""
    lines = [str(f) for f in report.findings]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _rule_json(rule: Rule) -> dict[str, object]:
    return {
        "id": rule.id,
        "name": rule.name,
        "severity": rule.severity.value,
        "title": rule.title,
        "why": rule.why,
        "fix": rule.fix,
    }


def to_json(report: LintReport) -> str:
    """A JSON document: format version, findings, counts and the rules that ran."""
    document = {
        "kind": "sealkeep-lint",
        # `format_version` as every --format json document has; `version` is kept for
        # readers written before it.
        "format_version": JSON_FORMAT_VERSION,
        "version": JSON_FORMAT_VERSION,
        "findings": [
            {
                "rule": f.rule_id,
                "severity": f.severity.value,
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "subject": f.subject,
                "message": f.message,
            }
            for f in report.findings
        ],
        "summary": {"errors": report.errors, "warnings": report.warnings},
        "rules": [_rule_json(r) for r in report.rules],
    }
    return json.dumps(document, indent=2) + "\n"


def render(report: LintReport, fmt: LintFormat) -> str:
    """The report in one of FORMATS."""
    if fmt == "json":
        return to_json(report)
    if fmt == "sarif":
        return to_sarif(report)
    return to_text(report)
