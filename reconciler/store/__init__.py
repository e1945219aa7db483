"""The store's core: barrier, seal, storage, router, engines, auth, policy, leases, audit.

Nothing in this package imports the HTTP layer (`reconciler.server`) or the reconciler.
"""
