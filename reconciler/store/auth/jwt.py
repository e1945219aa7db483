"""The JWT/OIDC auth method (`auth/jwt/`): log in with a signed JWT from a trusted issuer.

Keys come from exactly one source (static PEM keys, a JWKS URL, JWKS pairs or OIDC
discovery). A role binds audiences, subject and claims (exact or glob), names the claim that
identifies the user and maps claims into token metadata. This is how CI (GitHub Actions OIDC
tokens) and workloads (Kubernetes service-account tokens) log in with no stored credential.
Only the direct JWT login is served; the browser OIDC flow (role_type "oidc") is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from reconciler.store.auth.cidr import addr_allowed
from reconciler.store.auth.jwt_keys import (
    SUPPORTED_ALGS,
    CombinedKeySet,
    DiscoveredJWKS,
    KeySet,
    KeySourceError,
    KeySourceUnreachable,
    RemoteJWKS,
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
from reconciler.store.timefmt import now

LEGACY = ("policies", "ttl", "max_ttl", "period", "bound_cidrs", "num_uses")
FORMAT_VERSION = 1
KEY_SOURCES = ("jwt_validation_pubkeys", "jwks_url", "jwks_pairs", "oidc_discovery_url")
ONE_SOURCE = (
    "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or "
    "'oidc_discovery_url' must be set"
)

CONFIG_FIELDS: dict[str, Field] = {
    "oidc_discovery_url": Field(FieldType.STRING, ""),
    "oidc_discovery_ca_pem": Field(FieldType.STRING, ""),
    "oidc_client_id": Field(FieldType.STRING, ""),
    "oidc_client_secret": Field(FieldType.STRING, ""),
    "oidc_response_mode": Field(FieldType.STRING, ""),
    "oidc_response_types": Field(FieldType.COMMA_STRINGS, []),
    "jwks_url": Field(FieldType.STRING, ""),
    "jwks_ca_pem": Field(FieldType.STRING, ""),
    "jwks_pairs": Field(FieldType.ANY, []),
    "jwt_validation_pubkeys": Field(FieldType.STRINGS, []),
    "jwt_supported_algs": Field(FieldType.COMMA_STRINGS, []),
    "bound_issuer": Field(FieldType.STRING, ""),
    "default_role": Field(FieldType.STRING, ""),
    "provider_config": Field(FieldType.MAP, {}),
    "namespace_in_state": Field(FieldType.BOOL, True),
}

ROLE_FIELDS: dict[str, Field] = {
    "name": Field(FieldType.STRING, ""),
    "role_type": Field(FieldType.STRING, "oidc"),
    "user_claim": Field(FieldType.STRING, "sub"),
    "user_claim_json_pointer": Field(FieldType.BOOL, False),
    "bound_audiences": Field(FieldType.COMMA_STRINGS, []),
    "bound_subject": Field(FieldType.STRING, ""),
    "bound_claims": Field(FieldType.MAP, {}),
    "bound_claims_type": Field(FieldType.STRING, "string"),
    "claim_mappings": Field(FieldType.KV_MAP, {}),
    "groups_claim": Field(FieldType.STRING, ""),
    "oidc_scopes": Field(FieldType.COMMA_STRINGS, []),
    "allowed_redirect_uris": Field(FieldType.COMMA_STRINGS, []),
    "verbose_oidc_logging": Field(FieldType.BOOL, False),
    "max_age": Field(FieldType.DURATION, 0),
    "clock_skew_leeway": Field(FieldType.DURATION, 60),
    "expiration_leeway": Field(FieldType.DURATION, 150),
    "not_before_leeway": Field(FieldType.DURATION, 150),
    **token_fields(LEGACY),
}
LOGIN_FIELDS: dict[str, Field] = {"role": Field(FieldType.STRING, ""), "jwt": Field()}


# -- claims --------------------------------------------------------------------------------


def get_claim(claims: dict[str, Any], name: str, pointer: bool = True) -> Any:
    """A claim by name, or by JSON pointer (`/kubernetes.io/namespace`) when it starts with /.

    Returns None when the claim is absent.
    """
    if not (pointer and name.startswith("/")):
        return claims.get(name)
    node: Any = claims
    for part in name[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _groups(claims: dict[str, Any], role: JWTRole) -> list[str]:
    """The role's `groups_claim` values: the external groups the login joins (as Vault)."""
    if not role.groups_claim:
        return []
    value = get_claim(claims, role.groups_claim)
    if value is None:
        raise BadRequest(f'"{role.groups_claim}" claim not found in token')
    items = value if isinstance(value, list) else [value]
    names = [claim_text(item) for item in items]
    if any(name is None for name in names):
        raise BadRequest(f'"{role.groups_claim}" claim values must be strings')
    return [name for name in names if name]


def claim_text(value: Any) -> str | None:
    """A scalar claim as a string (JSON booleans as true/false), or None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if isinstance(value, str | float):
        return str(value)
    return None


def glob_match(pattern: str, value: str) -> bool:
    """True when `value` matches `pattern`, whose only wildcard is `*` (any run of text)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, re.DOTALL) is not None


def check_times(claims: dict[str, Any], leeways: tuple[int, int, int]) -> None:
    """Check exp / nbf / iat with (clock skew, expiration, not-before) leeways in seconds."""
    skew, exp_leeway, nbf_leeway = leeways
    moment = now()
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise TokenError(f"{name} claim is not a number")
    if "exp" in claims and moment > claims["exp"] + exp_leeway + skew:
        raise TokenError("token is expired")
    if "nbf" in claims and moment < claims["nbf"] - nbf_leeway - skew:
        raise TokenError("token not valid yet")
    if "iat" in claims and moment < claims["iat"] - skew:
        raise TokenError("token issued in the future")


def _leeway(value: int, default: int) -> int:
    # Vault: 0 means "the default", -1 turns the leeway off.
    if value < 0:
        return 0
    return value or default


# -- stored forms ------------------------------------------------------------------------


@dataclass
class JWTConfig:
    """The mount's configuration. Invariant: exactly one key source is set."""

    oidc_discovery_url: str = ""
    oidc_discovery_ca_pem: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_response_mode: str = ""
    oidc_response_types: list[str] = field(default_factory=list)
    jwks_url: str = ""
    jwks_ca_pem: str = ""
    jwks_pairs: list[dict[str, str]] = field(default_factory=list)
    jwt_validation_pubkeys: list[str] = field(default_factory=list)
    jwt_supported_algs: list[str] = field(default_factory=list)
    bound_issuer: str = ""
    default_role: str = ""
    provider_config: dict[str, Any] = field(default_factory=dict)
    namespace_in_state: bool = True

    def render(self) -> dict[str, Any]:
        """The read-response `data`: everything but the client secret."""
        out = asdict(self)
        del out["oidc_client_secret"]
        return out

    def key_set(self) -> KeySet:
        """A fresh key set for the configured source."""
        if self.jwt_validation_pubkeys:
            return StaticKeySet(self.jwt_validation_pubkeys)
        if self.jwks_url:
            return RemoteJWKS(self.jwks_url, self.jwks_ca_pem)
        if self.jwks_pairs:
            pairs = [RemoteJWKS(p["jwks_url"], p.get("jwks_ca_pem", "")) for p in self.jwks_pairs]
            return CombinedKeySet(list(pairs))
        return DiscoveredJWKS(self.oidc_discovery_url, self.oidc_discovery_ca_pem)


@dataclass
class JWTRole(TokenRoleRecord):
    """A JWT role. Durations are seconds; `bound_claims` values are a string or a list."""

    role_type: str = "oidc"
    user_claim: str = "sub"
    user_claim_json_pointer: bool = False
    bound_audiences: list[str] = field(default_factory=list)
    bound_subject: str = ""
    bound_claims: dict[str, Any] = field(default_factory=dict)
    bound_claims_type: str = "string"
    claim_mappings: dict[str, str] = field(default_factory=dict)
    groups_claim: str = ""
    oidc_scopes: list[str] = field(default_factory=list)
    allowed_redirect_uris: list[str] = field(default_factory=list)
    verbose_oidc_logging: bool = False
    max_age: int = 0
    clock_skew_leeway: int = 60
    expiration_leeway: int = 150
    not_before_leeway: int = 150
    token: TokenParams = field(default_factory=TokenParams)

    def leeways(self) -> tuple[int, int, int]:
        """(clock skew, expiration, not-before) leeways in effect, in seconds."""
        return (
            _leeway(self.clock_skew_leeway, 60),
            _leeway(self.expiration_leeway, 150),
            _leeway(self.not_before_leeway, 150),
        )


def _validate_bound_claims(role: JWTRole) -> None:
    if role.bound_claims_type not in ("string", "glob"):
        raise BadRequest(f'invalid "bound_claims_type": {role.bound_claims_type!r}')
    for name, expected in role.bound_claims.items():
        values = expected if isinstance(expected, list) else [expected]
        for value in values:
            scalar = claim_text(value)
            if scalar is None or (role.bound_claims_type == "glob" and not isinstance(value, str)):
                raise BadRequest(f'bound claim "{name}" must be a string or a list of strings')


def _validate_role(role: JWTRole) -> None:
    if role.role_type not in ("jwt", "oidc"):
        raise BadRequest(f"invalid 'role_type': {role.role_type!r}")
    if role.role_type == "oidc" and not role.allowed_redirect_uris:
        raise BadRequest(
            "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified."
        )
    if not role.user_claim:
        raise BadRequest("a user claim must be defined on the role")
    _validate_bound_claims(role)
    bound = role.bound_audiences or role.bound_subject or role.bound_claims
    if role.role_type == "jwt" and not (bound or role.token.bound_cidrs):
        raise BadRequest("must have at least one bound constraint when creating/updating a role")
    targets = list(role.claim_mappings.values())
    if "role" in targets:
        raise BadRequest('metadata key "role" is reserved and may not be a mapping destination')
    duplicate = next((t for t in targets if targets.count(t) > 1), None)
    if duplicate is not None:
        raise BadRequest(f'multiple keys are mapped to metadata key "{duplicate}"')


def _parse_pairs(raw: Any) -> list[dict[str, str]]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except json.JSONDecodeError:
            raise BadRequest('"jwks_pairs" must be a list of objects') from None
    pairs = raw if isinstance(raw, list) else [raw]
    out = []
    for pair in pairs:
        if not isinstance(pair, dict) or not isinstance(pair.get("jwks_url"), str):
            raise BadRequest('each entry of "jwks_pairs" needs a "jwks_url"')
        out.append({"jwks_url": pair["jwks_url"], "jwks_ca_pem": str(pair.get("jwks_ca_pem", ""))})
    return out


def _check_config(config: JWTConfig) -> tuple[KeySet, list[str]]:
    """Validate a config and load its keys once, so a bad URL or PEM fails the write.

    An identity provider that cannot be reached right now (unlike one that answers with
    something wrong) does not fail the write: config-as-code must be able to apply while
    the provider is briefly down or, in an isolated network, before it is reachable. The
    write then carries a warning and the keys are fetched at the first login.
    """
    if sum(1 for name in KEY_SOURCES if getattr(config, name)) != 1:
        raise BadRequest(ONE_SOURCE)
    for alg in config.jwt_supported_algs:
        if alg not in SUPPORTED_ALGS:
            raise BadRequest(f"invalid jwt_supported_algs: {alg!r} is not supported")
    try:
        keys = config.key_set()
    except ValueError as exc:
        raise BadRequest(f"error parsing public key: {exc}") from None
    what = "oidc discovery URL" if config.oidc_discovery_url else "jwks URL"
    try:
        keys.check()
    except KeySourceUnreachable as exc:
        return keys, [f"could not check the {what} now ({exc}); keys are fetched at login"]
    except KeySourceError as exc:
        raise BadRequest(f"error checking {what}: {exc}") from None
    return keys, []


def _check_audience(claims: dict[str, Any], role: JWTRole) -> None:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not role.bound_audiences:
        if audiences:
            raise BadRequest("audience claim found in JWT but no audiences bound to the role")
        return
    if not set(role.bound_audiences) & {a for a in audiences if isinstance(a, str)}:
        raise TokenError(
            "invalid audience (aud) claim: audience claim does not match any expected audience"
        )


def _check_bound_claims(claims: dict[str, Any], role: JWTRole) -> None:
    for name, expected in role.bound_claims.items():
        actual = get_claim(claims, name)
        if actual is None:
            raise TokenError(f'claim "{name}" is missing')
        wanted = [claim_text(v) for v in (expected if isinstance(expected, list) else [expected])]
        got = [claim_text(v) for v in (actual if isinstance(actual, list) else [actual])]
        for value in (g for g in got if g is not None):
            if any(
                w is not None
                and (w == value or (role.bound_claims_type == "glob" and glob_match(w, value)))
                for w in wanted
            ):
                break
        else:
            raise TokenError(f'claim "{name}" does not match any associated bound claim values')


def _mapped_metadata(claims: dict[str, Any], role: JWTRole) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for source, target in role.claim_mappings.items():
        value = get_claim(claims, source)
        if value is None:
            continue
        text = claim_text(value)
        if text is None:
            raise BadRequest(f'error converting claim "{source}" to string')
        metadata[target] = text
    return metadata


class JWTBackend(Backend):
    """JWT auth: config (one key source), roles (bindings and token settings), login."""

    type_name: ClassVar[str] = "jwt"
    mount_class: ClassVar[Literal["secret", "auth"]] = "auth"

    def paths(self) -> list[PathSpec]:
        """The JWT path table (§6.1 of the API subset)."""
        self.roles = RoleTable(self.storage, JWTRole.from_json)
        self._keys: KeySet | None = None
        self._keys_for = ""
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

    def _config(self) -> JWTConfig | None:
        doc = self.storage.get_json("config")
        return None if doc is None else JWTConfig(**{k: v for k, v in doc.items() if k != "v"})

    def _key_set(self, config: JWTConfig) -> KeySet:
        # The key set (and its JWKS cache) lives as long as the config it was built from.
        fingerprint = json.dumps([getattr(config, n) for n in KEY_SOURCES], sort_keys=True)
        if self._keys is None or fingerprint != self._keys_for:
            self._keys, self._keys_for = config.key_set(), fingerprint
        return self._keys

    def _read_config(self, req: Request, data: FieldData) -> Response:
        config = self._config()
        if config is None:
            raise NotFound()
        return Response(data=config.render())

    def _write_config(self, req: Request, data: FieldData) -> Response | None:
        values = {name: data.get(name) for name in CONFIG_FIELDS}
        values["jwks_pairs"] = _parse_pairs(values["jwks_pairs"])
        config = JWTConfig(**values)
        keys, warnings = _check_config(config)
        self.storage.put_json("config", {"v": FORMAT_VERSION, **asdict(config)})
        self._keys = keys
        self._keys_for = json.dumps([getattr(config, n) for n in KEY_SOURCES], sort_keys=True)
        return Response(warnings=warnings) if warnings else None

    # -- roles -----------------------------------------------------------------------------

    def _write_role(self, req: Request, data: FieldData) -> None:
        name = data.get("name").lower()
        role = self.roles.get(name) or JWTRole()
        for field_name in JWTRole.__dataclass_fields__:
            if field_name != "token" and data.present(field_name):
                setattr(role, field_name, data.get(field_name))
        role.token.update(data, LEGACY)
        _validate_role(role)
        self.storage.put_json(f"role/{name}", role.to_json())

    # -- login -----------------------------------------------------------------------------

    def _login(self, req: Request, data: FieldData) -> Response:
        config = self._config()
        if config is None:
            raise BadRequest("could not load configuration")
        role_name = data.get("role") or config.default_role
        if not role_name:
            raise BadRequest("missing role")
        role = self.roles.get(role_name)
        if role is None:
            raise BadRequest(f'role "{role_name}" could not be found')
        if role.role_type != "jwt":
            raise BadRequest("role with oidc role_type is not allowed")
        token = data.get("jwt")
        if not isinstance(token, str) or not token.strip():
            raise BadRequest("missing token")
        if not addr_allowed(req.remote_addr, role.token.bound_cidrs):
            raise PermissionDenied()
        claims = self._verified_claims(token.strip(), config, role)
        return Response(auth=self._auth(claims, role_name.lower(), role))

    def _verified_claims(self, token: str, config: JWTConfig, role: JWTRole) -> dict[str, Any]:
        keys = self._key_set(config)
        try:
            claims = verify_signature(token, keys, config.jwt_supported_algs or ["RS256"])
            check_times(claims, role.leeways())
            issuer = config.bound_issuer or getattr(keys, "issuer", "")
            if issuer and claims.get("iss") != issuer:
                raise TokenError("invalid issuer (iss) claim")
            _check_audience(claims, role)
            if role.bound_subject and claims.get("sub") != role.bound_subject:
                raise TokenError("invalid subject (sub) claim")
        except TokenError as exc:
            raise BadRequest(f"error validating token: {exc}") from None
        except KeySourceError as exc:
            raise InternalError(f"error fetching signing keys: {exc}") from None
        try:
            _check_bound_claims(claims, role)
        except TokenError as exc:
            raise BadRequest(f"error validating claims: {exc}") from None
        return claims

    def _auth(self, claims: dict[str, Any], role_name: str, role: JWTRole) -> Auth:
        user = claim_text(get_claim(claims, role.user_claim, role.user_claim_json_pointer))
        if not user:
            raise BadRequest(f'claim "{role.user_claim}" not found in token')
        auth = role.token.fill(Auth())
        auth.metadata = {**_mapped_metadata(claims, role), "role": role_name}
        auth.alias_name = user
        auth.group_aliases = _groups(claims, role)
        auth.display_name = login_display_name(self.ctx.mount.path, user)
        return auth


class OIDCBackend(JWTBackend):
    """The same method mounted as type `oidc` (Vault serves both types from one plugin)."""

    type_name: ClassVar[str] = "oidc"
