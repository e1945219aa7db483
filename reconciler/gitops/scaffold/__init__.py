"""`sealkeep init`: scaffold a new GitOps repo shaped like examples/platform."""

from reconciler.gitops.scaffold.init import InitResult, ScaffoldError, init_repo

__all__ = ["InitResult", "ScaffoldError", "init_repo"]
