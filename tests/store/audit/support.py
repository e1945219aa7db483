"""Shared builders for the audit tests: real memory storage, real files, real requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.store.audit.broker import AuditBroker
from reconciler.store.audit.chain import GENESIS, MAC_SPAN, line_digest, prev_end_of
from reconciler.store.auth.token_entry import TokenEntry
from reconciler.store.logical import Operation, Request
from reconciler.store.storage.memory import MemoryStorage
from reconciler.store.storage.view import StorageView

TOKEN = "hvs.CAESIexampletokenvalue0000"
ACCESSOR = "k3Zq8ExampleAccessor0001"


def new_view() -> StorageView:
    """The broker's own prefix over fresh in-memory storage."""
    return StorageView(MemoryStorage(), "core/audit/")


def file_broker(log: Path, **options: str) -> AuditBroker:
    """A broker with one file device at `file/` writing to `log`."""
    broker = AuditBroker(new_view())
    broker.enable("file", "file", "test log", {"file_path": str(log), **options}, False)
    return broker


def token_entry() -> TokenEntry:
    """The caller's token entry as the token store would hand it to the core."""
    return TokenEntry(
        id_hash="h",
        accessor=ACCESSOR,
        policies=["default", "payments-read"],
        path="auth/approle/login",
        display_name="approle-payments",
        meta={"role_name": "payments"},
        creation_time=1_714_564_800.0,
        ttl=3600,
        num_uses=5,
        entity_id="1b2c3d4e-0000-4000-8000-000000000001",
    )


def read_request(path: str = "secret/data/payments/api", **fields: Any) -> Request:
    """An authenticated KV read as the core would have routed it."""
    req = Request(
        operation=Operation.READ,
        path=path,
        token=TOKEN,
        remote_addr="10.1.2.3",
        remote_port=51234,
        mount_point="secret/",
        mount_type="kv",
        mount_accessor="kv_e986ebab",
        mount_class="secret",
        client_token_accessor=ACCESSOR,
        display_name="approle-payments",
        policies=["default", "payments-read"],
        entity_id="1b2c3d4e-0000-4000-8000-000000000001",
        token_entry=token_entry(),
    )
    for name, value in fields.items():
        setattr(req, name, value)
    return req


def lines(log: Path) -> list[bytes]:
    """Raw lines of an audit file, newline included."""
    return log.read_bytes().splitlines(keepends=True)


PROBE_PATH = "sys/audit/test"


def entries(log: Path) -> list[dict[str, Any]]:
    """Parsed entries of an audit file, without the test entries each device takes when it
    is enabled (Vault's `sys/audit/test` probe)."""
    parsed = [json.loads(line) for line in lines(log)]
    return [e for e in parsed if e.get("request", {}).get("path") != PROBE_PATH]


def rechain(old: list[bytes], *, strip_mac: bool = False) -> list[bytes]:
    """Renumber seq and recompute every plain prev hash from genesis, as an attacker who can
    write the file can; the macs are kept (or stripped): without the key they cannot be made."""
    out: list[bytes] = []
    prev = GENESIS.encode()
    for seq, line in enumerate(old, start=1):
        at = prev_end_of(line)
        rest = line[at + MAC_SPAN :] if strip_mac else line[at:]
        if strip_mac:
            rest = b'"},' + rest[rest.index(b"},") + 2 :]
        new = b'{"chain":{"seq":%d,"prev":"%s' % (seq, prev) + rest
        out.append(new)
        prev = line_digest(new).encode()
    return out
