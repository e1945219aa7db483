"""A clean repo (no findings) that each lint test changes in one way; real age keys."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from pyrage import x25519

from reconciler.gitops.lint import Finding, LintReport, lint_repo
from reconciler.gitops.sops import CreationRule, encrypt_tree
from reconciler.gitops.sops.config import SECRET_DEFAULT_SELECTION

CONFIG = """manifests: [.]
store:
  snapshot_schedule: "0 3 * * *"
"""

MOUNTS = """apiVersion: sealkeep.io/v1
kind: SecretsEngine
metadata: {name: secret}
spec: {path: secret, type: kv-v2}
---
apiVersion: sealkeep.io/v1
kind: AuthMethod
metadata: {name: approle}
spec: {path: approle, type: approle}
---
apiVersion: sealkeep.io/v1
kind: AuditDevice
metadata: {name: file}
spec: {path: file, type: file, options: {file_path: /var/log/sealkeep/audit.log}}
"""

POLICY = """apiVersion: sealkeep.io/v1
kind: Policy
metadata: {name: app}
spec:
  rules:
    - path: secret/data/app/*
      capabilities: [read]
"""

APPROLE = """apiVersion: sealkeep.io/v1
kind: AppRole
metadata: {name: app}
spec:
  token_policies: [app]
  token_ttl: 1h
  token_max_ttl: 4h
  secret_id_ttl: 24h
  secret_id_bound_cidrs: [10.0.0.0/8]
"""


def write(root: Path, relative: str, text: str) -> Path:
    """Write a file under `root`, creating folders."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_secret(
    root: Path, relative: str, name: str, kv_path: str, data: Mapping[str, str], recipient: str
) -> Path:
    """A Secret manifest really encrypted with SOPS for `recipient`."""
    tree = {
        "apiVersion": "sealkeep.io/v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "spec": {"mount": "secret", "path": kv_path, "data": dict(data)},
    }
    rule = CreationRule(age=(recipient,), selection=SECRET_DEFAULT_SELECTION)
    return write(root, relative, encrypt_tree(tree, [recipient], rule))


def ids(report: LintReport) -> list[str]:
    """The rule IDs of a report's findings, in order."""
    return [f.rule_id for f in report.findings]


def only(report: LintReport, rule_id: str) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in report.findings if f.rule_id == rule_id]


@pytest.fixture
def recipient() -> str:
    """A fresh age recipient (the identity is not needed: lint never decrypts)."""
    return str(x25519.Identity.generate().to_public())


@pytest.fixture
def clean(tmp_path: Path, recipient: str) -> Path:
    """A repo that lints with no finding at all."""
    root = tmp_path / "clean"
    write(root, "sealkeep.yaml", CONFIG)
    write(root, "mounts.yaml", MOUNTS)
    write(root, "policy.yaml", POLICY)
    write(root, "approle.yaml", APPROLE)
    write_secret(root, "app-secret.yaml", "app", "app/config", {"api_key": "k-123"}, recipient)
    report = lint_repo(root)
    assert report.findings == (), [str(f) for f in report.findings]
    return root
