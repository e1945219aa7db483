"""`sealkeep operator migrate -config=FILE`: the config file (Vault's shape) and the run.

```hcl
storage_source "sqlite" {
  path = "/var/lib/sealkeep/store.db"
}
storage_destination "postgresql" {
  connection_url = "postgres://vault@db:5432/vault?sslmode=verify-full"
}
```
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.server.config import ServerConfigError, read_config_document, storage_block
from reconciler.store.storage.factory import open_storage
from reconciler.store.storage.migrate import MigrationResult, migrate


@dataclass(frozen=True)
class MigrateConfig:
    """The two storage blocks of a migration config."""

    source_type: str
    source_options: dict[str, str]
    destination_type: str
    destination_options: dict[str, str]


def load_migrate_config(path: Path) -> MigrateConfig:
    """Parse a migration config; both blocks are required and may not name the same store."""
    doc = read_config_document(path)
    unknown = sorted(set(doc) - {"storage_source", "storage_destination", "cluster_addr"})
    if unknown:
        raise ServerConfigError(f"{path}: unknown settings: {', '.join(unknown)}")
    source_type, source = storage_block(doc, "storage_source", path)
    destination_type, destination = storage_block(doc, "storage_destination", path)
    if not source_type or not destination_type:
        raise ServerConfigError(
            f'{path}: a migration needs both storage_source "<type>" {{...}} and '
            'storage_destination "<type>" {...}'
        )
    config = MigrateConfig(source_type, source, destination_type, destination)
    if (source_type, source) == (destination_type, destination):
        raise ServerConfigError(f"{path}: storage_source and storage_destination are the same")
    return config


def run_migration(
    path: Path,
    *,
    force: bool = False,
    start: str = "",
    progress: Callable[[int], None] | None = None,
) -> MigrationResult:
    """Open both backends from the config at `path` and copy source into destination."""
    config = load_migrate_config(path)
    try:
        source = open_storage(config.source_type, config.source_options)
        destination = open_storage(config.destination_type, config.destination_options)
    except ValueError as exc:
        raise ServerConfigError(f"{path}: {exc}") from None
    try:
        return migrate(source, destination, allow_non_empty=force, start=start, progress=progress)
    finally:
        source.close()
        destination.close()
