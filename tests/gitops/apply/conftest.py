"""Apply tests reuse the plan tests' fixtures."""

from tests.gitops.plan.conftest import ec_public_pem, reconcile

__all__ = ["ec_public_pem", "reconcile"]
