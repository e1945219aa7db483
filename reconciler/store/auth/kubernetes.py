"""The Kubernetes auth method (`auth/kubernetes/`): pods log in with their service-account JWT.

The token is checked either locally against the cluster's service-account signing keys
(`pem_keys`), or by asking the cluster's TokenReview API, authenticated with the configured
reviewer JWT or else with the caller's own token. The service account found is then matched
against the role's bound names and namespaces. Any failure of review or binding is a plain
403, so a caller learns nothing about which check failed.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

import httpx
import jwt as pyjwt

from reconciler.store.auth.cidr import addr_allowed
from reconciler.store.auth.jwt import check_times, glob_match
from reconciler.store.auth.jwt_keys import (
    SUPPORTED_ALGS,
    StaticKeySet,
    TokenError,
    verify_signature,
)
from reconciler.store.auth.role_table import RoleTable
from reconciler.store.auth.token_fields import (
    TokenParams,
    TokenRoleRecord,
    login_display_name,
    token_fields,
)
from reconciler.store.errors import BadRequest, InternalError, NotFound, PermissionDenied
from reconciler.store.framework import Backend, Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Auth, Operation, Request, Response

LEGACY = ("policies", "ttl", "max_ttl", "period", "bound_cidrs", "num_uses")
FORMAT_VERSION = 1
DEFAULT_ISSUER = "kubernetes/serviceaccount"
REVIEW_PATH = "/apis/authentication.k8s.io/v1/tokenreviews"
REVIEW_TIMEOUT = 10.0
SA_PREFIX = "system:serviceaccount:"
LEGACY_CLAIM = "kubernetes.io/serviceaccount/"

CONFIG_FIELDS: dict[str, Field] = {
    "kubernetes_host": Field(FieldType.STRING, ""),
    "kubernetes_ca_cert": Field(FieldType.STRING, ""),
    "token_reviewer_jwt": Field(FieldType.STRING, ""),
    "pem_keys": Field(FieldType.COMMA_STRINGS, []),
    "issuer": Field(FieldType.STRING, ""),
    "disable_iss_validation": Field(FieldType.BOOL, False),
    "disable_local_ca_jwt": Field(FieldType.BOOL, False),
    "use_annotations_as_alias_metadata": Field(FieldType.BOOL, False),
}
ROLE_FIELDS: dict[str, Field] = {
    "name": Field(FieldType.STRING, ""),
    "bound_service_account_names": Field(FieldType.COMMA_STRINGS, []),
    "bound_service_account_namespaces": Field(FieldType.COMMA_STRINGS, []),
    "audience": Field(FieldType.STRING, ""),
    "alias_name_source": Field(FieldType.STRING, "serviceaccount_uid"),
    **token_fields(LEGACY),
}
LOGIN_FIELDS: dict[str, Field] = {"role": Field(FieldType.STRING, ""), "jwt": Field()}
ALIAS_SOURCES = ("serviceaccount_uid", "serviceaccount_name")


@dataclass
class KubernetesConfig:
    """The mount's cluster settings. Invariant: `kubernetes_host` is an http(s) URL."""

    kubernetes_host: str
    kubernetes_ca_cert: str = ""
    token_reviewer_jwt: str = ""
    pem_keys: list[str] = field(default_factory=list)
    issuer: str = ""
    disable_iss_validation: bool = False
    disable_local_ca_jwt: bool = False
    use_annotations_as_alias_metadata: bool = False

    def render(self) -> dict[str, Any]:
        """The read-response `data`: the reviewer JWT is replaced by whether it is set."""
        out = asdict(self)
        out["token_reviewer_jwt_set"] = bool(out.pop("token_reviewer_jwt"))
        return out


@dataclass
class KubernetesRole(TokenRoleRecord):
    """A role: which service accounts (names, namespaces; `*` globs) get which token."""

    bound_service_account_names: list[str] = field(default_factory=list)
    bound_service_account_namespaces: list[str] = field(default_factory=list)
    audience: str = ""
    alias_name_source: str = "serviceaccount_uid"
    token: TokenParams = field(default_factory=TokenParams)

    def render(self) -> dict[str, Any]:
        """The read-response `data` (with Vault's namespace selector, unsupported here)."""
        return {"bound_service_account_namespace_selector": "", **super().render()}

    def binds(self, account: ServiceAccount) -> bool:
        """True when the account's name and namespace both match a bound pattern."""
        names = any(glob_match(p, account.name) for p in self.bound_service_account_names)
        spaces = any(
            glob_match(p, account.namespace) for p in self.bound_service_account_namespaces
        )
        return names and spaces


@dataclass(frozen=True)
class ServiceAccount:
    """The identity a verified token proves."""

    namespace: str
    name: str
    uid: str
    secret_name: str = ""


def account_from_claims(claims: dict[str, Any]) -> ServiceAccount | None:
    """The service account in a token's claims (projected or legacy form), or None.

    When `sub` is present it must name the same account, so mixed-up claims never pass.
    """
    projected = claims.get("kubernetes.io")
    if isinstance(projected, dict) and isinstance(projected.get("serviceaccount"), dict):
        sa = projected["serviceaccount"]
        found = (projected.get("namespace"), sa.get("name"), sa.get("uid"), "")
    else:
        found = tuple(
            claims.get(LEGACY_CLAIM + key)
            for key in ("namespace", "service-account.name", "service-account.uid", "secret.name")
        )
    namespace, name, uid, secret = found
    if not all(isinstance(v, str) and v for v in (namespace, name, uid)):
        return None
    sub = claims.get("sub")
    if sub is not None and sub != f"{SA_PREFIX}{namespace}:{name}":
        return None
    return ServiceAccount(
        str(namespace), str(name), str(uid), secret if isinstance(secret, str) else ""
    )


def _ssl_context(ca_pem: str) -> ssl.SSLContext | bool:
    if not ca_pem:
        return True
    try:
        return ssl.create_default_context(cadata=ca_pem)
    except (ssl.SSLError, ValueError):
        raise BadRequest('"kubernetes_ca_cert" holds no usable PEM certificate') from None


def token_review(config: KubernetesConfig, token: str, audience: str) -> ServiceAccount:
    """Ask the cluster's TokenReview API who `token` belongs to.

    Raises PermissionDenied when the cluster does not vouch for it, InternalError when the
    cluster cannot be asked. The token itself never appears in an error.
    """
    spec: dict[str, Any] = {"token": token}
    if audience:
        spec["audiences"] = [audience]
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}
    bearer = config.token_reviewer_jwt or token
    try:
        response = httpx.post(
            config.kubernetes_host.rstrip("/") + REVIEW_PATH,
            json=body,
            headers={"Authorization": f"Bearer {bearer}"},
            verify=_ssl_context(config.kubernetes_ca_cert),
            timeout=REVIEW_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise InternalError(f"kubernetes token review failed: {type(exc).__name__}") from None
    if response.status_code in (401, 403):
        raise PermissionDenied()
    if response.status_code >= 300:
        raise InternalError(f"kubernetes token review failed: HTTP {response.status_code}")
    try:
        status = response.json().get("status") or {}
    except (ValueError, AttributeError):
        raise InternalError("kubernetes token review returned an invalid body") from None
    return _reviewed_account(status, audience)


def _reviewed_account(status: dict[str, Any], audience: str) -> ServiceAccount:
    if status.get("authenticated") is not True or status.get("error"):
        raise PermissionDenied()
    if audience and audience not in (status.get("audiences") or []):
        raise PermissionDenied()
    user = status.get("user") or {}
    username = str(user.get("username", ""))
    parts = username.removeprefix(SA_PREFIX).split(":")
    if not username.startswith(SA_PREFIX) or len(parts) != 2 or not all(parts):
        raise PermissionDenied()
    return ServiceAccount(parts[0], parts[1], str(user.get("uid", "")))


def _check_config(config: KubernetesConfig) -> None:
    if not config.kubernetes_host:
        raise BadRequest("no host provided")
    if not re.match(r"https?://", config.kubernetes_host):
        raise BadRequest('"kubernetes_host" must be an http:// or https:// URL')
    # As OpenBao: the CA is kept as given (checked when a login calls the cluster), and
    # without the pod's local CA a CA must be given. (Without either, OpenBao also needs the
    # pod's CA file; Sealkeep uses the system's trust store: see intended_differences.py.)
    if not config.kubernetes_ca_cert and config.disable_local_ca_jwt:
        raise BadRequest("kubernetes_ca_cert must be given when disable_local_ca_jwt is true")
    try:
        StaticKeySet(config.pem_keys)
    except ValueError as exc:
        raise BadRequest(f'"pem_keys": {exc}') from None


def _check_role(role: KubernetesRole) -> None:
    # As OpenBao 2.x: empty or "*" bounds are accepted; a login must still match both lists.
    if role.alias_name_source not in ALIAS_SOURCES:
        raise BadRequest(f"invalid alias_name_source: {role.alias_name_source!r}")


class KubernetesBackend(Backend):
    """Kubernetes auth: cluster config, service-account roles, and the login."""

    type_name: ClassVar[str] = "kubernetes"
    mount_class: ClassVar[Literal["secret", "auth"]] = "auth"

    def paths(self) -> list[PathSpec]:
        """The Kubernetes path table (§6.2 of the API subset)."""
        self.roles = RoleTable(self.storage, KubernetesRole.from_json)
        return [
            # Login and config writes fetch keys or call the cluster: off the request lock.
            PathSpec(
                "login",
                {Operation.UPDATE: self._login},
                LOGIN_FIELDS,
                unauthenticated=True,
                slow=True,
            ),
            PathSpec(
                "config",
                {Operation.READ: self._read_config, Operation.UPDATE: self._write_config},
                CONFIG_FIELDS,
                slow=True,
            ),
            *self.roles.paths(self._write_role, ROLE_FIELDS),
        ]

    # -- config ----------------------------------------------------------------------------

    def _config(self) -> KubernetesConfig | None:
        doc = self.storage.get_json("config")
        if doc is None:
            return None
        return KubernetesConfig(**{k: v for k, v in doc.items() if k != "v"})

    def _read_config(self, req: Request, data: FieldData) -> Response:
        config = self._config()
        if config is None:
            raise NotFound()
        return Response(data=config.render())

    def _write_config(self, req: Request, data: FieldData) -> None:
        config = KubernetesConfig(**{name: data.get(name) for name in CONFIG_FIELDS})
        _check_config(config)
        self.storage.put_json("config", {"v": FORMAT_VERSION, **asdict(config)})

    # -- roles -----------------------------------------------------------------------------

    def _write_role(self, req: Request, data: FieldData) -> None:
        name = data.get("name").lower()
        role = self.roles.get(name) or KubernetesRole()
        for field_name in ("bound_service_account_names", "bound_service_account_namespaces"):
            if data.present(field_name):
                setattr(role, field_name, [v for v in data.get(field_name) if v])
        for field_name in ("audience", "alias_name_source"):
            if data.present(field_name):
                setattr(role, field_name, data.get(field_name))
        role.token.update(data, LEGACY)
        _check_role(role)
        self.storage.put_json(f"role/{name}", role.to_json())

    # -- login -----------------------------------------------------------------------------

    def _login(self, req: Request, data: FieldData) -> Response:
        role_name = data.get("role")
        if not role_name:
            raise BadRequest("missing role")
        token = data.get("jwt")
        if not isinstance(token, str) or not token.strip():
            raise BadRequest("missing jwt")
        config = self._config()
        if config is None:
            raise BadRequest("could not load backend configuration")
        role = self.roles.get(role_name)
        if role is None:
            raise BadRequest(f'invalid role name "{role_name}"')
        if not addr_allowed(req.remote_addr, role.token.bound_cidrs):
            raise PermissionDenied()
        token = token.strip()
        if config.pem_keys:
            account = self._verify_locally(token, config, role)
        else:
            account = self._review(token, config, role)
        if not role.binds(account):
            raise PermissionDenied()
        return Response(auth=self._auth(account, role_name.lower(), role))

    def _verify_locally(
        self, token: str, config: KubernetesConfig, role: KubernetesRole
    ) -> ServiceAccount:
        try:
            claims = verify_signature(token, StaticKeySet(config.pem_keys), list(SUPPORTED_ALGS))
            check_times(claims, (60, 0, 0))
        except TokenError:
            raise PermissionDenied() from None
        expected_issuer = config.issuer or DEFAULT_ISSUER
        if not config.disable_iss_validation and claims.get("iss") != expected_issuer:
            raise PermissionDenied()
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if role.audience and role.audience not in audiences:
            raise PermissionDenied()
        account = account_from_claims(claims)
        if account is None:
            raise PermissionDenied()
        return account

    def _review(self, token: str, config: KubernetesConfig, role: KubernetesRole) -> ServiceAccount:
        # The unverified claims only name the account the caller claims to be (and the
        # legacy secret name); the cluster's answer is what decides.
        try:
            claimed = account_from_claims(pyjwt.decode(token, options={"verify_signature": False}))
        except pyjwt.PyJWTError:
            raise PermissionDenied() from None
        reviewed = token_review(config, token, role.audience)
        if claimed is not None and (claimed.namespace, claimed.name) != (
            reviewed.namespace,
            reviewed.name,
        ):
            raise PermissionDenied()
        secret = claimed.secret_name if claimed else ""
        return ServiceAccount(reviewed.namespace, reviewed.name, reviewed.uid, secret)

    def _auth(self, account: ServiceAccount, role_name: str, role: KubernetesRole) -> Auth:
        auth = role.token.fill(Auth())
        auth.metadata = {
            "service_account_uid": account.uid,
            "service_account_name": account.name,
            "service_account_namespace": account.namespace,
            "service_account_secret_name": account.secret_name,
            "role": role_name,
        }
        if role.alias_name_source == "serviceaccount_name":
            auth.alias_name = f"{account.namespace}/{account.name}"
        else:
            auth.alias_name = account.uid
        auth.display_name = login_display_name(
            self.ctx.mount.path, f"{account.namespace}-{account.name}"
        )
        return auth
