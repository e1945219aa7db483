"""The `sys/` backend: the store's own control API."""
