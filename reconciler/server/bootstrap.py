"""Build a `Core` and its listener from a config file or from `--dev` settings."""

from __future__ import annotations

import uuid
from pathlib import Path

from reconciler.server.config import ConfigError, ListenerConfig, load_config
from reconciler.server.pidfile import write_pid_file
from reconciler.store.core import Core, CoreConfig
from reconciler.store.operations.ha import HALock
from reconciler.store.operations.snapshot_schedule import SnapshotPolicy
from reconciler.store.sealing.autoseal import open_autoseal
from reconciler.store.storage.factory import open_storage
from reconciler.store.storage.private_files import private_umask
from reconciler.vocabulary.errors import SealkeepError


def core_from_config(path: Path) -> tuple[Core, ListenerConfig]:
    """Open the configured storage (sealed); every error names the config file.

    From here on every file the server creates (database, WAL, audit logs, PID) is private.
    """
    config = load_config(path)
    private_umask()
    try:
        storage = open_storage(config.storage_type, config.storage_options)
    except (ValueError, OSError) as exc:
        raise ConfigError(f"{path}: storage: {exc}") from None
    if config.pid_file:
        try:
            write_pid_file(Path(config.pid_file))
        except OSError as exc:
            raise ConfigError(f"{path}: pid_file: {exc.strerror}: {config.pid_file}") from None
    core_config = CoreConfig(
        default_lease_ttl=config.default_lease_ttl,
        max_lease_ttl=config.max_lease_ttl,
        storage_type=config.storage_type,
        request_wait_limit=config.listener.limits.max_request_duration,
        unauthenticated_metrics_access=config.unauthenticated_metrics_access,
    )
    core = Core(storage, core_config)
    if config.seals:
        _use_seals(core, path, config.seals)
    if config.snapshot_interval:
        policy = SnapshotPolicy(
            config.snapshot_interval, Path(config.snapshot_path), config.snapshot_retain
        )
        core.schedule_snapshots(policy)
    if _ha_enabled(config.storage_options):
        core.enable_ha(_ha_lock(path, config.storage_type, config.storage_options, config.api_addr))
    return core, config.listener


def _ha_enabled(options: dict[str, str]) -> bool:
    return options.get("ha_enabled", "").lower() in ("1", "true")


def _ha_lock(path: Path, storage_type: str, options: dict[str, str], api_addr: str) -> HALock:
    """The HA lock of the storage block (`ha_enabled = "true"`); api_addr is required, since
    standbys send clients there."""
    if storage_type != "postgresql":
        raise ConfigError(f"{path}: storage {storage_type!r} does not support ha_enabled")
    if not api_addr:
        raise ConfigError(
            f"{path}: ha_enabled needs api_addr (the address other nodes send clients to)"
        )
    from reconciler.store.storage.postgresql_ha import PostgresHALock  # psycopg when used

    table = options.get("ha_table") or "vault_ha_locks"
    return PostgresHALock(options["connection_url"], table, str(uuid.uuid4()), api_addr)


def dev_core(root_token_id: str) -> tuple[Core, str]:
    """An in-memory store, initialised and unsealed; returns it and its root token."""
    private_umask()  # audit files enabled in dev mode are private too
    core = Core(open_storage("memory", {}), CoreConfig(storage_type="inmem"))
    return core, core.dev_setup(root_token_id)


def _use_seals(core: Core, path: Path, blocks: tuple[tuple[str, dict[str, str]], ...]) -> None:
    """Set the auto seal (and a migration source) up, and try to unseal in the background."""
    try:
        seals = [open_autoseal(kind, options) for kind, options in blocks]
    except SealkeepError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    active = next((s for s in seals if not s.disabled), None)
    source = next((s for s in seals if s.disabled), None)
    core.use_autoseal(active, source)
    if active is not None:
        core.start_auto_unseal()
