"""sys/rekey/* and sys/generate-root/*: the key ceremonies, unauthenticated as in Vault.

They need no token because they are how operators recover when no token is left: the proof
is a threshold of unseal shares. They answer bare JSON objects like sys/unseal, and only
while the store is unsealed (a standby sends them to its active node).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.store.errors import BadRequest, Sealed, Standby, UnsupportedOperation
from reconciler.store.framework import FieldType, coerce
from reconciler.store.logical import Operation, Request, Response
from reconciler.vocabulary.otp import OTPError, decode_token

if TYPE_CHECKING:
    from reconciler.store.core import Core

WRITE = (Operation.UPDATE, Operation.CREATE)


def _ready(core: Core) -> None:
    if core.sealed:
        raise Sealed()
    if core.standby:
        assert core.ha is not None
        leader = core.ha.leader()
        raise Standby(leader.api_addr if leader else "")


def _text(req: Request, name: str) -> str:
    value = req.data.get(name, "")
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string")
    return value


def rekey_init(core: Core, req: Request) -> Response | None:
    """GET progress, PUT start, DELETE cancel."""
    _ready(core)
    if req.operation is Operation.READ:
        return Response(raw=core.rekey.status())
    if req.operation is Operation.DELETE:
        core.rekey.cancel()
        return None
    if req.operation not in WRITE:
        raise UnsupportedOperation()
    if req.data.get("pgp_keys") or req.data.get("backup"):
        raise BadRequest("PGP-encrypted key shares are not supported by this server")
    shares = coerce("secret_shares", FieldType.INT, req.data.get("secret_shares", 5))
    threshold = coerce("secret_threshold", FieldType.INT, req.data.get("secret_threshold", 3))
    verify = coerce(
        "require_verification", FieldType.BOOL, req.data.get("require_verification", False)
    )
    return Response(raw=core.rekey.start(shares, threshold, verify))


def rekey_update(core: Core, req: Request) -> Response:
    """PUT one current share."""
    _ready(core)
    if req.operation not in WRITE:
        raise UnsupportedOperation()
    return Response(raw=core.rekey.update(_text(req, "key"), _text(req, "nonce")))


def rekey_verify(core: Core, req: Request) -> Response:
    """GET progress, PUT one new share, DELETE restart the verification."""
    _ready(core)
    if req.operation is Operation.READ:
        return Response(raw=core.rekey.verify_status())
    if req.operation is Operation.DELETE:
        return Response(raw=core.rekey.verify_cancel())
    if req.operation not in WRITE:
        raise UnsupportedOperation()
    return Response(raw=core.rekey.verify(_text(req, "key"), _text(req, "nonce")))


def generate_root_attempt(core: Core, req: Request) -> Response | None:
    """GET progress, PUT start (with or without an OTP), DELETE cancel."""
    _ready(core)
    if req.operation is Operation.READ:
        return Response(raw=core.root_generation.status())
    if req.operation is Operation.DELETE:
        core.root_generation.cancel()
        return None
    if req.operation not in WRITE:
        raise UnsupportedOperation()
    return Response(raw=core.root_generation.start(_text(req, "otp"), _text(req, "pgp_key")))


def generate_root_update(core: Core, req: Request) -> Response:
    """PUT one share; the last one answers the encoded root token."""
    _ready(core)
    if req.operation not in WRITE:
        raise UnsupportedOperation()
    return Response(raw=core.root_generation.update(_text(req, "key"), _text(req, "nonce")))


def decode(core: Core, req: Request) -> Response:
    """PUT sys/decode-token {encoded_token, otp}: the token, for whoever holds the OTP."""
    if req.operation not in WRITE:
        raise UnsupportedOperation()
    try:
        token = decode_token(_text(req, "encoded_token"), _text(req, "otp"))
    except OTPError as exc:
        raise BadRequest(str(exc)) from None
    body: dict[str, Any] = {"data": {"token": token}}
    return Response(raw=body)


CEREMONY_HANDLERS: dict[str, Callable[[Core, Request], Response | None]] = {
    "sys/rekey/init": rekey_init,
    "sys/rekey/update": rekey_update,
    "sys/rekey/verify": rekey_verify,
    "sys/generate-root/attempt": generate_root_attempt,
    "sys/generate-root/update": generate_root_update,
    "sys/decode-token": decode,
}
