"""Unauthenticated, un-audited `sys/` endpoints that answer even while sealed.

They return bare JSON objects (no envelope), as Vault does.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.store.errors import BadRequest, UnsupportedOperation
from reconciler.store.framework import FieldType, coerce, parse_bool
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.timefmt import rfc3339nano

if TYPE_CHECKING:
    from reconciler.store.core import Core

RawHandler = Callable[["Core", Request], Response | None]
WRITE = (Operation.UPDATE, Operation.CREATE)


def _cluster(core: Core) -> tuple[str, str] | None:
    runtime = core.runtime
    return None if runtime is None else runtime.cluster


def init(core: Core, req: Request) -> Response:
    """GET: initialised?  PUT/POST: create keys and the root token."""
    if req.operation is Operation.READ:
        return Response(raw={"initialized": core.barrier.initialized()})
    if req.operation not in WRITE:
        raise UnsupportedOperation()
    data = req.data
    if data.get("pgp_keys") or data.get("root_token_pgp_key") or data.get("recovery_pgp_keys"):
        raise BadRequest("PGP-encrypted key shares are not supported by this server")
    if core.auto_sealed:
        return _init_auto_sealed(core, data)
    if any(data.get(k) for k in ("recovery_shares", "recovery_threshold")):
        raise BadRequest("parameters specific to auto unseal seals present")
    shares = coerce("secret_shares", FieldType.INT, data.get("secret_shares", 5))
    threshold = coerce("secret_threshold", FieldType.INT, data.get("secret_threshold", 3))
    keys, root_token = core.initialize(shares, threshold)
    return Response(
        raw={
            "keys": [k.hex() for k in keys],
            "keys_base64": [base64.b64encode(k).decode() for k in keys],
            "root_token": root_token,
        }
    )


def _init_auto_sealed(core: Core, data: dict[str, Any]) -> Response:
    """Init with an auto seal: recovery shares instead of unseal shares; then unseal at once."""
    shares = coerce("recovery_shares", FieldType.INT, data.get("recovery_shares", 5))
    threshold = coerce("recovery_threshold", FieldType.INT, data.get("recovery_threshold", 3))
    keys, root_token = core.initialize(0, 0, recovery=(shares, threshold))
    core.auto_unseal()
    return Response(
        raw={
            "keys": [],
            "keys_base64": [],
            "recovery_keys": [k.hex() for k in keys],
            "recovery_keys_base64": [base64.b64encode(k).decode() for k in keys],
            "root_token": root_token,
        }
    )


def seal_status(core: Core, req: Request) -> Response:
    """GET sys/seal-status."""
    if req.operation is not Operation.READ:
        raise UnsupportedOperation()
    return Response(raw=core.seal.status(_cluster(core)).to_json())


def unseal(core: Core, req: Request) -> Response:
    """PUT/POST sys/unseal: one share at a time; unseals when the threshold is reached."""
    if req.operation not in WRITE:
        raise UnsupportedOperation()
    reset = coerce("reset", FieldType.BOOL, req.data.get("reset") or False)
    key = req.data.get("key")
    if key is not None and not isinstance(key, str):
        raise BadRequest("'key' must be a valid hex or base64 string")
    migrate = coerce("migrate", FieldType.BOOL, req.data.get("migrate") or False)
    if migrate and not reset:
        if core.autoseal is None or not isinstance(key, str) or not key:
            raise BadRequest("migrate=true needs a key and a seal migration in the config")
        if core.autoseal.migrate_submit(key):
            core.seal.cluster()
            core.after_unseal()
        return Response(raw=core.seal.status(_cluster(core)).to_json())
    status = core.seal.submit(key, reset)
    if not status.sealed:
        core.after_unseal()
    return Response(raw=core.seal.status(_cluster(core)).to_json())


_HEALTH_CODES = {
    "uninitcode": 501,
    "sealedcode": 503,
    "standbycode": 429,
    "activecode": 200,
    "drsecondarycode": 472,
    "performancestandbycode": 473,
}


def health(core: Core, req: Request) -> Response:
    """GET/HEAD sys/health: the status code tells the state; query params override codes."""
    if req.operation is not Operation.READ:
        raise UnsupportedOperation()
    codes = dict(_HEALTH_CODES)
    for name in codes:
        if name in req.data:
            try:
                codes[name] = int(str(req.data[name]))
            except ValueError:
                raise BadRequest(f"bad code: {name}") from None
    for name in ("standbyok", "perfstandbyok"):
        if name in req.data:
            try:
                parse_bool(req.data[name])
            except ValueError:
                raise BadRequest(f"bad value for {name}") from None
    initialized = core.barrier.initialized()
    sealed = core.sealed
    standby = core.standby
    body: dict[str, Any] = {
        "initialized": initialized,
        "sealed": sealed,
        "standby": sealed or standby,
        "performance_standby": False,
        "replication_performance_mode": "disabled",
        "replication_dr_mode": "disabled",
        "server_time_utc": int(time.time()),
        "version": _version(),
    }
    cluster = _cluster(core)
    if cluster is not None:
        body["cluster_name"], body["cluster_id"] = cluster
    if not initialized:
        status = codes["uninitcode"]
    elif sealed:
        status = codes["sealedcode"]
    elif standby and not _flag(req, "standbyok"):
        status = codes["standbycode"]
    else:
        status = codes["activecode"]
    return Response(raw=body, status=status)


def leader(core: Core, req: Request) -> Response:
    """GET sys/leader: which node is active (a single node has no HA and names none)."""
    if req.operation is not Operation.READ:
        raise UnsupportedOperation()
    body: dict[str, Any] = {
        "ha_enabled": core.ha is not None,
        "is_self": False,
        "active_time": "0001-01-01T00:00:00Z",
        "leader_address": "",
        "leader_cluster_address": "",
        "performance_standby": False,
        "performance_standby_last_remote_wal": 0,
    }
    if core.ha is not None and not core.sealed:
        holder = core.ha.leader()
        if holder is not None:
            body["leader_address"] = body["leader_cluster_address"] = holder.api_addr
            body["is_self"] = core.ha.is_active
        if core.ha.is_active:
            body["active_time"] = rfc3339nano(core.ha.active_since)
    return Response(raw=body)


def _flag(req: Request, name: str) -> bool:
    try:
        return name in req.data and parse_bool(req.data[name])
    except ValueError:
        return False


def _version() -> str:
    from reconciler import __version__

    return __version__


RAW_HANDLERS: dict[str, RawHandler] = {
    "sys/init": init,
    "sys/seal-status": seal_status,
    "sys/unseal": unseal,
    "sys/health": health,
    "sys/leader": leader,
}

# The key ceremonies answer the same way (bare JSON, no token); their module keeps this short.
from reconciler.store.system.ceremony_paths import CEREMONY_HANDLERS  # noqa: E402

RAW_HANDLERS.update(CEREMONY_HANDLERS)
