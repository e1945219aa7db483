"""The `database` secrets engine (PostgreSQL and MySQL/MariaDB plugins)."""

from reconciler.store.engines.database.backend import DatabaseBackend

__all__ = ["DatabaseBackend"]
