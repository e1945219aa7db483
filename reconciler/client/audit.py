"""Audit devices (`sys/audit`) and the HMACs a device computes (`sys/audit-hash/<device>`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import hvac

from reconciler.client.errors import ClientInputError
from reconciler.client.results import Result, as_json, result_of

DEVICE_TYPES = ("file", "socket")


@dataclass(frozen=True)
class DeviceRow:
    """One enabled audit device as the list table shows it."""

    path: str
    type: str
    options: str
    description: str


def list_devices(client: hvac.Client) -> tuple[Result, list[DeviceRow]]:
    """The enabled audit devices, sorted by path."""
    result = result_of(client.sys.list_enabled_audit_devices())
    rows = []
    for path, info in sorted(result.data.items()):
        options = ",".join(f"{k}={v}" for k, v in sorted((info.get("options") or {}).items()))
        rows.append(
            DeviceRow(path, str(info.get("type", "")), options, info.get("description", ""))
        )
    return result, rows


@dataclass(frozen=True)
class DeviceRequest:
    """What to enable: a device type, its options, where (the type when empty)."""

    type: str
    options: Mapping[str, str]
    path: str = ""
    description: str = ""
    local: bool = False

    @property
    def mount_path(self) -> str:
        """The path without slashes around it, defaulting to the type."""
        return (self.path or self.type).strip("/")


def parse_options(items: Sequence[str]) -> dict[str, str]:
    """`key=value` arguments as a mapping; anything else is an input error naming it."""
    parsed: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ClientInputError(f"expected key=value, got {item!r}", where="OPTIONS")
        parsed[key] = value
    return parsed


def enable_device(client: hvac.Client, request: DeviceRequest) -> str:
    """Enable an audit device; returns the path it was enabled at."""
    path = request.mount_path
    client.sys.enable_audit_device(
        request.type,
        description=request.description,
        options=dict(request.options),
        path=path,
        local=request.local,
    )
    return path


def disable_device(client: hvac.Client, path: str) -> str:
    """Disable the audit device at `path` (nothing happens when there is none)."""
    client.sys.disable_audit_device(path.strip("/"))
    return path.strip("/")


def hash_values(client: hvac.Client, device: str, values: Sequence[str]) -> tuple[str, ...]:
    """The HMACs `device` writes for `values` (tokens, accessors), as the audit log holds them.

    The values go to the server only; neither they nor the HMACs appear in any error.
    """
    if values and not client.token:
        raise ClientInputError(
            "the server hashes --token and --accessor values, and no token is set",
            hint="export VAULT_ADDR and VAULT_TOKEN, or (offline) filter with "
            "--hmac hmac-sha256:... instead",
        )
    hashes = []
    for value in values:
        answer = as_json(client.sys.calculate_hash(path=device, input_to_hash=value))
        hashes.append(str((answer.get("data") or {}).get("hash", "")))
    return tuple(hashes)


def chain_material(client: hvac.Client, device: str) -> dict[str, object]:
    """A Sealkeep device's chain key and signed checkpoints (`sys/audit-chain/<device>`, sudo),
    for `audit verify` and `audit export-key`. Secret: whoever holds the key can forge lines."""
    answer = as_json(client.read(f"sys/audit-chain/{device.strip('/')}"))
    data = answer.get("data")
    return data if isinstance(data, dict) else {}
