"""Reads and the changes of one dependency level run on a bounded pool of connections
(`SEALKEEP_CONNECTIONS`); outcomes still come in plan order."""

from __future__ import annotations

import pytest

from reconciler.gitops.apply.runner import ApplyOptions, apply_plan
from reconciler.gitops.live.session import connections
from reconciler.vocabulary.errors import SealkeepError
from tests.gitops.plan.conftest import Reconcile


@pytest.mark.parametrize("size", ["1", "3"])
def test_outcomes_come_in_plan_order_whatever_the_pool(
    reconcile: Reconcile, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    monkeypatch.setenv("SEALKEEP_CONNECTIONS", size)
    plan = reconcile.plan()
    seen: list[str] = []
    options = ApplyOptions(
        root=reconcile.repo.root, identities=reconcile.repo.identities, actor="tester",
        on_outcome=lambda o: seen.append(str(o.ref)),
    )  # fmt: skip
    result = apply_plan(plan, reconcile.client, options)
    assert result.ok
    assert seen == [str(o.ref) for o in result.outcomes] == [str(c.ref) for c in plan.changes]
    assert not reconcile.plan().has_changes


@pytest.mark.parametrize("value", ["0", "-2", "eight"])
def test_an_unusable_pool_size_is_a_user_error_naming_the_variable(value: str) -> None:
    with pytest.raises(SealkeepError, match=f"SEALKEEP_CONNECTIONS='{value}'"):
        connections({"SEALKEEP_CONNECTIONS": value})
    assert connections({}) == 8
