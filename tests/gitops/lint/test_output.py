"""Text, JSON and SARIF 2.1.0 renderings of one lint report."""

from __future__ import annotations

import json
from pathlib import Path

import git
import jsonschema

from reconciler.gitops.lint import RULES, lint_repo, render
from tests.gitops.lint.conftest import write

# What GitHub code scanning requires of an uploaded SARIF file (docs: "SARIF support for code
# scanning"), written as a JSON Schema so the test names the missing piece.
GITHUB_SARIF = {
    "type": "object",
    "required": ["version", "runs", "$schema"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "name": {"type": "string", "minLength": 1},
                                    "version": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": [
                                                "id",
                                                "shortDescription",
                                                "fullDescription",
                                                "help",
                                                "defaultConfiguration",
                                                "properties",
                                            ],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "shortDescription": {
                                                    "type": "object",
                                                    "required": ["text"],
                                                },
                                                "fullDescription": {
                                                    "type": "object",
                                                    "required": ["text"],
                                                },
                                                "help": {"type": "object", "required": ["text"]},
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {
                                                        "level": {
                                                            "enum": [
                                                                "none",
                                                                "note",
                                                                "warning",
                                                                "error",
                                                            ]
                                                        }
                                                    },
                                                },
                                                "properties": {
                                                    "type": "object",
                                                    "properties": {
                                                        "tags": {
                                                            "type": "array",
                                                            "items": {"type": "string"},
                                                        },
                                                        "security-severity": {
                                                            "type": "string",
                                                            "pattern": "^[0-9]+(\\.[0-9])?$",
                                                        },
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "message", "locations", "level"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "partialFingerprints": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 10,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {
                                                            "uri": {
                                                                "type": "string",
                                                                "pattern": "^[^/]",
                                                            }
                                                        },
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine"],
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                            "startColumn": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def _findings_repo(root: Path) -> None:
    write(root, "policies/wide.hcl", 'path "secret/*" { capabilities = ["read", "sudo"] }\n')


def test_text_lines_and_summary(clean: Path) -> None:
    _findings_repo(clean)
    assert render(lint_repo(clean), "text") == (
        "policies/wide.hcl:1:1: SK001 error: Policy/wide: path 'secret/*' grants [read, sudo] on a whole mount\n"
        "policies/wide.hcl:1:1: SK002 warning: Policy/wide: path 'secret/*' grants sudo\n"
        "1 error, 1 warning\n"
    )
    assert render(lint_repo(clean, only=["SK005"]), "text") == "no findings\n"


def test_json_has_findings_summary_and_rules(clean: Path) -> None:
    _findings_repo(clean)
    document = json.loads(render(lint_repo(clean), "json"))
    assert document["version"] == 1
    assert (document["kind"], document["format_version"]) == ("sealkeep-lint", 1)
    assert document["summary"] == {"errors": 1, "warnings": 1}
    assert document["findings"][0] == {
        "rule": "SK001",
        "severity": "error",
        "path": "policies/wide.hcl",
        "line": 1,
        "column": 1,
        "subject": "Policy/wide",
        "message": "path 'secret/*' grants [read, sudo] on a whole mount",
    }
    assert [r["id"] for r in document["rules"]] == [r.id for r in RULES]
    assert all(r["why"] and r["fix"] for r in document["rules"])


def test_sarif_is_what_github_code_scanning_accepts(clean: Path) -> None:
    _findings_repo(clean)
    log = json.loads(render(lint_repo(clean), "sarif"))
    jsonschema.validate(log, GITHUB_SARIF)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    first = run["results"][0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"] == "SK001"
    assert first["level"] == "error"
    assert (
        first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policies/wide.hcl"
    )
    assert rules[first["ruleIndex"]]["defaultConfiguration"]["level"] == "error"


def test_sarif_uris_are_relative_to_the_git_top(tmp_path: Path, clean: Path) -> None:
    _findings_repo(clean)
    git.Repo.init(clean.parent, initial_branch="main")
    log = json.loads(render(lint_repo(clean), "sarif"))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert uri == "clean/policies/wide.hcl"


def test_an_empty_report_is_valid_sarif(clean: Path) -> None:
    log = json.loads(render(lint_repo(clean), "sarif"))
    jsonschema.validate(log, GITHUB_SARIF)
    assert log["runs"][0]["results"] == []
