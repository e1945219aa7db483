"""Physical storage: small, untrusted key/value backends behind one `Storage` protocol."""

from reconciler.store.storage.base import Storage, Transaction

__all__ = ["Storage", "Transaction"]
