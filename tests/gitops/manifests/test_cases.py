"""Positive and negative example repos: each negative one must print exactly its expected.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.gitops.manifests import load_repo
from tests.gitops.manifests.conftest import (
    CASES,
    needs_policy_parser,
    policy_parser_present,
)

POSITIVE = sorted(p for p in (CASES / "positive").iterdir() if p.is_dir())
NEGATIVE = sorted(p for p in (CASES / "negative").iterdir() if p.is_dir())
# Plaintext placed in negative cases on purpose: it must never reach a diagnostic.
PLAINTEXTS = ("sk_live_hunter2", "correct-horse-battery")


def _skip_without_parser(case: Path) -> None:
    if needs_policy_parser(case) and not policy_parser_present():
        pytest.skip("policy parser not yet present")


def test_there_are_enough_negative_cases() -> None:
    assert len(NEGATIVE) >= 12


@pytest.mark.parametrize("case", POSITIVE, ids=lambda p: p.name)
def test_positive_case_loads_cleanly(case: Path) -> None:
    _skip_without_parser(case)
    result = load_repo(case)
    assert [str(d) for d in result.diagnostics] == []
    assert result.desired is not None
    assert len(result.desired) > 0


@pytest.mark.parametrize("case", NEGATIVE, ids=lambda p: p.name)
def test_negative_case_reports_exactly_expected(case: Path) -> None:
    _skip_without_parser(case)
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    result = load_repo(case)
    assert [str(d) for d in result.diagnostics] == expected
    assert result.desired is None


@pytest.mark.parametrize("case", NEGATIVE, ids=lambda p: p.name)
def test_negative_case_never_prints_a_secret(case: Path) -> None:
    _skip_without_parser(case)
    printed = "\n".join(str(d) for d in load_repo(case).diagnostics)
    for plaintext in PLAINTEXTS:
        assert plaintext not in printed
