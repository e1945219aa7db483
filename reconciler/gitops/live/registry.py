"""One handler per kind the reconciler manages, in dependency order."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.gitops.live.database import (
    DatabaseConnectionHandler,
    DatabaseRoleHandler,
    DatabaseStaticRoleHandler,
)
from reconciler.gitops.live.handlers import Handler
from reconciler.gitops.live.mounts import (
    AuditDeviceHandler,
    AuthMethodHandler,
    SecretsEngineHandler,
)
from reconciler.gitops.live.policies import PolicyHandler
from reconciler.gitops.live.quotas import RateLimitQuotaHandler
from reconciler.gitops.live.roles import (
    AppRoleHandler,
    AwsAuthRoleHandler,
    JWTRoleHandler,
    KubernetesRoleHandler,
)
from reconciler.gitops.live.secrets import SecretHandler
from reconciler.gitops.live.transit import TransitKeyHandler

HANDLERS: Mapping[str, Handler] = {
    h.kind: h
    for h in (
        SecretsEngineHandler(),
        AuthMethodHandler(),
        AuditDeviceHandler(),
        PolicyHandler(),
        RateLimitQuotaHandler(),
        AppRoleHandler(),
        JWTRoleHandler(),
        KubernetesRoleHandler(),
        AwsAuthRoleHandler(),
        SecretHandler(),
        DatabaseConnectionHandler(),
        DatabaseRoleHandler(),
        DatabaseStaticRoleHandler(),
        TransitKeyHandler(),
    )
}


def handler_for(kind: str) -> Handler:
    """The handler of `kind`; KeyError for a kind the reconciler does not manage."""
    return HANDLERS[kind]


def is_managed_kind(kind: str) -> bool:
    """Whether the reconciler reads and writes objects of `kind`."""
    return kind in HANDLERS
