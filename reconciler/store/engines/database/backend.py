"""The `database` secrets engine: dynamic and static credentials for PostgreSQL and MySQL."""

from __future__ import annotations

from reconciler.store.engines.database.connections import ConnectionPaths, Connections
from reconciler.store.engines.database.roles import RolePaths
from reconciler.store.engines.database.static_roles import StaticRoles
from reconciler.store.framework import Backend, MountContext, PathSpec
from reconciler.store.logical import Secret


class DatabaseBackend(Backend):
    """Vault's database engine: `config/`, `roles/`, `creds/`, `static-roles/` and friends.

    Issued users are tracked by the core's leases; `renew_secret`/`revoke_secret` act on them
    and raise on failure so the core keeps the lease and retries. `periodic` runs due static
    role rotations (including ones that fell due while the store was sealed or down).
    """

    type_name = "database"
    slow_work = True  # every path may call a database plugin

    def __init__(self, ctx: MountContext) -> None:
        # The path table refers to these, and Backend.__init__ builds it.
        self.connections = Connections(ctx.storage)
        self.roles = RolePaths(ctx.storage, self.connections, ctx.system)
        self.static_roles = StaticRoles(ctx.storage, self.connections)
        super().__init__(ctx)

    def paths(self) -> list[PathSpec]:
        """Connections, dynamic roles and static roles, in one table."""
        return [
            *ConnectionPaths(self.connections).specs(),
            *self.roles.specs(),
            *self.static_roles.specs(),
        ]

    def renew_secret(self, secret: Secret, increment: int) -> Secret:
        """Extend an issued user's validity (VALID UNTIL or the role's renew statements)."""
        return self.roles.renew(secret, increment)

    def revoke_secret(self, secret: Secret) -> None:
        """Drop an issued user, terminating its sessions first; raises on failure."""
        self.roles.revoke(secret)

    def periodic(self) -> None:
        """Rotate static roles that are due."""
        self.static_roles.tick()

    def cleanup(self) -> None:
        """Close every connection pool."""
        self.connections.close_all()
