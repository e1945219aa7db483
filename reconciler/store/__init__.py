"""The store's core: barrier, seal, storage, router, engines, auth methods, ACL, leases, audit.

Everything `sealkeep server` keeps and decides, with no HTTP in it: a `Request` goes in
through `Core.handle`, a `Response` or a `StoreError` (with its HTTP status) comes out.

Rule: imports only `reconciler.vocabulary`; never the HTTP layer, the client, the reconciler
or the CLI.
"""
