"""The database plugins this engine ships, by Vault plugin name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.store.engines.database.plugins.base import (
    ConnectionDetails,
    DatabasePlugin,
    PluginError,
    UserStatements,
)
from reconciler.store.engines.database.plugins.mysql import MySQLPlugin
from reconciler.store.engines.database.plugins.postgres import PostgresPlugin
from reconciler.store.engines.database.usernames import MYSQL_DEFAULT, POSTGRES_DEFAULT

# MySQL's legacy and RDS variants keep 16-character user names, as in Vault.
_MYSQL_LEGACY_DEFAULT = '{{ printf "v-%s-%s" (.RoleName | truncate 4) (random 20) | truncate 16 }}'


@dataclass(frozen=True)
class PluginKind:
    """A plugin name's factory and its default username template."""

    factory: Callable[[ConnectionDetails], DatabasePlugin]
    username_template: str


PLUGINS: dict[str, PluginKind] = {
    "postgresql-database-plugin": PluginKind(PostgresPlugin, POSTGRES_DEFAULT),
    "mysql-database-plugin": PluginKind(MySQLPlugin, MYSQL_DEFAULT),
    "mysql-aurora-database-plugin": PluginKind(MySQLPlugin, MYSQL_DEFAULT),
    "mysql-rds-database-plugin": PluginKind(MySQLPlugin, _MYSQL_LEGACY_DEFAULT),
    "mysql-legacy-database-plugin": PluginKind(MySQLPlugin, _MYSQL_LEGACY_DEFAULT),
}


def open_plugin(plugin_name: str, details: ConnectionDetails) -> DatabasePlugin:
    """Build the plugin for `plugin_name`; raise PluginError for unknown names or bad URLs."""
    kind = PLUGINS.get(plugin_name)
    if kind is None:
        raise PluginError(f"plugin not found in the catalog: {plugin_name}")
    return kind.factory(details)


def default_username_template(plugin_name: str) -> str:
    """Vault's default username template for a plugin."""
    kind = PLUGINS.get(plugin_name)
    return kind.username_template if kind else POSTGRES_DEFAULT


__all__ = [
    "PLUGINS",
    "ConnectionDetails",
    "DatabasePlugin",
    "PluginError",
    "UserStatements",
    "default_username_template",
    "open_plugin",
]
