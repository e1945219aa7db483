"""The authenticated key ceremonies, as OpenBao 2.6+ names them (`bao operator rotate-keys`,
`bao operator generate-root`): sys/rotate/root/* and sys/generate-root-token/*.

The same ceremonies as the unauthenticated sys/rekey/* and sys/generate-root/* (which hvac
and older CLIs call), behind a token with sudo, checked by the ACL and audited like any
request. Answers are ordinary `data` envelopes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.store.errors import BadRequest
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response

if TYPE_CHECKING:
    from reconciler.store.core import Core

READ, UPDATE, DELETE = Operation.READ, Operation.UPDATE, Operation.DELETE
_SHARE = {"key": Field(FieldType.STRING, ""), "nonce": Field(FieldType.STRING, "")}
_START = {
    "secret_shares": Field(FieldType.INT, 5),
    "secret_threshold": Field(FieldType.INT, 3),
    "require_verification": Field(FieldType.BOOL, False),
    "pgp_keys": Field(FieldType.COMMA_STRINGS, []),
    "backup": Field(FieldType.BOOL, False),
}
_ATTEMPT = {"otp": Field(FieldType.STRING, ""), "pgp_key": Field(FieldType.STRING, "")}


def _rotation(status: dict[str, object]) -> Response:
    """A rekey answer in OpenBao's sys/rotate/root shape (no PGP fields; a verification
    nonce, empty until there is one)."""
    if not status.get("started", True) and not status.get("complete"):
        return Response(data={k: status[k] for k in ("n", "required", "started", "t")})
    shaped = {k: v for k, v in status.items() if k not in ("pgp_fingerprints", "backup")}
    shaped.setdefault("verification_nonce", "")
    if status.get("complete"):
        shaped["pgp_fingerprints"], shaped["backup"] = None, False
    return Response(data=shaped)


def _generation(status: dict[str, object]) -> Response:
    """A root generation answer in OpenBao's sys/generate-root-token shape (the encoded
    token only once complete)."""
    keep_encoded = bool(status.get("complete"))
    shaped = {
        k: v
        for k, v in status.items()
        if keep_encoded or k not in ("encoded_token", "encoded_root_token")
    }
    return Response(data=shaped)


def paths(core: Core) -> list[PathSpec]:
    """sys/rotate/root/* and sys/generate-root-token/* (sudo)."""
    rekey, roots = core.rekey, core.root_generation

    def rotate_start(_req: Request, data: FieldData) -> Response:
        if data.get("pgp_keys") or data.get("backup"):
            raise BadRequest("PGP-encrypted key shares are not supported by this server")
        started = rekey.start(
            data.get("secret_shares"),
            data.get("secret_threshold"),
            data.get("require_verification"),
        )
        return _rotation(started)

    def rotate_cancel(_req: Request, _data: FieldData) -> None:
        rekey.cancel()

    def generate_cancel(_req: Request, _data: FieldData) -> None:
        roots.cancel()

    return [
        PathSpec(
            r"rotate/root/init",
            {
                READ: lambda r, d: _rotation(rekey.status()),
                UPDATE: rotate_start,
                DELETE: rotate_cancel,
            },
            fields=_START,
            sudo=True,
        ),
        PathSpec(
            r"rotate/root/update",
            {UPDATE: lambda r, d: _rotation(rekey.update(d.get("key"), d.get("nonce")))},
            fields=_SHARE,
            sudo=True,
        ),
        PathSpec(
            r"rotate/root/verify",
            {
                READ: lambda r, d: Response(data=rekey.verify_status()),
                UPDATE: lambda r, d: Response(data=rekey.verify(d.get("key"), d.get("nonce"))),
                DELETE: lambda r, d: Response(data=rekey.verify_cancel()),
            },
            fields=_SHARE,
            sudo=True,
        ),
        PathSpec(
            r"generate-root-token/attempt",
            {
                READ: lambda r, d: _generation(roots.status()),
                UPDATE: lambda r, d: _generation(roots.start(d.get("otp"), d.get("pgp_key"))),
                DELETE: generate_cancel,
            },
            fields=_ATTEMPT,
            sudo=True,
        ),
        PathSpec(
            r"generate-root-token/update",
            {UPDATE: lambda r, d: _generation(roots.update(d.get("key"), d.get("nonce")))},
            fields=_SHARE,
            sudo=True,
        ),
    ]
