"""The GitOps reconciler: Git-held manifests in, a reviewed plan out, applied with a record.

Parts, lowest first: `manifests` (YAML with line numbers, schemas, references), `sops` (the
encrypted file format), `gitsource` (manifests at a Git ref), `live` (the store as it is,
read through `reconciler.client`, and the inventory of what we manage), `plan` (desired vs
live -> Plan, and its renderings), `apply` (run a saved Plan), then the tools built on them:
`reconcile` (the long-running loop), `watch`, `lint`, `mergedriver`, `scaffold`.

Rule: it reaches a store only through `reconciler.client` (any Vault-API server, ours or
not), never `reconciler.store` or `reconciler.server`; a plan never imports apply.
"""
