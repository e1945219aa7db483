"""The rules a Vault-compatible server enforces on write, checked offline by `validate`.

The schemas check each field alone (and which fields exclude each other); these are the
rules between fields (TTL ordering, constraints required together, batch tokens that
cannot be periodic), duration ranges, and the exact syntax of CIDR blocks, as
Vault's tokenutil, AppRole, JWT, database and mount code refuse them. A problem found here
would otherwise surface only at apply, as a 400 with no file:line.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping

from reconciler.gitops.manifests import kinds as k
from reconciler.gitops.manifests.diagnostics import Diagnostic
from reconciler.gitops.manifests.references import Loaded
from reconciler.gitops.manifests.source import JsonPath

# Vault refuses a static role rotated more often than this (database/path_roles.go).
MIN_ROTATION_PERIOD = 5
BATCH_TYPES = frozenset({"batch", "default-batch"})

Found = Iterator[tuple[JsonPath, str]]


def _ordered(low: int | None, high: int | None, names: tuple[str, str]) -> str | None:
    """The message when `low` exceeds a non-zero `high` (zero means "the system's")."""
    if low is not None and high and low > high:
        return f"{names[0]} ({low}s) cannot be greater than {names[1]} ({high}s)"
    return None


def _cidrs(values: Iterable[str], field: str) -> Found:
    for index, value in enumerate(values):
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            yield (
                ("spec", field, index),
                f"'{value}' is not a valid IP address or CIDR block (e.g. 10.0.0.0/8)",
            )


def _token(token: k.TokenSettings) -> Found:
    """Vault's tokenutil rules for the token_* fields of every auth role."""
    message = _ordered(token.ttl, token.max_ttl, ("token_ttl", "token_max_ttl"))
    if message:
        yield ("spec", "token_ttl"), message
    if token.type in BATCH_TYPES and token.period:
        yield ("spec", "token_period"), f"token_type {token.type} cannot issue periodic tokens"
    if token.type in BATCH_TYPES and token.num_uses:
        yield ("spec", "token_num_uses"), f"token_type {token.type} cannot limit uses"
    yield from _cidrs(token.bound_cidrs, "token_bound_cidrs")


def _approle(obj: k.AppRole) -> Found:
    yield from _token(obj.token)
    yield from _cidrs(obj.secret_id_bound_cidrs, "secret_id_bound_cidrs")
    constrained = obj.secret_id_bound_cidrs or obj.token.bound_cidrs
    if obj.bind_secret_id is False and not constrained:
        yield (
            ("spec", "bind_secret_id"),
            "with bind_secret_id false, set secret_id_bound_cidrs or token_bound_cidrs "
            "(the server requires at least one constraint on the role)",
        )


def _jwt_role(obj: k.JWTRole) -> Found:
    # The schema already requires a bound constraint; the token rules are left.
    yield from _token(obj.token)


def _kubernetes_role(obj: k.KubernetesRole) -> Found:
    yield from _token(obj.token)


def _aws_auth_role(obj: k.AwsAuthRole) -> Found:
    # The schema already checks the ARNs' shape; the token rules are left.
    yield from _token(obj.token)


def _mount(obj: k.SecretsEngine | k.AuthMethod) -> Found:
    names = ("default_lease_ttl", "max_lease_ttl")
    message = _ordered(obj.default_lease_ttl, obj.max_lease_ttl, names)
    if message:
        yield ("spec", "default_lease_ttl"), message


def _database_role(obj: k.DatabaseRole) -> Found:
    message = _ordered(obj.default_ttl, obj.max_ttl, ("default_ttl", "max_ttl"))
    if message:
        yield ("spec", "default_ttl"), message


def _static_role(obj: k.DatabaseStaticRole) -> Found:
    # The schema already requires exactly one of rotation_period and rotation_schedule.
    if obj.rotation_period is not None and obj.rotation_period < MIN_ROTATION_PERIOD:
        yield (
            ("spec", "rotation_period"),
            f"rotation_period must be {MIN_ROTATION_PERIOD}s or more",
        )


_RULES: Mapping[str, Callable[[k.Manifest], Found]] = {
    "AppRole": _approle,  # type: ignore[dict-item]
    "JWTRole": _jwt_role,  # type: ignore[dict-item]
    "KubernetesRole": _kubernetes_role,  # type: ignore[dict-item]
    "AwsAuthRole": _aws_auth_role,  # type: ignore[dict-item]
    "SecretsEngine": _mount,  # type: ignore[dict-item]
    "AuthMethod": _mount,  # type: ignore[dict-item]
    "DatabaseRole": _database_role,  # type: ignore[dict-item]
    "DatabaseStaticRole": _static_role,  # type: ignore[dict-item]
}


def server_rule_problems(items: Iterable[Loaded]) -> list[Diagnostic]:
    """Every object the server would refuse on write, at the file:line:col of the field."""
    found: list[Diagnostic] = []
    for item in items:
        rule = _RULES.get(item.obj.kind)
        if rule is not None:
            found += [item.problem(path, message) for path, message in rule(item.obj)]
    return found
