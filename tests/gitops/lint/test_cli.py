"""`sealkeep lint` and `sealkeep check-secrets` through click, with their exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.errors import run_with_exit_codes
from reconciler.cli.lint import check_secrets, lint
from tests.gitops.lint.conftest import write
from tests.gitops.lint.test_cleartext_and_config import CLEAR


def test_a_clean_repo_exits_zero(clean: Path) -> None:
    result = CliRunner().invoke(lint, [str(clean)])
    assert (result.exit_code, result.output) == (0, "no findings\n")


def test_errors_exit_one_and_warnings_do_not(clean: Path) -> None:
    write(clean, "policies/b.hcl", 'path "sys/rotate" { capabilities = ["sudo"] }\n')
    assert CliRunner().invoke(lint, [str(clean)]).exit_code == 0
    write(clean, "policies/a.hcl", 'path "secret/*" { capabilities = ["read"] }\n')
    result = CliRunner().invoke(lint, [str(clean)])
    assert result.exit_code == 1
    assert "policies/a.hcl:1:1: SK001 error:" in result.output


def test_out_writes_sarif_and_prints_text(clean: Path, tmp_path: Path) -> None:
    write(clean, "policies/a.hcl", 'path "secret/*" { capabilities = ["read"] }\n')
    out = tmp_path / "lint.sarif"
    result = CliRunner().invoke(lint, [str(clean), "--format", "sarif", "--out", str(out)])
    assert result.exit_code == 1
    assert json.loads(out.read_text())["runs"][0]["results"][0]["ruleId"] == "SK001"
    assert "SK001 error" in result.stdout
    assert f"wrote {out} (1 error, 0 warnings)" in result.stderr


def test_unknown_rule_is_a_user_error(clean: Path) -> None:
    result = CliRunner().invoke(lint, [str(clean), "--only", "SK999"])
    assert result.exit_code == 1
    assert "unknown lint rule SK999" in result.output


def test_check_secrets_refuses_cleartext(tmp_path: Path, clean: Path) -> None:
    clear = write(tmp_path, "clear.yaml", CLEAR)
    result = CliRunner().invoke(check_secrets, [str(clear), str(clean / "app-secret.yaml")])
    assert result.exit_code == 1
    assert "SK013 error: Secret/clear: spec.data.api_key is in clear" in result.output
    assert "hunter2" not in result.output
    ok = CliRunner().invoke(check_secrets, [str(clean / "app-secret.yaml")])
    assert (ok.exit_code, ok.output) == (0, "")


def test_the_exit_status_survives_the_shared_error_handler(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(clean, "policies/a.hcl", 'path "secret/*" { capabilities = ["read"] }\n')
    monkeypatch.setattr(sys, "argv", ["sealkeep-lint", str(clean)])
    assert run_with_exit_codes(lint) == 1
