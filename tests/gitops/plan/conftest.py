"""Fixtures for plan and apply tests: a repo builder and a per-test state mount."""

from __future__ import annotations

from pathlib import Path

import hvac
import pytest

from reconciler.gitops.apply.runner import ApplyOptions, ApplyResult, apply_plan
from reconciler.gitops.plan.build import PlanContext, make_plan
from reconciler.gitops.plan.model import Plan
from tests.gitops.plan.repo import Repo, basic_repo


class Reconcile:
    """Plan and apply one repo against the dev server, with its own state mount."""

    def __init__(self, repo: Repo, client: hvac.Client, state_mount: str) -> None:
        self.repo = repo
        self.client = client
        self.state_mount = state_mount

    def plan(self, prune: bool = False, allow_destroy: bool = False) -> Plan:
        """A fresh plan."""
        ctx = PlanContext(
            root=self.repo.root,
            prune=prune,
            allow_destroy=allow_destroy,
            state_mount=self.state_mount,
            identities=self.repo.identities,
            environ={},
        )
        return make_plan(ctx, client=self.client)

    def apply(self, plan: Plan, lock_timeout: float = 5.0) -> ApplyResult:
        """Apply `plan`."""
        options = ApplyOptions(
            root=self.repo.root, lock_timeout=lock_timeout, identities=self.repo.identities,
            actor="tester",
        )  # fmt: skip
        return apply_plan(plan, self.client, options)

    def converge(self, prune: bool = False) -> ApplyResult:
        """Plan and apply; the apply must succeed."""
        result = self.apply(self.plan(prune=prune))
        assert result.ok, result.outcomes
        return result


@pytest.fixture
def reconcile(tmp_path: Path, vault: hvac.Client, unique: str) -> Reconcile:
    """A basic repo (mount, auth method, policy, AppRole, Secret) named after `unique`."""
    return Reconcile(basic_repo(tmp_path / "repo", unique), vault, f"{unique}-state")


@pytest.fixture(scope="session")
def ec_public_pem() -> str:
    """A real EC public key (PEM) for JWT auth configs."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()
