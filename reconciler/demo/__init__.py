"""The guided story behind `sealkeep demo`: reconcile a repo into an embedded store and use it.

Rule: an orchestrator like the CLI: it may start the store and server in-process and drive
them with the reconciler; nothing but the CLI imports it.
"""
