"""The `sys/` backend: one path table assembled from the sys modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.store.framework import Backend, MountContext, PathSpec
from reconciler.store.system import (
    audit_paths,
    keys_paths,
    lease_paths,
    lockout_paths,
    metrics_paths,
    mount_paths,
    policy_paths,
    quota_paths,
    remount_paths,
    rotation_paths,
    snapshot_paths,
    tools_paths,
    wrapping_paths,
)

if TYPE_CHECKING:
    from reconciler.store.core import Core


class SystemBackend(Backend):
    """Mounts, auth methods, policies, capabilities, keys, leases and audit devices."""

    type_name = "system"

    def __init__(self, ctx: MountContext, core: Core) -> None:
        self.core = core
        super().__init__(ctx)

    def paths(self) -> list[PathSpec]:
        """Every sys path; each module contributes its own group."""
        core = self.core
        return [
            *mount_paths.paths(core),
            *metrics_paths.paths(core),
            *policy_paths.paths(core),
            *keys_paths.paths(core),
            *lease_paths.paths(core),
            *audit_paths.paths(core),
            *quota_paths.paths(core),
            *lockout_paths.paths(core),
            *snapshot_paths.paths(core),
            *rotation_paths.paths(core),
            *wrapping_paths.paths(core),
            *remount_paths.paths(core),
            *tools_paths.paths(core),
        ]
