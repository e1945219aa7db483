"""The loop logs in once per token lifetime: no token (or lease) per run, revoked at stop."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import hvac
import pytest

from reconciler.gitops.manifests import Target, TargetAuth
from reconciler.gitops.reconcile import Reconciler, RunOutcome, RunResult
from reconciler.gitops.reconcile.session import TokenSession
from tests.gitops.reconcile.conftest import Origin
from tests.support.servers import ServerProcess

ADMIN_RULES = 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }'


@dataclass
class Login:
    """An AppRole the reconciler logs in with, and the policy that marks its tokens."""

    mount: str
    policy: str
    environ: dict[str, str]


@pytest.fixture
def approle(vault: hvac.Client, unique: str) -> Login:
    """An AppRole with an admin policy named after the test."""
    mount, policy = f"{unique}-login", f"{unique}-reconciler"
    vault.sys.enable_auth_method("approle", path=mount)
    vault.sys.create_or_update_policy(policy, ADMIN_RULES)
    vault.write(f"auth/{mount}/role/reconciler", token_policies=[policy], token_ttl="1h")
    role_id = vault.read(f"auth/{mount}/role/reconciler/role-id")["data"]["role_id"]
    secret_id = vault.write(f"auth/{mount}/role/reconciler/secret-id")["data"]["secret_id"]
    return Login(mount, policy, {"RECONCILE_ROLE_ID": role_id, "RECONCILE_SECRET_ID": secret_id})


def _tokens_of(vault: hvac.Client, policy: str) -> set[str]:
    accessors = vault.list("auth/token/accessors")["data"]["keys"]
    found = set()
    for accessor in accessors:
        try:
            data = vault.auth.token.lookup_accessor(accessor)["data"]
        except hvac.exceptions.InvalidRequest:
            continue
        if policy in (data.get("policies") or []):
            found.add(accessor)
    return found


def _target(server: ServerProcess, login: Login) -> Target:
    auth = TargetAuth(method="approle", mount=login.mount, role_id_env="RECONCILE_ROLE_ID",
                      secret_id_env="RECONCILE_SECRET_ID")  # fmt: skip
    return Target(name="dev", address=server.url, auth=auth)


def _login_leases(vault: hvac.Client, mount: str) -> list[str]:
    """The token leases of logins on `mount` (the shared server holds other tests' too)."""
    listed = vault.list(f"sys/leases/lookup/auth/{mount}/login/") or {}
    return sorted(listed.get("data", {}).get("keys", []))


def test_the_loop_reuses_one_token_and_revokes_it_at_stop(
    origin: Origin, vault: hvac.Client, dev_server: ServerProcess, approle: Login
) -> None:
    origin.configure(dev_server.url, {"method": "approle", "mount": approle.mount,
                     "role_id_env": "RECONCILE_ROLE_ID", "secret_id_env": "RECONCILE_SECRET_ID"})  # fmt: skip
    origin.commit("log in with an AppRole")
    origin.environ = dict(approle.environ)
    assert _tokens_of(vault, approle.policy) == set()
    leases_before = _login_leases(vault, approle.mount)
    during: list[set[str]] = []

    def record(result: RunResult) -> None:
        assert result.outcome.healthy, result
        during.append(_tokens_of(vault, approle.policy))

    reconciler = Reconciler(origin.options(interval=0.05, max_runs=5))
    last = reconciler.run(threading.Event(), record)
    assert last is not None and last.outcome is RunOutcome.IN_SYNC
    assert len(during) == 5 and len(during[0]) == 1
    assert all(tokens == during[0] for tokens in during), "a token per run"
    assert reconciler.pool.current is None
    assert _tokens_of(vault, approle.policy) == set(), "the loop's token outlived the loop"
    assert _login_leases(vault, approle.mount) == leases_before == []


def test_a_token_near_expiry_is_renewed_not_replaced(
    vault: hvac.Client, dev_server: ServerProcess, approle: Login
) -> None:
    now = [1000.0]
    session = TokenSession(_target(dev_server, approle), approle.environ, clock=lambda: now[0])
    client = session.client_for_run()
    assert session.owned and session.logins == 1 and 3500 < session.ttl <= 3600
    now[0] += 1000
    assert session.client_for_run() is client and session.logins == 1
    now[0] += 1500
    assert session.client_for_run() is client and session.logins == 1, "renewal expected"
    assert session.expires_at is not None and session.expires_at > now[0] + 3000
    session.revoke()
    assert _tokens_of(vault, approle.policy) == set()


def test_a_revoked_token_is_replaced_after_a_failed_run(
    vault: hvac.Client, dev_server: ServerProcess, approle: Login
) -> None:
    session = TokenSession(_target(dev_server, approle), approle.environ)
    first = session.client_for_run()
    (accessor,) = _tokens_of(vault, approle.policy)
    vault.auth.token.revoke_accessor(accessor)
    session.run_failed()
    second = session.client_for_run()
    assert second is not first and session.logins == 2
    assert second.auth.token.lookup_self()["data"]["policies"]
    session.revoke()
    assert _tokens_of(vault, approle.policy) == set()
