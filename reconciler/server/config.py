"""The server's config file (HCL like Vault's, or YAML): storage, listener, TTLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl

from reconciler.server.limits import ListenerLimits, limits_from
from reconciler.vocabulary import yaml12
from reconciler.vocabulary.durations import parse_duration
from reconciler.vocabulary.errors import SealkeepError

DEFAULT_ADDRESS = "127.0.0.1:8200"
SYSTEM_TTL = 768 * 3600


class ServerConfigError(SealkeepError):
    """A server config file that cannot be used; the message names the file and the setting.

    (Not the reconciler's `sealkeep.yaml` error, `reconciler.gitops.manifests.ConfigError`.)
    """


# The name it had before it was told apart from the reconciler's ConfigError.
ConfigError = ServerConfigError


@dataclass(frozen=True)
class ListenerConfig:
    """Where to listen and with which TLS certificate (none: plain HTTP)."""

    address: str = DEFAULT_ADDRESS
    tls_cert_file: str = ""
    tls_key_file: str = ""
    limits: ListenerLimits = field(default_factory=ListenerLimits)
    # An HA standby answers 307 to the active node instead of forwarding (Vault's
    # top-level `disable_clustering`).
    redirect_standby: bool = False

    @property
    def host_port(self) -> tuple[str, int]:
        """The address split into host and port."""
        host, _, port = self.address.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)


@dataclass(frozen=True)
class ServerConfig:
    """Everything `sealkeep server --config FILE` reads."""

    storage_type: str = "sqlite"
    storage_options: dict[str, str] = field(default_factory=dict)
    listener: ListenerConfig = field(default_factory=ListenerConfig)
    api_addr: str = ""
    default_lease_ttl: int = SYSTEM_TTL
    max_lease_ttl: int = SYSTEM_TTL
    pid_file: str = ""
    unauthenticated_metrics_access: bool = False
    # `seal "<type>" { ... }` blocks (auto-unseal; one with disabled = "true" is a
    # migration source), as (type, options).
    seals: tuple[tuple[str, dict[str, str]], ...] = ()
    # `snapshot { interval, path, retain }`: scheduled snapshots (interval in seconds).
    snapshot_interval: int = 0
    snapshot_path: str = ""
    snapshot_retain: int = 24


def load_config(path: Path) -> ServerConfig:
    """Parse an HCL (`.hcl`) or YAML config file."""
    return _from_doc(path, read_config_document(path))


def read_config_document(path: Path) -> dict[str, Any]:
    """The settings of an HCL (`.hcl`) or YAML file as a map, or a ConfigError naming it."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        doc = yaml12.load(text) if path.suffix in (".yaml", ".yml") else hcl.loads(text)
    except Exception as exc:  # both parsers raise their own error types
        raise ConfigError(f"{path}: cannot parse config: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: the config must be a map of settings")
    return doc


def storage_block(doc: dict[str, Any], name: str, path: Path) -> tuple[str, dict[str, str]]:
    """A `<name> "<type>" { ... }` storage block: its type and its options as strings."""
    kind, body = _block(doc, name, path)
    return kind, {key: str(value) for key, value in body.items()}


def _block(doc: dict[str, Any], name: str, path: Path) -> tuple[str, dict[str, Any]]:
    """HCL `storage "sqlite" { ... }` parses as {"storage": {"sqlite": {...}}}."""
    value = doc.get(name)
    if value is None:
        return "", {}
    if isinstance(value, dict) and len(value) == 1:
        kind, body = next(iter(value.items()))
        if isinstance(body, dict):
            return str(kind), body
    if isinstance(value, dict) and "type" in value:
        return str(value["type"]), {k: v for k, v in value.items() if k != "type"}
    raise ConfigError(f'{path}: {name}: expected `{name} "<type>" {{ ... }}`')


def _from_doc(path: Path, doc: dict[str, Any]) -> ServerConfig:
    known = {
        "storage",
        "listener",
        "api_addr",
        "default_lease_ttl",
        "max_lease_ttl",
        "ui",
        "disable_mlock",
        "cluster_addr",
        "log_level",
        "pid_file",
        "telemetry",
        "disable_clustering",
        "seal",
        "snapshot",
    }
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown settings: {', '.join(unknown)}")
    storage_type, storage = _block(doc, "storage", path)
    listener_type, listener = _block(doc, "listener", path)
    if listener_type and listener_type != "tcp":
        raise ConfigError(f'{path}: listener "{listener_type}" is not supported (use "tcp")')
    tls_disabled = str(listener.get("tls_disable", "")).lower() in ("1", "true")
    try:
        default_ttl = parse_duration(doc.get("default_lease_ttl", SYSTEM_TTL))
        max_ttl = parse_duration(doc.get("max_lease_ttl", SYSTEM_TTL))
        limits = limits_from(listener)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return ServerConfig(
        storage_type=storage_type or "sqlite",
        storage_options={k: str(v) for k, v in storage.items()},
        listener=ListenerConfig(
            address=str(listener.get("address", DEFAULT_ADDRESS)),
            tls_cert_file="" if tls_disabled else str(listener.get("tls_cert_file", "")),
            tls_key_file="" if tls_disabled else str(listener.get("tls_key_file", "")),
            limits=limits,
            redirect_standby=str(doc.get("disable_clustering", "")).lower() in ("1", "true"),
        ),
        api_addr=str(doc.get("api_addr", "")),
        default_lease_ttl=default_ttl,
        max_lease_ttl=max_ttl,
        pid_file=str(doc.get("pid_file", "")),
        unauthenticated_metrics_access=_metrics_without_token(doc, listener, path),
        seals=_seal_blocks(doc, path),
        **_snapshot_settings(doc, path),
    )


def _snapshot_settings(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    """The `snapshot { interval = "1h"  path = "..."  retain = 24 }` block, checked."""
    block = doc.get("snapshot")
    if isinstance(block, list):
        block = block[0] if block else None
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: snapshot: expected a block of settings")
    unknown = sorted(set(block) - {"interval", "path", "retain"})
    if unknown:
        raise ConfigError(f"{path}: snapshot: unknown settings: {', '.join(unknown)}")
    if not block.get("path") or not block.get("interval"):
        raise ConfigError(f"{path}: snapshot: interval and path are both required")
    try:
        interval = parse_duration(block["interval"])
        retain = int(block.get("retain", 24))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: snapshot: {exc}") from None
    if interval < 1 or retain < 1:
        raise ConfigError(f"{path}: snapshot: interval and retain must be at least 1")
    return {
        "snapshot_interval": interval,
        "snapshot_path": str(block["path"]),
        "snapshot_retain": retain,
    }


def _seal_blocks(doc: dict[str, Any], path: Path) -> tuple[tuple[str, dict[str, str]], ...]:
    """Every `seal "<type>" { ... }` block; at most one active and one disabled."""
    value = doc.get("seal")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    blocks: list[tuple[str, dict[str, str]]] = []
    for item in items:
        if not isinstance(item, dict):
            raise ConfigError(f'{path}: seal: expected `seal "<type>" {{ ... }}`')
        for kind, body in item.items():
            if not isinstance(body, dict):
                raise ConfigError(f'{path}: seal "{kind}": expected a block of settings')
            blocks.append((str(kind), {k: str(v) for k, v in body.items()}))
    active = [
        kind for kind, body in blocks if body.get("disabled", "").lower() not in ("1", "true")
    ]
    if len(active) > 1 or len(blocks) - len(active) > 1:
        raise ConfigError(f"{path}: seal: at most one active and one disabled seal block")
    return tuple(blocks)


def _metrics_without_token(doc: dict[str, Any], listener: dict[str, Any], path: Path) -> bool:
    """`unauthenticated_metrics_access` from the top-level or the listener's `telemetry` block
    (Vault reads the listener's; both are accepted)."""
    for where, block in (
        ("telemetry", doc.get("telemetry")),
        ("listener.telemetry", listener.get("telemetry")),
    ):
        if isinstance(block, list):  # HCL blocks may parse as a list of one map
            block = block[0] if block else {}
        if block is None:
            continue
        if not isinstance(block, dict):
            raise ConfigError(f"{path}: {where}: expected a block of settings")
        value = block.get("unauthenticated_metrics_access")
        if value is not None:
            return str(value).lower() in ("1", "true")
    return False
