"""`Core.handle`: the request pipeline, and the sealed/unsealed life cycle.

sealed? -> token lookup -> ACL check -> audit the request (fail closed) -> route to the
engine or auth method -> issue tokens / register leases -> audit the response. The HTTP layer
only translates; nothing here knows about HTTP.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from reconciler.store.acl.acl import ACLResult
from reconciler.store.auth.token_entry import TokenEntry
from reconciler.store.auth.tokens import TokenParams, TokenStore
from reconciler.store.core_autoseal import AutoUnsealMixin
from reconciler.store.core_snapshots import SnapshotMixin
from reconciler.store.errors import (
    BadRequest,
    InvalidToken,
    NotFound,
    PermissionDenied,
    Sealed,
    Standby,
    StoreError,
    Unavailable,
)
from reconciler.store.identity.store import EntityDisabled
from reconciler.store.logical import Auth, Operation, Request, Response
from reconciler.store.mounts import Mount
from reconciler.store.operations.ha import HACoordinator, HALock
from reconciler.store.operations.snapshot_schedule import SnapshotSchedule
from reconciler.store.runtime import Runtime
from reconciler.store.sealing.barrier import Barrier
from reconciler.store.sealing.ceremonies import RekeyCeremony, RootGeneration
from reconciler.store.sealing.seal import InitResult, SealManager
from reconciler.store.sealing.seal_auto import AutoUnseal
from reconciler.store.slowwork import DEFAULT_WAIT_LIMIT, DEFAULT_WORKERS, RequestLock, WorkPool
from reconciler.store.storage.base import Storage
from reconciler.store.system.raw import RAW_HANDLERS
from reconciler.store.telemetry import StateGauges, Telemetry, TimedStorage
from reconciler.store.wrapping import Wrapper, should_wrap

log = logging.getLogger("sealkeep.core")

SYSTEM_TTL = 768 * 3600


@dataclass(frozen=True)
class CoreConfig:
    """Server-wide settings (from the config file or `--dev`)."""

    default_lease_ttl: int = SYSTEM_TTL
    max_lease_ttl: int = SYSTEM_TTL
    storage_type: str = "sqlite"
    cluster_name: str = "sealkeep"
    # Slow work (password hashing, database and HTTP calls) runs on this many workers; a
    # request that waits longer than `request_wait_limit` seconds for the request lock or a
    # worker is answered 503 before anything is applied.
    slow_workers: int = DEFAULT_WORKERS
    request_wait_limit: float = DEFAULT_WAIT_LIMIT
    # `telemetry { unauthenticated_metrics_access = true }`: sys/metrics without a token.
    unauthenticated_metrics_access: bool = False


def validate_path(path: str) -> None:
    """Refuse traversal and empty segments before anything routes the path."""
    segments = path.rstrip("/").split("/")
    if path.startswith("/") or any(s in ("", ".", "..") for s in segments):
        raise BadRequest(f'invalid request path "{path}"')


class Core(AutoUnsealMixin, SnapshotMixin):
    """The store: a barrier, a seal, and (while unsealed) a `Runtime` of live services."""

    def __init__(self, storage: Storage, config: CoreConfig | None = None) -> None:
        self.config = config or CoreConfig()
        self.storage = storage
        # Group commit, when the backend has it (SQLite): looked up once, used per request.
        self._deferred_sync = getattr(storage, "deferred_sync", None)
        self.telemetry = Telemetry(self._state_gauges)
        self.barrier = Barrier(TimedStorage(storage, self.telemetry))
        self.seal = SealManager(self.barrier, self.config.storage_type)
        self.runtime: Runtime | None = None
        self._lock = RequestLock()
        self.work = WorkPool(self._lock, self.config.slow_workers, self.config.request_wait_limit)
        self._seal_after_request = False
        self._pending_restore: list[tuple[str, bytes]] | None = None
        self.ha: HACoordinator | None = None
        self.autoseal: AutoUnseal | None = None
        self._closing = threading.Event()
        self.snapshots: SnapshotSchedule | None = None
        self.rekey = RekeyCeremony(self.barrier)
        self.root_generation = RootGeneration(
            self.barrier, self._mint_root_token, self._check_root_share, self._root_threshold
        )

    # -- life cycle ------------------------------------------------------------------------

    @property
    def sealed(self) -> bool:
        """True until enough unseal shares were given (a standby is unsealed, idle)."""
        if self.ha is not None:
            return self.barrier.sealed
        return self.runtime is None

    @property
    def standby(self) -> bool:
        """True on an unsealed HA node that does not hold the lock."""
        return self.ha is not None and not self.barrier.sealed and not self.ha.is_active

    def enable_ha(self, lock: HALock) -> None:
        """Run as one node of an HA cluster: after unseal, only the lock holder is active."""
        self.ha = HACoordinator(lock, self._become_active, self._become_standby)

    def _become_active(self) -> None:
        if not self._lock.acquire(timeout=30):
            raise Unavailable("the request lock stayed busy")
        try:
            if self.barrier.sealed:
                raise Sealed()
            if self.runtime is None:
                self.runtime = Runtime.create(self, first_time=False)
        finally:
            self._lock.release()

    def _become_standby(self) -> None:
        with self._lock:
            runtime, self.runtime = self.runtime, None
            if runtime is not None:
                runtime.close()

    def _mint_root_token(self) -> str:
        """A new root token (the last step of sys/generate-root)."""
        token, _ = self.require_runtime().tokens.create(root_token_params())
        return token

    def step_down(self) -> None:
        """`sys/step-down`: an active HA node hands over once this request is answered."""
        if self.ha is not None and self.ha.is_active:
            self.ha.step_down()

    def initialize(
        self, shares: int, threshold: int, recovery: tuple[int, int] | None = None
    ) -> tuple[list[bytes], str]:
        """Create the keys, the default mounts and a root token; stays sealed.

        With an auto seal, `recovery` (shares, threshold) splits a recovery key instead and
        the keys returned are recovery shares (the seal holds the unseal key).
        """
        with self._lock:
            if self.auto_sealed:
                assert self.autoseal is not None
                shares_out, unseal_key = self.autoseal.initialize(*(recovery or (5, 3)))
                result = InitResult(keys=shares_out, unseal_key=unseal_key)
            else:
                result = self.seal.initialize(shares, threshold)
            self.barrier.unseal(result.unseal_key)
            try:
                runtime = Runtime.create(self, first_time=True)
                root_token, _ = runtime.tokens.create(root_token_params())
                runtime.close()
            finally:
                self.barrier.seal()
            return result.keys, root_token

    def after_unseal(self) -> None:
        """Bring the services up once the barrier opened (called by the unseal handler);
        an HA node starts contending for the lock instead, and only its holder does."""
        if self.ha is not None:
            if not self.barrier.sealed:
                self.ha.start()
            return
        with self._lock:
            if self.runtime is None and not self.barrier.sealed:
                self.runtime = Runtime.create(self, first_time=False)

    def seal_now(self) -> None:
        """Seal: stop every service and drop every key from memory (and, in HA, the lock)."""
        if self.ha is not None:
            self.ha.stop()
        with self._lock:
            runtime, self.runtime = self.runtime, None
            if runtime is not None:
                runtime.close()
            self.seal.seal()

    def dev_setup(self, root_token_id: str = "") -> str:
        """`--dev`: initialise with one share, unseal, and return the root token."""
        keys, root_token = self.initialize(1, 1)
        self.seal.submit(keys[0].hex(), reset=False)
        self.after_unseal()
        self.require_runtime().enable(
            "secret/",
            "kv",
            "secret",
            {"description": "key/value secret storage", "options": {"version": "2"}},
        )
        if root_token_id:
            runtime = self.require_runtime()
            params = root_token_params()
            params.token_id = root_token_id
            runtime.tokens.create(params)
            runtime.tokens.revoke_tree(runtime.tokens.hash_id(root_token))
            root_token = root_token_id
        return root_token

    def tick(self) -> None:
        """Background work: expire leases and tokens, run engines' schedules.

        It does not take the request lock: a revocation waiting on an unreachable database
        must not stall every request. The services it touches (lease manager, token store,
        engines' pools, the barrier and the audit broker) each guard their own state.
        """
        runtime = self.runtime
        if runtime is not None:
            runtime.tick()
            if self.snapshots is not None and self.snapshots.due():
                self.snapshots.run()

    def close(self) -> None:
        """Seal and close storage (graceful shutdown)."""
        self._closing.set()
        self.seal_now()
        self.work.close()
        self.storage.close()

    def require_runtime(self) -> Runtime:
        """The unsealed services; raises `Sealed` (503) while sealed."""
        runtime = self.runtime
        if runtime is None:
            raise Sealed()
        return runtime

    # -- requests --------------------------------------------------------------------------

    def handle(self, req: Request) -> Response | None:
        """Serve one request; raises a StoreError subclass for every error answer.

        Every request is timed and counted by status code (`sys/metrics`).
        """
        telemetry = self.telemetry
        summary = telemetry.handle_login_request if _is_login(req) else telemetry.handle_request
        telemetry.in_flight.inc()
        start = time.perf_counter()
        status = 500
        try:
            with self._durable_answer():
                response = self._handle(req)
            status = 204 if response is None else (response.status or 200)
            return response
        except StoreError as exc:
            status = exc.status
            raise
        finally:
            summary.observe((time.perf_counter() - start) * 1000.0)
            telemetry.in_flight.dec()
            telemetry.status_counter(status).inc()
            if status == 429:
                telemetry.rate_limit_violation.inc()

    @contextmanager
    def _durable_answer(self) -> Iterator[None]:
        """Writes made while serving a request are on disk before it is answered; the wait
        runs after the request lock is released, so concurrent writers share one fsync."""
        deferred = self._deferred_sync
        if deferred is None:
            yield
            return
        try:
            with deferred():
                yield
        except OSError as exc:
            log.error("storage could not make writes durable: %s", exc)
            raise Unavailable(
                "storage could not make the write durable; it was not acknowledged"
            ) from None

    def _handle(self, req: Request) -> Response | None:
        raw = RAW_HANDLERS.get(req.path.rstrip("/"))
        if raw is not None:
            return raw(self, req)
        validate_path(req.path)
        if self.standby:  # every request goes to the active node (sys/step-down included)
            assert self.ha is not None
            leader = self.ha.leader()
            raise Standby(leader.api_addr if leader else "")
        if self.runtime is None and _is_seal_request(req):
            return None  # as Vault: sealing a sealed store (or stepping it down) is a no-op
        runtime = self.require_runtime()
        # Quotas first, outside the lock: a flood is refused before it costs a token lookup.
        req.response_headers = runtime.quotas.enforce(req)
        if not self._lock.acquire(timeout=self.config.request_wait_limit):
            raise Unavailable("request timed out waiting for the server; try again later")
        try:
            with self.work.active():
                return self._handle_unsealed(runtime, req)
        finally:
            if self._seal_after_request:
                self._seal_after_request = False
                self.seal_now()
                self._finish_restore()
            self._lock.release()

    def _state_gauges(self) -> StateGauges:
        runtime = self.runtime
        if runtime is None:  # sealed, or an HA standby (unsealed, no services)
            unsealed = not self.barrier.sealed
            return StateGauges(unsealed=unsealed, active=False, tokens=0, leases=0, mounts={})
        mounts: dict[tuple[str, str], int] = {}
        for mount_class, kind in (("auth", "auth"), ("secret", "logical")):
            for entry in runtime.mounts.entries(mount_class):
                key = (kind, "true" if entry.local else "false")
                mounts[key] = mounts.get(key, 0) + 1
        return StateGauges(
            unsealed=True,
            active=True,
            tokens=runtime.tokens.scheduled_count(),
            leases=runtime.leases.scheduled_count(),
            mounts=mounts,
        )

    def request_seal(self) -> None:
        """Seal once the current request has been answered and audited (sys/seal)."""
        self._seal_after_request = True

    def is_quick(self, req: Request) -> bool:
        """True for a read or list that no slow work serves (hashing, a database, a remote
        call): the HTTP layer may answer it without a thread hand-off."""
        if req.operation not in (Operation.READ, Operation.LIST):
            return False
        runtime = self.runtime
        mount = runtime.mounts.match(req.path) if runtime is not None else None
        return mount is None or not mount.backend.may_block(req.path[len(mount.route_prefix) :])

    def _handle_unsealed(self, runtime: Runtime, req: Request) -> Response | None:
        mount = runtime.mounts.match(req.path)
        rel = req.path[len(mount.route_prefix) :] if mount else ""
        if mount is not None:
            req.mount_point = mount.route_prefix
            req.mount_type = mount.entry.type
            req.mount_accessor = mount.entry.accessor
            req.mount_class = mount.entry.mount_class
        if req.help:
            return path_help(runtime, req, mount, rel)
        try:
            last_use = self._authorize(runtime, req, mount, rel)
        except StoreError as exc:
            runtime.audit_request(req, str(exc))
            # As Vault, a refused request is answered in the log too, not only asked.
            runtime.audit_response(req, None, str(exc))
            raise
        runtime.audit_request(req, None)
        assert mount is not None  # _authorize answered 404 for unrouted paths
        try:
            response = self._route(runtime, req, mount, rel)
            if should_wrap(req, response):
                assert response is not None
                response = Wrapper(runtime).wrap(req, response)
        except StoreError as exc:
            runtime.audit_response(req, None, str(exc))
            raise
        finally:
            if last_use:
                runtime.tokens.revoke_tree(req.token_entry.id_hash)
        runtime.audit_response(req, response, None)
        return response

    def _authorize(self, runtime: Runtime, req: Request, mount: Mount | None, rel: str) -> bool:
        """Authenticate and check the ACL; returns True when this was the token's last use."""
        if mount is not None and mount.backend.is_unauthenticated(rel):
            return False
        entry = runtime.tokens.lookup(req.token)
        if entry is None:
            raise InvalidToken()
        if entry.bound_cidrs and not runtime.cidr_allows(entry.bound_cidrs, req.remote_addr):
            raise InvalidToken()
        if runtime.identity.is_disabled(entry.entity_id):
            raise EntityDisabled()  # as Vault: a disabled entity's tokens are refused
        attach_caller(req, entry)
        # Group policies apply at request time: a membership change acts on the next request.
        req.policies = runtime.token_policies(entry)
        if mount is not None and req.operation is Operation.UPDATE:
            exists = mount.backend.exists(req, rel)
            if exists is False:
                req.operation = Operation.CREATE
        result = runtime.policies.check(
            req.policies, req.operation, req.path, req.data, wrap_ttl=req.wrap_ttl
        )
        self._check_acl(result, req, mount, rel)
        if mount is None:
            raise NotFound(f'no handler for route "{req.path}". route entry not found.')
        return runtime.tokens.use(entry)

    @staticmethod
    def _check_acl(result: ACLResult, req: Request, mount: Mount | None, rel: str) -> None:
        if result.is_root:
            return
        if not result.allowed:
            raise PermissionDenied()
        if mount is not None and mount.backend.is_sudo(rel) and not result.sudo:
            raise PermissionDenied()
        req.granting_policies = result.granting_policies

    @staticmethod
    def _route(runtime: Runtime, req: Request, mount: Mount, rel: str) -> Response | None:
        telemetry = runtime.core.telemetry
        route = telemetry.route_summary(req.operation.value, mount.route_prefix)
        start = time.perf_counter()
        try:
            response = runtime.lockout.dispatch(mount, req, rel)  # behind user lock-out
        finally:  # as Telemetry.timing, without a generator per request
            route.observe((time.perf_counter() - start) * 1000.0)
        if response is None:
            return None
        if response.auth is not None and not response.auth.client_token:
            runtime.issue_login_token(req, mount, response.auth)
        secret = response.secret
        if secret is not None and not secret.lease_id and not secret.informational:
            runtime.register_lease(req, mount, response.secret)
        return response

    def has_sudo(self, req: Request, path: str) -> bool:
        """Whether the caller's policies grant `sudo` on `path` (token create options)."""
        runtime = self.require_runtime()
        if req.is_root:
            return True
        result = runtime.policies.acl_for(req.policies).check(Operation.UPDATE, path, None)
        return result.is_root or result.sudo


def _is_login(req: Request) -> bool:
    return req.path.startswith("auth/") and "/login" in req.path


def _is_seal_request(req: Request) -> bool:
    write = req.operation in (Operation.UPDATE, Operation.CREATE)
    return write and req.path.rstrip("/") in ("sys/seal", "sys/step-down")


def path_help(runtime: Runtime, req: Request, mount: Mount | None, rel: str) -> Response:
    """`?help=1`, as Vault: any valid token may read a path's help, whatever its policies."""
    if runtime.tokens.lookup(req.token) is None:
        raise PermissionDenied()
    if mount is None:
        raise NotFound(f'no handler for route "{req.path}". route entry not found.')
    text = mount.backend.help_text(rel)
    return Response(raw={"help": text, "openapi": {"openapi": "3.0.2"}, "see_also": None})


def attach_caller(req: Request, entry: TokenEntry) -> None:
    """Record who is calling on the request (for handlers and audit)."""
    req.token_entry = entry
    req.client_token_accessor = entry.accessor
    req.display_name = entry.display_name
    req.policies = entry.policies
    req.entity_id = entry.entity_id


def root_token_params() -> TokenParams:
    """The root token from init: root policy, no TTL, orphan."""
    return TokenParams(
        policies=["root"], path="auth/token/root", display_name="root", no_default_policy=True
    )


def auth_to_token_params(
    req: Request, mount: Mount, auth: Auth, limits: tuple[int, int]
) -> TokenParams:
    """Turn an auth method's login result into token parameters."""
    default_ttl, max_ttl = limits
    return TokenParams(
        policies=list(auth.policies),
        path=req.path,
        display_name=auth.display_name or mount.entry.type,
        meta=dict(auth.metadata),
        ttl=auth.ttl or auth.period or default_ttl,
        explicit_max_ttl=auth.explicit_max_ttl,
        max_ttl=auth.max_ttl or max_ttl,
        period=auth.period,
        num_uses=auth.num_uses,
        renewable=auth.renewable,
        no_default_policy=auth.no_default_policy,
        entity_id=auth.entity_id,
        bound_cidrs=list(auth.bound_cidrs),
        mount_accessor=mount.entry.accessor,
    )


__all__ = ["Core", "CoreConfig", "TokenStore"]
