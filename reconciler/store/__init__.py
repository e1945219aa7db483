"""The store's core: barrier, seal, storage, router, engines, auth methods, ACL, leases, audit.

Everything `sealkeep server` keeps and decides, with no HTTP in it: a `Request` goes in
through `Core.handle`, a `Response` or a `StoreError` (with its HTTP status) comes out.
At the root: the request path (core, runtime, framework, mounts, leases, quotas, lock-out,
wrapping). Below it: `sealing/` (barrier, Shamir, auto-unseal, key ceremonies), `storage/`,
`engines/`, `auth/`, `identity/`, `acl/`, `audit/`, `system/` (sys/* paths) and
`operations/` (HA, snapshots).

Rule: imports only `reconciler.vocabulary`; never the HTTP layer, the client, the reconciler
or the CLI.
"""
