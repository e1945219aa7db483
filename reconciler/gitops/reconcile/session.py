"""One logged-in client for the whole loop: log in once per token lifetime, never per run.

A token the loop logs in for itself (AppRole or JWT in `sealkeep.yaml`) is reused until a
third of its TTL is left, then renewed (when renewable) or replaced by a new login, and
revoked when the loop stops, so it is never held longer than needed. A token handed in
(VAULT_TOKEN or the `token` method) is the caller's: it is reused, renewed when renewable,
and never revoked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

import hvac
import hvac.exceptions
import requests

from reconciler.gitops.live.connect import connect_target
from reconciler.gitops.manifests import Target

log = logging.getLogger("sealkeep.reconcile")
REFRESH_FRACTION = 1 / 3


class TokenSession:
    """A client for one target and the lifetime of its token.

    Invariants: `owned` is true only for a token this session logged in for; `expires_at`
    (monotonic seconds) is None for a token without expiry.
    """

    def __init__(
        self,
        target: Target,
        environ: Mapping[str, str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self.environ = environ
        self.clock = clock
        self.owned = not environ.get("VAULT_TOKEN") and target.auth.method != "token"
        self.client: hvac.Client | None = None
        self.ttl = 0
        self.renewable = False
        self.expires_at: float | None = None
        self.logins = 0
        self.suspect = False

    def matches(self, target: Target) -> bool:
        """Whether this session serves `target` (same address and login settings)."""
        return target.address == self.target.address and target.auth == self.target.auth

    def _learn(self, client: hvac.Client) -> None:
        data = client.auth.token.lookup_self()["data"]
        self.ttl = int(data.get("ttl") or 0)
        self.renewable = bool(data.get("renewable"))
        self.expires_at = self.clock() + self.ttl if self.ttl else None

    def _login(self) -> hvac.Client:
        self.revoke()
        client = connect_target(self.target, self.environ)
        self.client = client
        self.logins += 1
        self._learn(client)
        return client

    def _due(self) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at - self.clock() <= self.ttl * REFRESH_FRACTION

    def _renew(self, client: hvac.Client) -> bool:
        try:
            auth = client.auth.token.renew_self()["auth"]
        except hvac.exceptions.VaultError:
            return False
        granted = int(auth.get("lease_duration") or 0)
        # A renewal capped by the token's max TTL buys too little; a new login is better.
        if granted <= self.ttl * REFRESH_FRACTION:
            return False
        self.ttl = granted
        self.expires_at = self.clock() + granted
        return True

    def _still_valid(self, client: hvac.Client) -> bool:
        try:
            self._learn(client)
        except hvac.exceptions.Forbidden:
            return False
        return True

    def client_for_run(self) -> hvac.Client:
        """A client whose token is good for this run (logging in only when needed)."""
        client = self.client
        if client is None:
            return self._login()
        if self.suspect:
            self.suspect = False
            if not self._still_valid(client):
                return self._login() if self.owned else client
        if self._due():
            if self.renewable and self._renew(client):
                return client
            if self.owned:
                return self._login()
        return client

    def run_failed(self) -> None:
        """A run failed: check the token (one lookup) before the next run uses it."""
        self.suspect = True

    def revoke(self) -> None:
        """Revoke the token this session logged in for; forget the client either way."""
        client, self.client = self.client, None
        if client is None or not self.owned:
            return
        try:
            client.auth.token.revoke_self()
        except (hvac.exceptions.VaultError, requests.exceptions.RequestException) as exc:
            log.warning("could not revoke the reconciler's token: %s", exc.__class__.__name__)


class SessionPool:
    """The session for the target the current commit names; a new target ends the old one."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.current: TokenSession | None = None

    def session_for(self, target: Target) -> TokenSession:
        """The session for `target`, replacing (and revoking) one for another target."""
        if self.current is not None and self.current.matches(target):
            return self.current
        self.close()
        self.current = TokenSession(target, self.environ)
        return self.current

    def close(self) -> None:
        """Revoke the current session's own token."""
        if self.current is not None:
            self.current.revoke()
            self.current = None
