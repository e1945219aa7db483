"""sys/metrics: the store's metrics as Vault's JSON or, with `format=prometheus`, as
Prometheus text. It needs a token unless the config's telemetry block sets
`unauthenticated_metrics_access` (for a scraper without one), as in Vault."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.store.errors import BadRequest
from reconciler.store.framework import FieldData, PathSpec
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.telemetry import PROMETHEUS_CONTENT_TYPE

if TYPE_CHECKING:
    from reconciler.store.core import Core


def paths(core: Core) -> list[PathSpec]:
    """The one metrics path."""

    def metrics(_req: Request, data: FieldData) -> Response:
        fmt = str(data.raw.get("format") or "")
        if fmt == "prometheus":
            return Response(body=core.telemetry.prometheus(), content_type=PROMETHEUS_CONTENT_TYPE)
        if fmt not in ("", "json"):
            raise BadRequest(f'unknown metrics format "{fmt}" (use "prometheus" or leave it out)')
        return Response(raw=core.telemetry.vault_json())

    return [
        PathSpec(
            r"metrics",
            {Operation.READ: metrics},
            unauthenticated=core.config.unauthenticated_metrics_access,
            any_fields=True,
        )
    ]
