"""Lint findings as SARIF 2.1.0, the form GitHub code scanning uploads accept.

Each rule carries its metadata (short and full description, help text, default level); each
result points at a file relative to the repository root (`%SRCROOT%`) with a line and column,
and has a partial fingerprint so GitHub tracks one alert across commits.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from reconciler.gitops.lint.model import Finding, Rule
from reconciler.gitops.manifests import Severity

if TYPE_CHECKING:
    from reconciler.gitops.lint.engine import LintReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://sealkeep.io/docs/lint"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}
# GitHub ranks security alerts by this score (0.1-10): errors are high, warnings medium.
_SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0"}


def _tool_version() -> str:
    try:
        return version("sealkeep")
    except PackageNotFoundError:
        return "0.0.0"


def _rule(rule: Rule) -> dict[str, object]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.why},
        "help": {
            "text": f"{rule.why}\n\nHow to fix: {rule.fix}",
            "markdown": f"{rule.why}\n\n**How to fix:** {rule.fix}",
        },
        "helpUri": f"{INFORMATION_URI}#{rule.id.lower()}",
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": list(rule.tags),
            "precision": "high",
            "security-severity": _SECURITY_SEVERITY[rule.severity],
        },
    }


def _uri(prefix: str, path: str) -> str:
    return f"{prefix}/{path}" if prefix else path


def _fingerprint(finding: Finding) -> str:
    text = f"{finding.rule_id}:{finding.path}:{finding.subject}:{finding.message}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _result(finding: Finding, index: dict[str, int], prefix: str) -> dict[str, object]:
    subject = f"{finding.subject}: " if finding.subject else ""
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": _LEVEL[finding.severity],
        "message": {"text": f"{subject}{finding.message}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": _uri(prefix, finding.path),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {"startLine": finding.line, "startColumn": finding.column},
                }
            }
        ],
        "partialFingerprints": {"sealkeepFindingHash/v1": _fingerprint(finding)},
    }


def to_sarif(report: LintReport) -> str:
    """The report as a SARIF 2.1.0 log with one run."""
    rules = list(report.rules)
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = [_result(f, index, report.uri_prefix) for f in report.findings if f.rule_id in index]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sealkeep",
                        "informationUri": INFORMATION_URI,
                        "version": _tool_version(),
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "automationDetails": {"id": "sealkeep-lint/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
