"""Sealkeep: a Vault-compatible encrypted secrets store and a GitOps reconciler."""

__version__ = "0.1.0"
