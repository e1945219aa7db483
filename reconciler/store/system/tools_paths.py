"""sys/tools/random, sys/tools/hash, sys/host-info, sys/internal/ui/mounts (list form) and
sys/internal/specs/openapi, answered as Vault answers them."""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import secrets
import shutil
import socket
import time
from typing import TYPE_CHECKING, Any

from reconciler.store.errors import BadRequest
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.hash_names import HASHLIB_NAMES
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.mounts import mount_info
from reconciler.store.timefmt import rfc3339nano

if TYPE_CHECKING:
    from reconciler.store.core import Core

READ, UPDATE = Operation.READ, Operation.UPDATE
MAX_RANDOM_BYTES = 128 * 1024
HASHES = {name: lib for name, lib in HASHLIB_NAMES.items() if name != "sha1"}
RANDOM_FIELDS = {
    "urlbytes": Field(FieldType.STRING, ""),
    "bytes": Field(FieldType.INT, 32),
    "format": Field(FieldType.STRING, "base64"),
    "source": Field(FieldType.STRING, "platform"),
}
HASH_FIELDS = {
    "urlalgorithm": Field(FieldType.STRING, ""),
    "algorithm": Field(FieldType.STRING, "sha2-256"),
    "input": Field(FieldType.STRING, ""),
    "format": Field(FieldType.STRING, "hex"),
}


def _encode(raw: bytes, fmt: str) -> str:
    if fmt == "hex":
        return raw.hex()
    if fmt == "base64":
        return base64.b64encode(raw).decode()
    raise BadRequest(f'unsupported encoding format "{fmt}"; must be "hex" or "base64"')


def random_bytes(_req: Request, data: FieldData) -> Response:
    """Bytes from the platform's CSPRNG (the only entropy source here)."""
    source = data.get("source")
    if source not in ("platform", "seal", "all"):
        raise BadRequest(
            f'unsupported entropy source "{source}"; must be "platform" or "seal", or "all"'
        )
    count = data.get("bytes")
    if data.get("urlbytes"):
        try:
            count = int(data.get("urlbytes"))
        except ValueError:
            raise BadRequest(f"error parsing url-set byte count: {data.get('urlbytes')}") from None
    if count < 1:
        raise BadRequest("'bytes' cannot be less than 1")
    if count > MAX_RANDOM_BYTES:
        raise BadRequest(f"'bytes' cannot be more than {MAX_RANDOM_BYTES}")
    return Response(data={"random_bytes": _encode(secrets.token_bytes(count), data.get("format"))})


def hash_input(_req: Request, data: FieldData) -> Response:
    """The digest of base64 `input`."""
    algorithm = data.get("urlalgorithm") or data.get("algorithm")
    name = HASHES.get(algorithm)
    if name is None:
        raise BadRequest(f"unsupported algorithm {algorithm}")
    fmt = data.get("format")
    if fmt not in ("hex", "base64"):
        raise BadRequest(f'unsupported encoding format {fmt}; must be "hex" or "base64"')
    try:
        raw = base64.b64decode(data.get("input"), validate=True)
    except ValueError as exc:
        raise BadRequest(f"unable to decode input as base64: {exc}") from None
    return Response(data={"sum": _encode(hashlib.new(name, raw).digest(), fmt)})


def host_info(_req: Request, _data: FieldData) -> Response:
    """What the host is (Vault reports the same sections from gopsutil)."""
    disk = shutil.disk_usage("/")
    uname = platform.uname()
    return Response(
        data={
            "cpu": [{"cpu": n, "modelName": uname.processor} for n in range(os.cpu_count() or 1)],
            "cpu_times": [],
            "disk": [{"path": "/", "total": disk.total, "free": disk.free, "used": disk.used}],
            "host": {
                "hostname": socket.gethostname(),
                "os": uname.system.lower(),
                "kernelVersion": uname.release,
                "kernelArch": uname.machine,
                "bootTime": int(time.time() - time.monotonic()),
            },
            "memory": _memory(),
            "timestamp": rfc3339nano(time.time()),
        }
    )


def _memory() -> dict[str, int]:
    """Total and available memory from /proc/meminfo (bytes); empty where there is none."""
    wanted = {"MemTotal": "total", "MemAvailable": "available", "MemFree": "free"}
    out: dict[str, int] = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                name, _, rest = line.partition(":")
                if name in wanted:
                    out[wanted[name]] = int(rest.split()[0]) * 1024
    except OSError:
        pass  # not Linux: the section stays empty rather than failing the request
    return out


def ui_mounts(core: Core, req: Request) -> Response:
    """Every mount the caller's token may use; none without a valid token (no mount here is
    listed as `unauth`)."""
    runtime = core.require_runtime()
    entry = runtime.tokens.lookup(req.token)
    out: dict[str, dict[str, Any]] = {"auth": {}, "secret": {}}
    if entry is None:
        return Response(data=out)
    acl = runtime.policies.acl_for(entry.policies)
    for mount in runtime.mounts.mounts():
        if not acl.has_access_under(mount.route_prefix):
            continue
        out[mount.entry.mount_class][mount.entry.path] = mount_info(mount.entry)
    return Response(data=out)


def openapi(_req: Request, _data: FieldData) -> Response:
    """A minimal valid OpenAPI 3 document naming the API."""
    from reconciler import __version__

    return Response(
        raw={
            "openapi": "3.0.2",
            "info": {
                "title": "Sealkeep API",
                "description": "HTTP API of Sealkeep (Vault-compatible). Routes are under /v1/.",
                "version": __version__,
                "license": {"name": "see the project", "url": "https://sealkeep.io"},
            },
            "paths": {},
            "components": {"schemas": {}},
        }
    )


def paths(core: Core) -> list[PathSpec]:
    """The tool and internal paths of sys/."""
    return [
        PathSpec(
            r"tools/random(?:/(?P<source>platform|seal|all|[^/0-9][^/]*))?(?:/(?P<urlbytes>[^/]+))?",
            {UPDATE: random_bytes},
            RANDOM_FIELDS,
        ),
        PathSpec(r"tools/hash(?:/(?P<urlalgorithm>.+))?", {UPDATE: hash_input}, HASH_FIELDS),
        PathSpec(r"host-info/?", {READ: host_info}, sudo=True),
        PathSpec(
            r"internal/ui/mounts/?", {READ: lambda r, d: ui_mounts(core, r)}, unauthenticated=True
        ),
        PathSpec(r"internal/specs/openapi/?", {READ: openapi}),
    ]
