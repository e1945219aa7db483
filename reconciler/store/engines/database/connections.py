"""Database connections: `config/:name`, `reset/:name`, `rotate-root/:name`, and the live pools.

`Connections` caches one plugin (one pool) per connection name; writing, resetting, rotating
or deleting a connection closes its pool so the next use reconnects with the new settings.
"""

from __future__ import annotations

import re
import threading

from reconciler.store.engines.database.models import (
    CONFIG_PREFIX,
    ConnectionConfig,
    load,
    save,
)
from reconciler.store.engines.database.passwords import generate_password
from reconciler.store.engines.database.plugins import (
    PLUGINS,
    DatabasePlugin,
    PluginError,
    default_username_template,
    open_plugin,
)
from reconciler.store.engines.database.templates import embedded_password, is_templated
from reconciler.store.engines.database.usernames import (
    TemplateError,
    UsernameInput,
    render_username,
)
from reconciler.store.errors import BadRequest, InternalError, NotFound
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.view import StorageView

NAME = r"(?P<name>\w(?:[\w.-]*\w)?)"
PASSWORD_IN_URL_WARNING = (
    "Password found in connection_url, use a templated url to enable root rotation and "
    "prevent read access to password information."
)
_PASSWORD_AUTH = ("password", "scram-sha-256")

CONFIG_FIELDS: dict[str, Field] = {
    "name": Field(FieldType.STRING),
    "plugin_name": Field(FieldType.STRING),
    "plugin_version": Field(FieldType.STRING, ""),
    "verify_connection": Field(FieldType.BOOL, True),
    "allowed_roles": Field(FieldType.COMMA_STRINGS, []),
    "root_rotation_statements": Field(FieldType.STRINGS, []),
    "password_policy": Field(FieldType.STRING, ""),
    "connection_url": Field(FieldType.STRING, ""),
    "username": Field(FieldType.STRING, ""),
    "password": Field(FieldType.STRING, ""),
    "max_open_connections": Field(FieldType.INT, 4),
    "max_idle_connections": Field(FieldType.INT, 0),
    "max_connection_lifetime": Field(FieldType.DURATION, 0),
    "username_template": Field(FieldType.STRING, ""),
    "disable_escaping": Field(FieldType.BOOL, False),
    "password_authentication": Field(FieldType.STRING, "password"),
}
# Fields copied onto the stored config when the request supplies them (others keep their value).
_SETTABLE = [name for name in CONFIG_FIELDS if name not in ("name", "plugin_name")]


def role_allowed(allowed_roles: list[str], role: str) -> bool:
    """True when `role` matches an entry of allowed_roles (`*` is a glob, as in Vault)."""
    for pattern in allowed_roles:
        regex = ".*".join(re.escape(part) for part in pattern.split("*"))
        if re.fullmatch(regex, role):
            return True
    return False


class Connections:
    """Stored connection configs and their open plugins, one pool per connection."""

    def __init__(self, storage: StorageView) -> None:
        self.storage = storage
        self.lock = threading.RLock()
        self._plugins: dict[str, DatabasePlugin] = {}

    def get(self, name: str) -> ConnectionConfig | None:
        """The stored config, or None."""
        return load(self.storage, ConnectionConfig, CONFIG_PREFIX + name)

    def require(self, name: str) -> ConnectionConfig:
        """The stored config, or Vault's 500 for a missing connection."""
        config = self.get(name)
        if config is None:
            raise InternalError(f'failed to find entry for connection with name: "{name}"')
        return config

    def plugin(self, config: ConnectionConfig) -> DatabasePlugin:
        """The open plugin for a connection, creating its pool on first use."""
        with self.lock:
            plugin = self._plugins.get(config.name)
            if plugin is None:
                try:
                    plugin = open_plugin(config.plugin_name, config.details())
                except PluginError as exc:
                    raise InternalError(f"error creating database object: {exc}") from None
                self._plugins[config.name] = plugin
            return plugin

    def install(self, name: str, plugin: DatabasePlugin | None) -> None:
        """Replace (or with None, forget) a connection's plugin, closing the old pool."""
        with self.lock:
            old = self._plugins.pop(name, None)
            if plugin is not None:
                self._plugins[name] = plugin
        if old is not None and old is not plugin:
            old.close()

    def close_all(self) -> None:
        """Close every pool (seal, unmount)."""
        with self.lock:
            plugins, self._plugins = list(self._plugins.values()), {}
        for plugin in plugins:
            plugin.close()


class ConnectionPaths:
    """The handlers of the connection paths."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections
        self.storage = connections.storage

    def specs(self) -> list[PathSpec]:
        """The connection path table."""
        name_field = {"name": Field(FieldType.STRING)}
        return [
            PathSpec(r"config/?", {Operation.LIST: self.list_configs}),
            PathSpec(
                rf"config/{NAME}",
                {
                    Operation.UPDATE: self.write_config,
                    Operation.READ: self.read_config,
                    Operation.DELETE: self.delete_config,
                },
                fields=CONFIG_FIELDS,
                existence_check=self.config_exists,
            ),
            PathSpec(rf"reset/{NAME}", {Operation.UPDATE: self.reset}, fields=name_field),
            PathSpec(
                rf"rotate-root/{NAME}", {Operation.UPDATE: self.rotate_root}, fields=name_field
            ),
        ]

    def config_exists(self, req: Request, data: FieldData) -> bool:
        """Existence check for create-vs-update."""
        return self.connections.get(data.get("name")) is not None

    def list_configs(self, req: Request, data: FieldData) -> Response:
        """LIST config/."""
        keys = self.storage.list(CONFIG_PREFIX)
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})

    def read_config(self, req: Request, data: FieldData) -> Response:
        """GET config/:name, without the password."""
        config = self.connections.get(data.get("name"))
        if config is None:
            raise NotFound()
        return Response(data=config.read_data())

    def delete_config(self, req: Request, data: FieldData) -> None:
        """DELETE config/:name and close its pool."""
        name = data.get("name")
        with self.connections.lock:
            self.storage.delete(CONFIG_PREFIX + name)
            self.connections.install(name, None)

    def write_config(self, req: Request, data: FieldData) -> Response | None:
        """POST config/:name: merge with the stored config, verify, save, swap the pool."""
        name = data.get("name")
        with self.connections.lock:
            config = self._merged(name, data)
            _validate(config)
            plugin = _open_and_verify(config)
            save(self.storage, CONFIG_PREFIX + name, config)
            self.connections.install(name, plugin)
        if embedded_password(config.connection_url):
            return Response(warnings=[PASSWORD_IN_URL_WARNING])
        return None

    def _merged(self, name: str, data: FieldData) -> ConnectionConfig:
        existing = self.connections.get(name)
        plugin_name = data.get("plugin_name") if data.present("plugin_name") else ""
        if existing is None:
            if not plugin_name:
                raise BadRequest("plugin_name must be provided")
            config = ConnectionConfig(name=name, plugin_name=plugin_name)
            present = _SETTABLE
        else:
            config = existing
            config.plugin_name = plugin_name or existing.plugin_name
            # Unsent fields keep their stored value, so a later write that omits the
            # (possibly rotated) password never reverts it.
            present = [field for field in _SETTABLE if data.present(field)]
        for field in present:
            setattr(config, field, data.get(field))
        return config

    def reset(self, req: Request, data: FieldData) -> None:
        """POST reset/:name: close the pool; the next use reconnects."""
        name = data.get("name")
        self.connections.require(name)
        self.connections.install(name, None)

    def rotate_root(self, req: Request, data: FieldData) -> None:
        """POST rotate-root/:name: set a new root password on the database and keep only it."""
        name = data.get("name")
        with self.connections.lock:
            config = self.connections.require(name)
            _check_rotatable(config)
            new_password = generate_password()
            plugin = self.connections.plugin(config)
            try:
                plugin.rotate_root(config.root_rotation_statements, new_password)
            except PluginError as exc:
                raise InternalError(f"failed to update user: {exc}") from None
            config.password = new_password
            save(self.storage, CONFIG_PREFIX + name, config)
            # Pooled sessions logged in with the old password; reconnect with the new one.
            self.connections.install(name, None)


def _validate(config: ConnectionConfig) -> None:
    if config.plugin_name not in PLUGINS:
        missing = config.plugin_name
        raise BadRequest(
            f"error creating database object: plugin not found in the catalog: {missing}"
        )
    if not config.connection_url:
        raise BadRequest("error creating database object: connection_url cannot be empty")
    if config.password_authentication not in _PASSWORD_AUTH:
        raise BadRequest(
            f"'{config.password_authentication}' is not a valid password authentication type"
        )
    if config.max_open_connections < 1:
        raise BadRequest("max_open_connections must be at least 1")
    template = config.username_template or default_username_template(config.plugin_name)
    try:
        render_username(template, UsernameInput("token", "role"))
    except TemplateError as exc:
        raise BadRequest(f"unable to initialize username template: {exc}") from None


def _open_and_verify(config: ConnectionConfig) -> DatabasePlugin:
    try:
        plugin = open_plugin(config.plugin_name, config.details())
    except PluginError as exc:
        raise BadRequest(f"error creating database object: {exc}") from None
    if config.verify_connection:
        try:
            plugin.verify()
        except PluginError as exc:
            plugin.close()
            raise BadRequest(f"error creating database object: {exc}") from None
    return plugin


def _check_rotatable(config: ConnectionConfig) -> None:
    if not config.username:
        raise BadRequest("unable to rotate root credentials: no username in configuration")
    if not config.password:
        raise BadRequest("unable to rotate root credentials: no password in configuration")
    if not is_templated(config.connection_url):
        raise BadRequest(
            "unable to rotate root credentials: connection_url must use {{password}} templating"
        )
