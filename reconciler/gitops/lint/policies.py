"""Policy rules: whole-mount wildcards (SK001), sudo (SK002), one policy on many roles (SK003).

YAML rules and HCL text (embedded `spec.hcl` or `policies/*.hcl`) are read into one shape,
with the HCL parsed by the store's own parser so lint and the store agree on what a path means.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from reconciler.gitops.lint.context import LintContext
from reconciler.gitops.lint.model import Finding
from reconciler.gitops.manifests import (
    AppRole,
    AwsAuthRole,
    JWTRole,
    KubernetesRole,
    Policy,
    Span,
)
from reconciler.gitops.manifests.hcl import HclProblem, embedded_span

# kv-v2 puts an API word after the mount: secret/data/*, secret/metadata/* cover the mount.
_KV_API_WORDS = frozenset({"data", "metadata", "delete", "undelete", "destroy", "subkeys"})
_BUILTIN_POLICIES = frozenset({"default", "root"})
_SHOWN_ROLES = 5


@dataclass(frozen=True)
class Grant:
    """One path rule of a policy: the pattern as written, its capabilities, and where it is."""

    pattern: str
    capabilities: tuple[str, ...]
    span: Span

    @property
    def denies(self) -> bool:
        """True for a `deny` rule, which grants nothing."""
        return "deny" in self.capabilities


def _hcl_grants(ctx: LintContext, policy: Policy) -> Iterator[Grant]:
    from reconciler.vocabulary.policy.model import PolicyParseError, capability_names
    from reconciler.vocabulary.policy.parser import parse_policy

    try:
        parsed = parse_policy(policy.name, policy.hcl or "")
    except PolicyParseError:
        return
    start = ctx.locator.span(policy)
    embedded = (
        ctx.locator.at(policy, ("spec", "hcl")) if start.path.endswith((".yaml", ".yml")) else None
    )
    for rule in parsed.rules:
        line = rule.line or 1
        if embedded is None:
            span = Span(start.path, line, 1)
        else:
            lines = ctx.locator.lines(start.path)
            span = embedded_span(embedded, lines, HclProblem(line, 1, ""))
        yield Grant(rule.pattern, tuple(capability_names(rule.capabilities)), span)


def grants(ctx: LintContext, policy: Policy) -> list[Grant]:
    """Every path rule of a policy, from YAML rules or HCL text."""
    if policy.hcl is not None:
        return list(_hcl_grants(ctx, policy))
    return [
        Grant(
            rule.path,
            tuple(rule.capabilities),
            ctx.locator.at(policy, ("spec", "rules", i, "path")),
        )
        for i, rule in enumerate(policy.rules)
    ]


def covers_whole_mount(pattern: str) -> bool:
    """True when a path pattern matches everything in a mount (or in every mount).

    `*`, `secret/*`, `secret/+/*`, `secret/data/*` and `auth/approle/*` do; a pattern with a
    fixed segment below the mount (`secret/data/payments/*`) or no wildcard at all does not.
    """
    text = pattern.strip().lstrip("/")
    segments = text.split("/")
    if not (text.endswith("*") or segments[-1] == "+"):
        return False
    body = text[:-1] if text.endswith("*") else text
    concrete = [s for s in body.split("/") if s and s != "+"]
    mount_depth = 2 if concrete[:1] == ["auth"] else 1
    if len(concrete) > mount_depth and concrete[mount_depth] in _KV_API_WORDS:
        concrete.pop(mount_depth)
    return len(concrete) <= mount_depth


def check_mount_wildcards(ctx: LintContext) -> Iterator[Finding]:
    """SK001: a rule whose path covers a whole mount grants far more than one team needs."""
    for policy in ctx.of_kind(Policy):
        for grant in grants(ctx, policy):
            if not grant.denies and covers_whole_mount(grant.pattern):
                caps = ", ".join(grant.capabilities)
                message = f"path '{grant.pattern}' grants [{caps}] on a whole mount"
                yield Finding.at(grant.span, "SK001", message, f"Policy/{policy.name}")


def check_sudo(ctx: LintContext) -> Iterator[Finding]:
    """SK002: `sudo` opens root-protected endpoints."""
    for policy in ctx.of_kind(Policy):
        for grant in grants(ctx, policy):
            if "sudo" in grant.capabilities and not grant.denies:
                message = f"path '{grant.pattern}' grants sudo"
                yield Finding.at(grant.span, "SK002", message, f"Policy/{policy.name}")


def check_shared_policies(ctx: LintContext) -> Iterator[Finding]:
    """SK003: a policy attached to more roles than the threshold."""
    users: dict[str, list[str]] = {}
    for cls in (AppRole, JWTRole, KubernetesRole, AwsAuthRole):
        for role in ctx.of_kind(cls):
            for name in role.token.policies:
                users.setdefault(name, []).append(f"{role.kind}/{role.name}")
    limit = ctx.settings.max_roles_per_policy
    for policy in ctx.of_kind(Policy):
        roles = users.get(policy.name, [])
        if policy.name in _BUILTIN_POLICIES or len(roles) <= limit:
            continue
        shown = ", ".join(roles[:_SHOWN_ROLES]) + (", ..." if len(roles) > _SHOWN_ROLES else "")
        message = f"attached to {len(roles)} roles (more than {limit}): {shown}"
        yield Finding.at(ctx.locator.span(policy), "SK003", message, f"Policy/{policy.name}")
