"""Storage tests use the machine's PostgreSQL for the postgresql backend."""

from tests.support.databases import pg_admin, postgres_storage_options

__all__ = ["pg_admin", "postgres_storage_options"]
