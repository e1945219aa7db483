"""The HTTP face of the store: an ASGI app turning HTTP into store `Request`s and back.

Vault's envelope, status codes and headers live here, and nothing else: every decision is the
store's. Also the server's config file and its process (listener, TLS, signals).

Rule: imports only `reconciler.store` and `reconciler.vocabulary`.
"""
