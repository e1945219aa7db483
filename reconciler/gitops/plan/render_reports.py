"""Versioned JSON for CI: the shapes `validate --format json` and `drift --format json`
print (documented in docs/json-output.md). Every document carries `kind` and
`format_version`; a field is only ever added within a version, never renamed or removed.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.gitops.manifests import Diagnostic, LoadResult
from reconciler.gitops.plan.drift import DriftReport

REPORT_FORMAT_VERSION = 1


def diagnostic_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """One diagnostic: where, what object, which field, how bad, and the message."""
    return {
        "file": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "severity": diagnostic.severity.value,
        "object": diagnostic.subject,
        "json_path": diagnostic.json_path,
        "message": diagnostic.message,
    }


def validation_json(result: LoadResult, ref: str | None) -> str:
    """`{"kind": "sealkeep-validate", "format_version": 1, "ok", "ref", "objects", ...}`."""
    count = len(result.desired) if result.desired is not None else 0
    document = {
        "kind": "sealkeep-validate",
        "format_version": REPORT_FORMAT_VERSION,
        "ok": result.ok,
        "ref": ref,
        "objects": count if result.ok else None,
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
    }
    return json.dumps(document, indent=2) + "\n"


def drift_json(report: DriftReport) -> str:
    """`{"kind": "sealkeep-drift", "format_version": 1, "checked", "drifted": [...]}`; a
    secret's entry names its keys only, never a value."""
    document = {
        "kind": "sealkeep-drift",
        "format_version": REPORT_FORMAT_VERSION,
        "checked": report.checked,
        "has_drift": report.has_drift,
        "drifted": [item.encode() for item in report.drifted],
    }
    return json.dumps(document, indent=2) + "\n"


KEY_SYMBOLS = {"added": "+", "changed": "~", "removed": "-"}


def drift_lines(report: DriftReport) -> list[str]:
    """The text view: each drifted object, then what changed (fields old -> new, secret
    keys by name only)."""
    lines: list[str] = []
    for item in report.drifted:
        what = "deleted outside Git" if item.kind == "deleted" else "changed outside Git"
        lines.append(f"  ! {item.ref} ({item.ref.address}): {what}")
        lines += [f"      {f.path}: {f.before} -> {f.after}" for f in item.fields]
        lines += [f"      {KEY_SYMBOLS[k.change]} key {k.key} ({k.change})" for k in item.keys]
        if item.kind == "changed" and not item.known:
            lines.append("      (no record of the applied fields yet: apply once to see details)")
    return lines
