"""IAM look-ups the AWS auth method makes with the server's own credentials.

`resolve_aws_unique_ids` binds a role to the unique id of the principal its ARN names when
the role is written (so a principal deleted and re-created under the same name is a
different principal), and wildcard bindings are matched against the principal's full ARN,
path included. Both ask IAM (`iam_endpoint`, `access_key`/`secret_key` of
`config/client`, else botocore's usual credential chain). These are HTTP calls: callers run
on the work pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.store.auth.aws_sts import IamEntity, parse_arn
from reconciler.store.errors import BadRequest


@dataclass(frozen=True)
class IamAccess:
    """How to reach IAM: endpoint ('' = AWS's) and keys ('' = botocore's credential chain)."""

    endpoint: str = ""
    access_key: str = ""
    secret_key: str = ""
    region: str = "us-east-1"


def _client(access: IamAccess) -> Any:
    # botocore loads in ~0.3 s: only a mount that resolves ids pays for it.
    import botocore.session

    session = botocore.session.get_session()
    kwargs: dict[str, Any] = {"region_name": access.region}
    if access.endpoint:
        kwargs["endpoint_url"] = access.endpoint
    if access.access_key:
        kwargs["aws_access_key_id"] = access.access_key
        kwargs["aws_secret_access_key"] = access.secret_key
    return session.create_client("iam", **kwargs)


def _principal(access: IamAccess, entity: IamEntity) -> dict[str, Any]:
    import botocore.exceptions

    client = _client(access)
    try:
        if entity.type == "user":
            return dict(client.get_user(UserName=entity.friendly_name)["User"])
        if entity.type in ("role", "assumed-role"):
            return dict(client.get_role(RoleName=entity.friendly_name)["Role"])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise BadRequest(
            f"error fetching {entity.type} {entity.friendly_name!r}: {type(exc).__name__}"
        ) from None
    raise BadRequest(f"unrecognized entity type: {entity.type}")


def unique_id(access: IamAccess, arn: str) -> str:
    """The unique id (AIDA.../AROA...) of the principal an ARN names, or a 400."""
    try:
        return str(_principal(access, parse_arn(arn))["UserId" if ":user/" in arn else "RoleId"])
    except BadRequest as exc:
        raise BadRequest(f"unable to resolve ARN {arn!r} to internal ID: {exc}") from None


def full_arn(access: IamAccess, entity: IamEntity) -> str:
    """The principal's ARN as IAM has it (with its path), or a 400."""
    try:
        return str(_principal(access, entity)["Arn"])
    except BadRequest as exc:
        raise BadRequest(f"error looking up full ARN of entity: {exc}") from None
