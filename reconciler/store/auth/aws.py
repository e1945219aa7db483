"""The AWS auth method (`auth/aws/`), `iam` login type: callers prove an IAM identity.

The caller signs an `sts:GetCallerIdentity` request with its AWS credentials and sends the
signed request (not the credentials); the server replays it to STS (`config/client`'s
`sts_endpoint`) and binds the ARN STS answers with to a role's `bound_iam_principal_arn`.
The replay is an HTTP call, so the login runs on the work pool, as do role writes that
resolve ARNs to unique ids through IAM.

Where Sealkeep differs from Vault on purpose: Vault answers a refused login (unbound ARN,
wrong server-ID header, STS refusing the signature) with 400; Sealkeep answers 403 with
Vault's words, as its other auth methods do, so clients see an authentication failure. The
`ec2` login type is not implemented (role writes with `auth_type=ec2` are refused), nor is
Vault's re-check of the principal when a token is renewed: a token from this method renews
like any other, up to its max TTL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from reconciler.store.auth.aws_iam import IamAccess, full_arn, unique_id
from reconciler.store.auth.aws_sts import (
    CallerIdentity,
    IamEntity,
    LoginRefused,
    check_server_id,
    check_signature_age,
    decode_login,
    parse_arn,
    sts_endpoint,
    submit,
)
from reconciler.store.auth.cidr import addr_allowed
from reconciler.store.auth.jwt import glob_match
from reconciler.store.auth.role_table import ROLE_NAME, RoleTable
from reconciler.store.auth.token_fields import (
    TokenParams,
    TokenRoleRecord,
    login_display_name,
    token_fields,
)
from reconciler.store.errors import BadRequest, NotFound, PermissionDenied
from reconciler.store.framework import Backend, Field, FieldData, FieldType, PathSpec
from reconciler.store.ids import new_uuid
from reconciler.store.logical import Auth, Operation, Request, Response

LEGACY = ("policies", "ttl", "max_ttl", "period")
FORMAT_VERSION = 1

CONFIG_FIELDS: dict[str, Field] = {
    "access_key": Field(FieldType.STRING, ""),
    "secret_key": Field(FieldType.STRING, ""),
    "iam_endpoint": Field(FieldType.STRING, ""),
    "sts_endpoint": Field(FieldType.STRING, ""),
    "sts_region": Field(FieldType.STRING, ""),
    "iam_server_id_header_value": Field(FieldType.STRING, ""),
}
ROLE_FIELDS: dict[str, Field] = {
    "name": Field(FieldType.STRING, ""),
    "auth_type": Field(FieldType.STRING, "iam"),
    "bound_iam_principal_arn": Field(FieldType.COMMA_STRINGS, []),
    "resolve_aws_unique_ids": Field(FieldType.BOOL, True),
    **token_fields(LEGACY),
}
LOGIN_FIELDS: dict[str, Field] = {
    "role": Field(FieldType.STRING, ""),
    "iam_http_request_method": Field(FieldType.STRING, ""),
    "iam_request_url": Field(FieldType.STRING, ""),
    "iam_request_body": Field(FieldType.STRING, ""),
    "iam_request_headers": Field(FieldType.ANY),
}


@dataclass
class AwsClientConfig:
    """`config/client`: where STS and IAM are, and the server-ID header logins must sign."""

    access_key: str = ""
    secret_key: str = ""
    iam_endpoint: str = ""
    sts_endpoint: str = ""
    sts_region: str = ""
    iam_server_id_header_value: str = ""

    def render(self) -> dict[str, Any]:
        """The read-response `data`: the secret key is never returned."""
        out = asdict(self)
        del out["secret_key"]
        return out

    def iam(self) -> IamAccess:
        """How to reach IAM with these settings."""
        return IamAccess(self.iam_endpoint, self.access_key, self.secret_key)


@dataclass
class AwsRole(TokenRoleRecord):
    """An `iam` role. Invariant: with `resolve_aws_unique_ids`, every bound ARN without `*`
    has its principal's unique id in `bound_iam_principal_id`."""

    auth_type: str = "iam"
    bound_iam_principal_arn: list[str] = field(default_factory=list)
    bound_iam_principal_id: list[str] = field(default_factory=list)
    resolve_aws_unique_ids: bool = True
    role_id: str = ""
    token: TokenParams = field(default_factory=TokenParams)

    def binds(self, caller: CallerIdentity, entity: IamEntity, access: IamAccess) -> bool:
        """Vault's three ways in: unique id, canonical ARN (no resolving), wildcard on full ARN."""
        unique = caller.user_id.split(":")[0]
        if unique and unique in self.bound_iam_principal_id:
            return True
        if not self.resolve_aws_unique_ids and entity.canonical_arn() in (
            self.bound_iam_principal_arn
        ):
            return True
        wildcards = [p for p in self.bound_iam_principal_arn if p.endswith("*")]
        if not wildcards:
            return False
        arn = full_arn(access, entity)
        return any(glob_match(pattern, arn) for pattern in wildcards)


class AwsBackend(Backend):
    """AWS auth: client config, `iam` roles, and the login."""

    type_name: ClassVar[str] = "aws"
    mount_class: ClassVar[Literal["secret", "auth"]] = "auth"

    def paths(self) -> list[PathSpec]:
        """The AWS path table: login, config/client, role/ (role writes may call IAM)."""
        self.roles = RoleTable(self.storage, AwsRole.from_json)
        return [
            PathSpec(
                "login",
                {Operation.UPDATE: self._login},
                LOGIN_FIELDS,
                unauthenticated=True,
                slow=True,
            ),
            PathSpec(
                "config/client",
                {
                    Operation.READ: self._read_config,
                    Operation.UPDATE: self._write_config,
                    Operation.DELETE: self._delete_config,
                },
                CONFIG_FIELDS,
            ),
            PathSpec("roles?/?", {Operation.LIST: self.roles.list}),
            PathSpec(
                f"role/{ROLE_NAME}",
                {
                    Operation.READ: self.roles.read,
                    Operation.UPDATE: self._write_role,
                    Operation.DELETE: self.roles.delete,
                },
                ROLE_FIELDS,
                existence_check=self.roles.exists,
                slow=True,
            ),
        ]

    # -- config ----------------------------------------------------------------------------

    def _config(self) -> AwsClientConfig:
        doc = self.storage.get_json("config/client")
        return AwsClientConfig(**{k: v for k, v in (doc or {}).items() if k != "v"})

    def _read_config(self, req: Request, data: FieldData) -> Response:
        if self.storage.get_json("config/client") is None:
            raise NotFound()
        return Response(data=self._config().render())

    def _write_config(self, req: Request, data: FieldData) -> None:
        config = self._config()
        for name in CONFIG_FIELDS:
            if data.present(name):
                setattr(config, name, data.get(name))
        for name in ("sts_endpoint", "iam_endpoint"):
            value = getattr(config, name)
            if value and not value.startswith(("http://", "https://")):
                raise BadRequest(f'"{name}" must be an http:// or https:// URL')
        self.storage.put_json("config/client", {"v": FORMAT_VERSION, **asdict(config)})

    def _delete_config(self, req: Request, data: FieldData) -> None:
        self.storage.delete("config/client")

    # -- roles -----------------------------------------------------------------------------

    def _write_role(self, req: Request, data: FieldData) -> None:
        name = data.get("name").lower()
        role = self.roles.get(name) or AwsRole(role_id=new_uuid())
        if data.present("auth_type"):
            role.auth_type = data.get("auth_type")
        if role.auth_type != "iam":
            raise BadRequest(f"unsupported auth_type {role.auth_type!r}: only iam is supported")
        if data.present("resolve_aws_unique_ids"):
            wanted = data.get("resolve_aws_unique_ids")
            if role.resolve_aws_unique_ids and not wanted and self.roles.get(name) is not None:
                raise BadRequest(
                    "changing resolve_aws_unique_ids from true to false is not allowed"
                )
            role.resolve_aws_unique_ids = wanted
        if data.present("bound_iam_principal_arn"):
            role.bound_iam_principal_arn = [a for a in data.get("bound_iam_principal_arn") if a]
        if not role.bound_iam_principal_arn:
            raise BadRequest("at least one bound parameter should be specified on the role")
        for arn in role.bound_iam_principal_arn:
            if not arn.endswith("*"):
                parse_arn(arn)
        role.token.update(data, LEGACY)
        role.bound_iam_principal_id = self._resolve(role)
        self.storage.put_json(f"role/{name}", role.to_json())

    def _resolve(self, role: AwsRole) -> list[str]:
        if not role.resolve_aws_unique_ids:
            return []
        access = self._config().iam()
        exact = [arn for arn in role.bound_iam_principal_arn if "*" not in arn]
        return [unique_id(access, arn) for arn in exact]

    # -- login -----------------------------------------------------------------------------

    def _login(self, req: Request, data: FieldData) -> Response:
        signed = decode_login({name: data.get(name) for name in LOGIN_FIELDS})
        config = self._config()
        if config.iam_server_id_header_value:
            check_server_id(signed, config.iam_server_id_header_value)
        check_signature_age(signed, dt.datetime.now(dt.UTC))
        caller = submit(signed, sts_endpoint(config.sts_endpoint, config.sts_region))
        entity = parse_arn(caller.arn)
        role_name = (data.get("role") or entity.friendly_name).lower()
        role = self.roles.get(role_name)
        if role is None:
            raise BadRequest(f"entry for role {role_name} not found")
        if role.auth_type != "iam":
            raise BadRequest(f"auth method iam not allowed for role {role_name}")
        if not addr_allowed(req.remote_addr, role.token.bound_cidrs):
            raise PermissionDenied()
        if not role.binds(caller, entity, config.iam()):
            raise LoginRefused(
                f'IAM Principal "{caller.arn}" does not belong to the role "{role_name}"'
            )
        return Response(auth=self._auth(caller, entity, role_name, role))

    def _auth(self, caller: CallerIdentity, entity: IamEntity, name: str, role: AwsRole) -> Auth:
        auth = role.token.fill(Auth())
        auth.metadata = {
            "client_arn": caller.arn,
            "canonical_arn": entity.canonical_arn(),
            "client_user_id": caller.user_id.split(":")[0],
            "auth_type": "iam",
            "inferred_entity_type": "",
            "inferred_entity_id": "",
            "inferred_aws_region": "",
            "account_id": entity.account,
            "role_id": role.role_id,
            "role": name,
        }
        # Vault's default iam_alias is the role id.
        auth.alias_name = role.role_id
        auth.display_name = login_display_name(self.ctx.mount.path, entity.friendly_name)
        return auth
