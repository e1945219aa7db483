"""The guided story behind `sealkeep demo`: reconcile a repo into an embedded store and use it."""
