"""Sealkeep: a Vault-compatible encrypted secrets store and a GitOps reconciler.

Seven parts, each with one import rule (checked by import-linter, see pyproject.toml):

    vocabulary  shared language: policies, durations, YAML rules, the error base (a leaf)
    store       the server core: barrier, seal, storage, engines, auth, ACL, leases, audit
    server      HTTP only, over the store
    client      the Vault HTTP API (hvac), against any Vault-compatible server
    gitops      the reconciler: manifests, SOPS, Git, live state, plan, apply and their tools
    demo        the guided story (`sealkeep demo`)
    cli         the `sealkeep` command: parse, call, render
"""

__version__ = "0.1.0"
