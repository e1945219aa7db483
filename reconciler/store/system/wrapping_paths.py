"""sys/wrapping/wrap|unwrap|lookup|rewrap: response-wrapping tokens (see store/wrapping.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.store.errors import BadRequest, PermissionDenied
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.wrapping import Wrapper

if TYPE_CHECKING:
    from reconciler.store.core import Core

UPDATE = Operation.UPDATE
TOKEN_FIELD = {"token": Field(FieldType.STRING, "")}


def paths(core: Core) -> list[PathSpec]:
    """The four wrapping endpoints.

    unwrap and lookup authenticate by themselves: the caller may present the wrapping token
    as its own token (its `response-wrapping` policy allows nothing else), or pass it in the
    body with a token of its own that may update the path, as in Vault.
    """

    def wrapper() -> Wrapper:
        return Wrapper(core.require_runtime())

    def wrapped_token(req: Request, data: FieldData, path: str) -> str:
        body_token = data.get("token")
        if not body_token:
            return req.token
        runtime = core.require_runtime()
        caller = runtime.tokens.lookup(req.token)
        if caller is None:
            raise PermissionDenied()
        if "root" not in caller.policies:
            allowed = runtime.policies.check(caller.policies, UPDATE, path, None).allowed
            if not allowed:
                raise PermissionDenied()
        return str(body_token)

    def wrap(req: Request, _data: FieldData) -> Response:
        if not req.wrap_ttl:
            raise BadRequest("endpoint requires response wrapping to be used")
        if not req.data:
            raise BadRequest("empty wrap calls are not supported")
        return Response(data=dict(req.data))

    def unwrap(req: Request, data: FieldData) -> Response:
        return wrapper().unwrap(wrapped_token(req, data, "sys/wrapping/unwrap"))

    def lookup(req: Request, data: FieldData) -> Response:
        token = data.get("token") or req.token
        return Response(data=wrapper().lookup(token))

    def rewrap(req: Request, data: FieldData) -> Response:
        token = data.get("token")
        if not token:
            raise BadRequest("missing 'token' field")
        return wrapper().rewrap(token)

    return [
        PathSpec(r"wrapping/wrap", {UPDATE: wrap}, any_fields=True),
        PathSpec(r"wrapping/unwrap", {UPDATE: unwrap}, TOKEN_FIELD, unauthenticated=True),
        PathSpec(
            r"wrapping/lookup",
            {UPDATE: lookup, Operation.READ: lookup},
            TOKEN_FIELD,
            unauthenticated=True,
        ),
        PathSpec(r"wrapping/rewrap", {UPDATE: rewrap}, TOKEN_FIELD),
    ]
