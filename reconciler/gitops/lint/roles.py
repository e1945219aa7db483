"""Role rules: token lifetimes (SK006), AppRole secret ID expiry (SK007), CIDR binding (SK008)."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.gitops.lint.context import LintContext
from reconciler.gitops.lint.model import Finding
from reconciler.gitops.manifests import (
    AppRole,
    AwsAuthRole,
    DatabaseRole,
    JWTRole,
    KubernetesRole,
)

AuthRole = AppRole | JWTRole | KubernetesRole | AwsAuthRole


def human_duration(seconds: int) -> str:
    """`90000` -> `25h`, `5400` -> `1h30m`, `45` -> `45s`."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


def _auth_roles(ctx: LintContext) -> Iterator[AuthRole]:
    yield from ctx.of_kind(AppRole)
    yield from ctx.of_kind(JWTRole)
    yield from ctx.of_kind(KubernetesRole)
    yield from ctx.of_kind(AwsAuthRole)


def _token_ttl_problem(role: AuthRole, limit: int) -> tuple[str, str] | None:
    """(message, field) for a role whose tokens live too long, else None."""
    token = role.token
    if token.period and not token.explicit_max_ttl:
        return "periodic tokens (token_period) without token_explicit_max_ttl renew forever", (
            "token_period"
        )
    caps = [t for t in (token.explicit_max_ttl, token.max_ttl) if t]
    if not caps:
        return "no token_max_ttl: tokens live as long as the mount allows (32 days by default)", ""
    longest = min(caps)
    if longest > limit:
        which = "token_explicit_max_ttl" if longest == token.explicit_max_ttl else "token_max_ttl"
        return f"{which} {human_duration(longest)} is longer than {human_duration(limit)}", which
    return None


def check_ttls(ctx: LintContext) -> Iterator[Finding]:
    """SK006: auth roles and database roles need a max TTL, and a short one."""
    limit = ctx.settings.max_ttl
    for role in _auth_roles(ctx):
        problem = _token_ttl_problem(role, limit)
        if problem is not None:
            message, field = problem
            span = ctx.locator.at(role, ("spec", field)) if field else ctx.locator.span(role)
            yield Finding.at(span, "SK006", message, f"{role.kind}/{role.name}")
    for db_role in ctx.of_kind(DatabaseRole):
        subject = f"DatabaseRole/{db_role.name}"
        if not db_role.max_ttl:
            message = "no max_ttl: credentials can be renewed up to the mount's maximum"
            yield Finding.at(ctx.locator.span(db_role), "SK006", message, subject)
        elif db_role.max_ttl > limit:
            message = (
                f"max_ttl {human_duration(db_role.max_ttl)} is longer than {human_duration(limit)}"
            )
            yield Finding.at(
                ctx.locator.at(db_role, ("spec", "max_ttl")), "SK006", message, subject
            )


def check_secret_id_ttl(ctx: LintContext) -> Iterator[Finding]:
    """SK007: AppRole secret IDs must expire (and be required at all)."""
    for role in ctx.of_kind(AppRole):
        subject = f"AppRole/{role.name}"
        if role.bind_secret_id is False:
            span = ctx.locator.at(role, ("spec", "bind_secret_id"))
            message = "bind_secret_id is false: the role_id alone logs in"
            yield Finding.at(span, "SK007", message, subject)
        elif not role.secret_id_ttl:
            message = "no secret_id_ttl: a leaked secret ID works forever"
            yield Finding.at(ctx.locator.span(role), "SK007", message, subject)


def check_cidr_binding(ctx: LintContext) -> Iterator[Finding]:
    """SK008: AppRoles should be bound to the networks their apps run in."""
    for role in ctx.of_kind(AppRole):
        if not role.secret_id_bound_cidrs and not role.token.bound_cidrs:
            message = "no secret_id_bound_cidrs or token_bound_cidrs: usable from any network"
            yield Finding.at(ctx.locator.span(role), "SK008", message, f"AppRole/{role.name}")
