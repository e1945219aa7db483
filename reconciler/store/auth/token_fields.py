"""The `token_*` role fields every auth method shares (Vault's `tokenutil`).

One `TokenParams` value declares the fields, parses them from a request, renders them for a
read and fills the `Auth` a login returns. Legacy names (`policies`, `ttl`, `period`, ...) are
accepted where a method historically had them: setting one sets its `token_*` twin as well,
and a read shows the legacy name back only while it is the one in use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from reconciler.store.auth.cidr import parse_cidrs
from reconciler.store.errors import BadRequest
from reconciler.store.framework import Field, FieldData, FieldType
from reconciler.store.logical import Auth

TOKEN_TYPES = ("default", "service", "batch", "default-service", "default-batch")

TOKEN_FIELDS: dict[str, Field] = {
    "token_policies": Field(FieldType.COMMA_STRINGS, [], "policies on issued tokens"),
    "token_ttl": Field(FieldType.DURATION, 0, "initial token TTL"),
    "token_max_ttl": Field(FieldType.DURATION, 0, "maximum token lifetime with renewals"),
    "token_explicit_max_ttl": Field(FieldType.DURATION, 0, "hard cap on token lifetime"),
    "token_period": Field(FieldType.DURATION, 0, "period for periodic tokens"),
    "token_bound_cidrs": Field(FieldType.COMMA_STRINGS, [], "CIDRs the token may be used from"),
    "token_no_default_policy": Field(FieldType.BOOL, False, "leave out the default policy"),
    "token_num_uses": Field(FieldType.INT, 0, "uses per token (0 = unlimited)"),
    "token_type": Field(FieldType.STRING, "default", "service, batch or default"),
}

# legacy name -> its token_* successor; each method names the ones it historically accepted.
LEGACY_FIELDS: dict[str, str] = {
    "policies": "token_policies",
    "ttl": "token_ttl",
    "max_ttl": "token_max_ttl",
    "period": "token_period",
    "bound_cidrs": "token_bound_cidrs",
    "num_uses": "token_num_uses",
}


def token_fields(legacy: Iterable[str] = ()) -> dict[str, Field]:
    """The Field declarations: every `token_*` field plus the named legacy aliases."""
    fields = dict(TOKEN_FIELDS)
    for old in legacy:
        fields[old] = TOKEN_FIELDS[LEGACY_FIELDS[old]]
    return fields


def sanitize_policies(policies: Iterable[str]) -> list[str]:
    """Trim, lowercase, de-duplicate and sort policy names, as Vault's policyutil does."""
    return sorted({p.strip().lower() for p in policies if p.strip()})


def login_display_name(mount_path: str, name: str) -> str:
    """Vault's login display name: the mount path ('/' -> '-') joined to the method's name.

    `approle/` with no name gives "approle"; `jwt/` with "alice" gives "jwt-alice".
    """
    path = mount_path.removeprefix("auth/").strip("/").replace("/", "-")
    return f"{path}-{name}".strip("-") if name else path


@dataclass
class TokenParams:
    """Token settings of a role or user. Durations are seconds; 0 means the mount default.

    Invariants: `policies` are sanitized; `bound_cidrs` are canonical CIDR strings;
    `token_type` is one of TOKEN_TYPES; `legacy` lists legacy names shown on read.
    """

    policies: list[str] = field(default_factory=list)
    ttl: int = 0
    max_ttl: int = 0
    explicit_max_ttl: int = 0
    period: int = 0
    bound_cidrs: list[str] = field(default_factory=list)
    no_default_policy: bool = False
    num_uses: int = 0
    token_type: str = "default"
    legacy: list[str] = field(default_factory=list)

    # -- parsing ---------------------------------------------------------------------------

    def update(self, data: FieldData, legacy: Iterable[str] = ()) -> None:
        """Apply the fields present in `data` (create uses defaults, update keeps the rest).

        Raises BadRequest for invalid values; nothing is changed in that case.
        """
        values = {name: data.get(name) for name in TOKEN_FIELDS if data.present(name)}
        in_use = set(self.legacy)
        for old in legacy:
            new = LEGACY_FIELDS[old]
            if data.present(new):
                in_use.discard(old)
            elif data.present(old):
                values[new] = data.get(old)
                in_use.add(old)
        candidate = TokenParams(**{**asdict(self), "legacy": sorted(in_use)})
        for name, value in values.items():
            setattr(candidate, _ATTR[name], value)
        candidate.policies = sanitize_policies(candidate.policies)
        candidate.bound_cidrs = parse_cidrs(candidate.bound_cidrs, "token_bound_cidrs")
        candidate.validate()
        self.__dict__.update(candidate.__dict__)

    def validate(self) -> None:
        """Raise BadRequest when the settings contradict each other."""
        if self.token_type not in TOKEN_TYPES:
            raise BadRequest(f"invalid 'token_type' value {self.token_type!r}")
        for name in ("ttl", "max_ttl", "explicit_max_ttl", "period", "num_uses"):
            if getattr(self, name) < 0:
                raise BadRequest(f'"token_{name}" cannot be negative')
        if self.max_ttl and self.ttl > self.max_ttl:
            raise BadRequest('"token_ttl" cannot be greater than "token_max_ttl"')
        if self.token_type in ("batch", "default-batch") and (self.period or self.num_uses):
            raise BadRequest(
                "'token_type' cannot be 'batch' or 'default-batch' with a period or num_uses"
            )

    # -- stored and rendered forms ---------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> TokenParams:
        """Decode the stored form (None gives the defaults)."""
        return cls(**(doc or {}))

    def render(self) -> dict[str, Any]:
        """The read-response fields: every `token_*` field, plus legacy names in use."""
        out: dict[str, Any] = {name: getattr(self, _ATTR[name]) for name in TOKEN_FIELDS}
        out["token_policies"] = list(self.policies)
        out["token_bound_cidrs"] = list(self.bound_cidrs)
        for old in self.legacy:
            out[old] = out[LEGACY_FIELDS[old]]
        return out

    def fill(self, auth: Auth) -> Auth:
        """Copy the settings onto a login's `Auth` (the core adds `default` and the token)."""
        auth.policies = list(self.policies)
        auth.ttl = self.ttl
        auth.max_ttl = self.max_ttl
        auth.explicit_max_ttl = self.explicit_max_ttl
        auth.period = self.period
        auth.num_uses = self.num_uses
        auth.no_default_policy = self.no_default_policy
        auth.bound_cidrs = list(self.bound_cidrs)
        auth.token_type = "batch" if self.token_type in ("batch", "default-batch") else "service"
        return auth


_ATTR: dict[str, str] = {
    "token_policies": "policies",
    "token_ttl": "ttl",
    "token_max_ttl": "max_ttl",
    "token_explicit_max_ttl": "explicit_max_ttl",
    "token_period": "period",
    "token_bound_cidrs": "bound_cidrs",
    "token_no_default_policy": "no_default_policy",
    "token_num_uses": "num_uses",
    "token_type": "token_type",
}


class TokenRoleRecord:
    """Mixin for a role dataclass with a `token: TokenParams` field (JWT, Kubernetes).

    Gives the stored form (format version 1) and the read shape, where the token fields are
    flattened next to the role's own fields as Vault returns them.
    """

    token: TokenParams

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"v": 1, **asdict(self)}  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Any:
        """Decode the stored form."""
        fields = {k: v for k, v in doc.items() if k != "v"}
        fields["token"] = TokenParams.from_json(fields.get("token"))
        return cls(**fields)

    def render(self) -> dict[str, Any]:
        """The read-response `data`."""
        out = asdict(self)  # type: ignore[call-overload]
        del out["token"]
        return {**out, **self.token.render()}
