"""The services that exist only while the store is unsealed.

Everything here holds decrypted state (mount table, token cache, compiled ACLs, audit salts);
`close()` drops it all when the store seals.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
from typing import TYPE_CHECKING, Any

from reconciler.store import catalog
from reconciler.store.audit.broker import AuditBroker
from reconciler.store.auth.token_backend import TokenBackend
from reconciler.store.auth.tokens import TokenStore, fill_auth
from reconciler.store.engines.cubbyhole import CubbyholeBackend
from reconciler.store.errors import AuditFailed, BadRequest
from reconciler.store.framework import Backend, MountContext, MountEntry, SystemView
from reconciler.store.identity.backend import IdentityBackend
from reconciler.store.identity.store import EntityDisabled, IdentityStore
from reconciler.store.ids import mount_accessor, new_uuid
from reconciler.store.leases import LeaseManager
from reconciler.store.lockout import UserLockout, parse_user_lockout_config
from reconciler.store.logical import Auth, Request, Response, Secret
from reconciler.store.mounts import (
    PROTECTED_PREFIXES,
    TABLE_KEYS,
    Mount,
    MountTable,
    entry_from_json,
    entry_to_json,
    normalize_mount_path,
)
from reconciler.store.policy_store import PolicyStore
from reconciler.store.quotas import QuotaManager
from reconciler.store.storage.cache import ReadCache
from reconciler.store.storage.view import StorageView
from reconciler.store.system.backend import SystemBackend

if TYPE_CHECKING:
    from reconciler.store.auth.token_entry import TokenEntry
    from reconciler.store.core import Core

log = logging.getLogger("sealkeep.runtime")

TYPE_ALIASES = {"kv-v2": ("kv", "2"), "kv-v1": ("kv", "1")}


class Runtime:
    """Mounts, tokens, leases, policies and audit of an unsealed store."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = ReadCache(core.barrier)
        sys_view = StorageView(self.store, "sys/")
        config = core.config
        self.tokens = TokenStore(
            sys_view.sub("token/"), config.default_lease_ttl, config.max_lease_ttl
        )
        self.policies = PolicyStore(sys_view.sub("policy/"))
        self.audit = AuditBroker(sys_view.sub("audit/"))
        self.entities = sys_view.sub("entity/")  # before identity: alias -> entity id only
        self.identity = IdentityStore(sys_view.sub("identity/"), self._auth_mount_of)
        self.tokens.identity_policies = self.identity.identity_policies
        self.leases = LeaseManager(sys_view.sub("expire/"), self.backend_for)
        self.tokens.revoke_leases = self._token_revoked
        self.mounts = MountTable()
        self.quotas = QuotaManager(sys_view.sub("quotas/"), self.mounts, self.audit_request)
        self.lockout = UserLockout(sys_view.sub("lockout/"))
        self.cluster: tuple[str, str] = ("", "")

    @classmethod
    def create(cls, core: Core, first_time: bool) -> Runtime:
        """Load (or, at init, create) the mount table and start every service."""
        runtime = cls(core)
        if first_time:
            runtime._create_default_mounts()
        else:
            runtime._load_mounts()
        runtime.cluster = runtime._cluster_identity()
        runtime.identity.load(legacy=runtime.entities)
        runtime.leases.load()
        runtime.tokens.load_expiry()
        runtime.audit.load()
        runtime.quotas.load()
        runtime.lockout.load()
        return runtime

    def _cluster_identity(self) -> tuple[str, str]:
        """The cluster name and id, created once at init and kept in the barrier."""
        doc = self.core.barrier.get("core/cluster")
        if doc is None:
            identity = {
                "name": f"{self.core.config.cluster_name}-{new_uuid()[:8]}",
                "id": new_uuid(),
            }
            self.core.barrier.put("core/cluster", json.dumps(identity).encode())
        else:
            identity = json.loads(doc)
        return identity["name"], identity["id"]

    # -- mounts ----------------------------------------------------------------------------

    def _create_default_mounts(self) -> None:
        self._mount(self._entry("sys/", "system", "system endpoints used for control", "secret"))
        self._mount(self._entry("token/", "token", "token based credentials", "auth"))
        self._mount_cubbyhole()
        self._mount_identity()
        # As in Vault, `secret/` is mounted by dev mode only (Core.dev_setup): after a real
        # init the usual bootstrap `secrets enable -path=secret kv-v2` must succeed.
        self._save_tables()

    def _load_mounts(self) -> None:
        for mount_class, key in TABLE_KEYS.items():
            for doc in self._read_table(key):
                entry = entry_from_json(doc)
                entry.mount_class = mount_class  # type: ignore[assignment]
                self._mount(entry)
        if self.mounts.get("cubbyhole/") is None:  # a store initialised before cubbyhole
            self._mount_cubbyhole()
            self._save_tables()
        if self.mounts.get("identity/") is None:  # a store initialised before identity
            self._mount_identity()
            self._save_tables()

    def _mount_identity(self) -> None:
        self._mount(self._entry("identity/", "identity", "identity store", "secret"))

    def _auth_mount_of(self, accessor: str) -> tuple[str, str] | None:
        """(route prefix, type) of the auth mount with `accessor` (identity aliases)."""
        for entry in self.mounts.entries("auth"):
            if entry.accessor == accessor:
                return f"auth/{entry.path}", entry.type
        return None

    def _mount_cubbyhole(self) -> None:
        entry = self._entry("cubbyhole/", "cubbyhole", "per-token private secret storage", "secret")
        entry.local = True
        self._mount(entry)

    def cubbyhole(self) -> CubbyholeBackend:
        """The cubbyhole backend (every unsealed store has one)."""
        mount = self.mounts.get("cubbyhole/")
        assert mount is not None and isinstance(mount.backend, CubbyholeBackend)
        return mount.backend

    def _token_revoked(self, id_hash: str) -> None:
        """A token is going away: revoke its leases and drop its cubbyhole."""
        self.leases.revoke_for_token(id_hash)
        self.cubbyhole().destroy(id_hash)

    def _read_table(self, key: str) -> list[dict[str, Any]]:
        raw = self.core.barrier.get(key)
        if raw is None:
            return []
        return list(json.loads(raw)["entries"])

    def _save_tables(self, changed: MountEntry | None = None) -> None:
        """Write both mount tables in one storage transaction (all or nothing).

        `changed` stands in for the live row with its uuid: a tune is stored before it is
        applied in memory, so a failed write leaves both as they were.
        """
        with self.core.barrier.transaction() as txn:
            for mount_class, key in TABLE_KEYS.items():
                entries = self.mounts.entries(mount_class)
                if changed is not None:
                    entries = [changed if e.uuid == changed.uuid else e for e in entries]
                rows = [entry_to_json(e) for e in entries]
                txn.put(key, json.dumps({"v": 1, "entries": rows}).encode())

    @staticmethod
    def _entry(path: str, kind: str, description: str, mount_class: str) -> MountEntry:
        return MountEntry(
            path=path,
            type=kind,
            accessor=mount_accessor(kind, mount_class == "auth"),
            uuid=new_uuid(),
            description=description,
            mount_class=mount_class,  # type: ignore[arg-type]
        )

    def _mount(self, entry: MountEntry) -> Mount:
        area = "auth" if entry.mount_class == "auth" else "logical"
        view = StorageView(self.store, f"{area}/{entry.uuid}/")
        system = SystemView(
            entry, self.core.config.default_lease_ttl, self.core.config.max_lease_ttl
        )
        ctx = MountContext(storage=view, mount=entry, system=system)
        mount = Mount(entry, self._build_backend(entry, ctx))
        self.mounts.add(mount)
        return mount

    def _build_backend(self, entry: MountEntry, ctx: MountContext) -> Backend:
        if entry.type == "system":
            return SystemBackend(ctx, self.core)
        if entry.type == "token":
            return TokenBackend(ctx, self.tokens, self.core.has_sudo)
        if entry.type == "cubbyhole":
            return CubbyholeBackend(ctx)
        if entry.type == "identity":
            return IdentityBackend(ctx, self.identity)
        # `generic` is Vault's old name of KV v1: the mount keeps the name, and no version.
        kind = "kv" if entry.type == "generic" else entry.type
        factory = catalog.factory_for(kind, entry.mount_class)
        if factory is None:
            raise BadRequest(f"plugin not found in the catalog: {entry.type}")
        return factory(ctx)

    def enable(self, path: str, kind: str, mount_class: str, fields: dict[str, Any]) -> None:
        """Mount a new engine or auth method (sys/mounts/:path, sys/auth/:path)."""
        path = normalize_mount_path(path)
        if not kind:
            raise BadRequest("backend type must be specified as a string")
        if mount_class == "secret" and path.startswith(PROTECTED_PREFIXES):
            raise BadRequest(f'cannot mount "{path}"')
        kind, options = _resolve_type(kind, dict(fields.get("options") or {}))
        entry = self._entry(path, kind, str(fields.get("description") or ""), mount_class)
        entry.options = options
        entry.config = _mount_config(fields.get("config") or {})
        entry.local = bool(fields.get("local") or False)
        mount = self._mount(entry)
        try:
            self._save_tables()
        except BaseException:
            # Not stored, so not mounted: memory goes back to what storage says.
            self.mounts.remove(mount.route_prefix)
            mount.backend.cleanup()
            mount.backend.storage.delete_all()
            raise

    def disable(self, path: str, mount_class: str) -> None:
        """Unmount: revoke the mount's leases (or tokens) and drop its data."""
        path = normalize_mount_path(path)
        prefix = ("auth/" if mount_class == "auth" else "") + path
        mount = self.mounts.get(prefix)
        if mount is None:
            return
        if mount_class == "auth":
            self._revoke_tokens_of(mount.entry.accessor)
            self.identity.forget_mount(mount.entry.accessor)  # as Vault: its aliases go
        else:
            self.leases.revoke_prefix(prefix, force=True)
        self.mounts.remove(prefix)
        mount.backend.cleanup()
        mount.backend.storage.delete_all()
        self._save_tables()
        self.quotas.forget_mount(prefix)  # as Vault: a mount's quotas go with it
        self.lockout.forget_mount(mount.entry.accessor)

    def _revoke_tokens_of(self, accessor: str) -> None:
        for name in self.tokens.storage.list("id/"):
            doc = self.tokens.storage.get_json(f"id/{name}")
            if doc and doc.get("mount_accessor") == accessor:
                self.tokens.revoke_tree(name)

    def move(self, source: str, target: str) -> tuple[str, str]:
        """Move a mount to a new path (sys/remount); returns the normalised (from, to).

        Storage is keyed by the mount's UUID, so only the table row changes. As Vault did
        before it migrated leases, the leases under the old path are revoked first.
        """
        src, dst = normalize_mount_path(source), normalize_mount_path(target)
        if src.startswith("auth/") != dst.startswith("auth/"):
            kind = "auth" if src.startswith("auth/") else "non-auth"
            other = "non-auth" if kind == "auth" else "auth"
            raise BadRequest(f'cannot remount {kind} mount to {other} mount "{dst}"')
        for path in (src, dst):
            bare = path.removeprefix("auth/")
            if bare.startswith(PROTECTED_PREFIXES) or path == "auth/token/":
                raise BadRequest(f'cannot remount "{path}"')
        mount = self.mounts.get(src)
        if mount is None:
            raise BadRequest(f'no matching mount at "{src}"')
        if any(p.startswith(dst) or dst.startswith(p) for p in self._prefixes()):
            raise BadRequest(f'path already in use at "{dst}"')
        if mount.entry.mount_class == "auth":
            self._revoke_tokens_of(mount.entry.accessor)
        else:
            self.leases.revoke_prefix(src, force=True)
        self.mounts.remove(src)
        mount.backend.cleanup()
        mount.entry.path = dst.removeprefix("auth/")
        self._mount(mount.entry)
        self._save_tables()
        return src, dst

    def _prefixes(self) -> list[str]:
        return [m.route_prefix for m in self.mounts.mounts()]

    def tune(self, mount: Mount, fields: dict[str, Any]) -> None:
        """Change a mount's TTLs, description or options (sys/mounts/:path/tune).

        All or nothing: every field is checked on a copy of the row, the copy is stored,
        and only then does the live row take its values.
        """
        entry = mount.entry
        changed = copy.deepcopy(entry)
        changed.config.update(_mount_config(fields))
        if fields.get("description") is not None:
            changed.description = str(fields["description"])
        options = fields.get("options") or {}
        if not isinstance(options, dict):
            raise BadRequest("options: expected a map of strings")
        if "version" in options and entry.type != "kv":
            raise BadRequest(f'secrets engine "{entry.type}" does not allow setting a version')
        changed.options.update({k: str(v) for k, v in options.items()})
        self._save_tables(changed)
        # The live row is shared by the backend and its system view: change it in place.
        for name in ("description", "options", "config"):
            setattr(entry, name, getattr(changed, name))
        if "version" in options:  # KV v1 -> v2 upgrade: rebuild the backend
            self.mounts.remove(mount.route_prefix)
            self._mount(entry)

    def backend_for(self, route_prefix: str) -> Backend | None:
        """The backend mounted at `route_prefix` (lease revocation needs it)."""
        mount = self.mounts.get(route_prefix)
        return None if mount is None else mount.backend

    # -- tokens and leases -----------------------------------------------------------------

    def issue_login_token(self, req: Request, mount: Mount, auth: Auth) -> None:
        """Create the token for a successful login and fill in `auth`'s token fields."""
        from reconciler.store.core import auth_to_token_params

        auth.entity_id = auth.entity_id or self._entity_for(mount, auth.alias_name)
        if self.identity.is_disabled(auth.entity_id):
            raise EntityDisabled()  # as Vault: a disabled entity cannot log in
        if auth.entity_id:  # as Vault, each login refreshes its external group memberships
            self.identity.sync_external_groups(
                auth.entity_id, mount.entry.accessor, auth.group_aliases
            )
        system = mount.backend.ctx.system
        limits = (system.default_lease_ttl(), system.max_lease_ttl())
        token_id, entry = self.tokens.create(auth_to_token_params(req, mount, auth, limits))
        fill_auth(auth, token_id, entry)
        auth.identity_policies = list(self.identity.identity_policies(auth.entity_id))
        auth.policies = sorted({*auth.policies, *auth.identity_policies})

    def _entity_for(self, mount: Mount, alias_name: str) -> str:
        """The entity of the login's alias (created at first login); none without an alias."""
        if not alias_name:
            return ""
        return self.identity.login_entity(mount.entry.accessor, alias_name)

    def token_policies(self, entry: TokenEntry) -> list[str]:
        """The policies a request is checked against: the token's and its entity's groups'."""
        extra = self.identity.identity_policies(entry.entity_id)
        if not extra:
            return entry.policies
        return sorted({*entry.policies, *extra})

    def register_lease(self, req: Request, mount: Mount, secret: Secret) -> None:
        """Persist a lease for a dynamic secret, owned by the calling token."""
        system = mount.backend.ctx.system
        owner = req.token_entry.id_hash if req.token_entry is not None else ""
        limits = (system.default_lease_ttl(), system.max_lease_ttl())
        self.leases.register(req.path, mount.route_prefix, secret, owner, limits)

    @staticmethod
    def cidr_allows(cidrs: list[str], remote_addr: str) -> bool:
        """True when `remote_addr` is inside one of `cidrs`."""
        try:
            addr = ipaddress.ip_address(remote_addr)
        except ValueError:
            return False
        return any(addr in ipaddress.ip_network(c, strict=False) for c in cidrs)

    # -- audit -----------------------------------------------------------------------------

    def audit_request(self, req: Request, error: str | None) -> None:
        """Log the request entry; raises AuditFailed when devices exist and none logged."""
        if self.audit.has_devices:
            request_keys, _ = self._non_hmac_keys(req)
            try:
                self.audit.log_request(req, error, non_hmac_request_keys=request_keys)
            except AuditFailed:
                self.core.telemetry.audit_request_failure.inc()
                raise

    def audit_response(self, req: Request, resp: Response | None, error: str | None) -> None:
        """Log the response entry (fail closed as for requests)."""
        if self.audit.has_devices:
            request_keys, response_keys = self._non_hmac_keys(req)
            try:
                self.audit.log_response(
                    req,
                    resp,
                    error,
                    non_hmac_request_keys=request_keys,
                    non_hmac_response_keys=response_keys,
                )
            except AuditFailed:
                self.core.telemetry.audit_response_failure.inc()
                raise

    def _non_hmac_keys(self, req: Request) -> tuple[list[str], list[str]]:
        """The mount's tuned `audit_non_hmac_request_keys` / `..._response_keys`."""
        mount = self.mounts.get(req.mount_point) if req.mount_point else None
        if mount is None:
            return [], []
        config = mount.entry.config
        return (
            list(config.get("audit_non_hmac_request_keys", [])),
            list(config.get("audit_non_hmac_response_keys", [])),
        )

    # -- background ------------------------------------------------------------------------

    def tick(self) -> None:
        """Expire leases and tokens; run each engine's scheduled work."""
        self.leases.tick()
        self.audit.tick()
        for id_hash in self.tokens.expired_hashes():
            self.tokens.revoke_tree(id_hash)
        for mount in self.mounts.mounts():
            try:
                mount.backend.periodic()
            except Exception:  # one engine's failure must not stop the others' schedules
                log.exception("periodic work failed on %s", mount.route_prefix)

    def close(self) -> None:
        """Stop everything and drop decrypted state."""
        self.audit.close()
        for mount in self.mounts.clear():
            mount.backend.cleanup()
        self.tokens.drop_cache()
        self.leases.clear()
        self.store.clear()


def _resolve_type(kind: str, options: dict[str, Any]) -> tuple[str, dict[str, str]]:
    if kind in TYPE_ALIASES:
        kind, version = TYPE_ALIASES[kind]
        options["version"] = version
    if "version" in options and kind != "kv":
        raise BadRequest(f'secrets engine "{kind}" does not allow setting a version')
    return kind, {k: str(v) for k, v in options.items()}


def _mount_config(config: dict[str, Any]) -> dict[str, Any]:
    from reconciler.vocabulary.durations import parse_duration

    out: dict[str, Any] = {}
    for key in ("default_lease_ttl", "max_lease_ttl"):
        value = config.get(key)
        if value is None or value == "":  # the CLI sends "" for what it leaves alone
            continue
        if value == "system":  # back to the system default, as Vault
            out[key] = 0
            continue
        try:
            out[key] = parse_duration(value)
        except ValueError as exc:
            raise BadRequest(f"invalid {key}: {exc}") from None
    for key in ("audit_non_hmac_request_keys", "audit_non_hmac_response_keys"):
        if config.get(key) is not None:
            value = config[key]
            out[key] = value.split(",") if isinstance(value, str) else list(value)
    if config.get("listing_visibility") is not None:
        out["listing_visibility"] = str(config["listing_visibility"])
    if config.get("user_lockout_config") is not None:
        out["user_lockout_config"] = parse_user_lockout_config(config["user_lockout_config"])
    return out
