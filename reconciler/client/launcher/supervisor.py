"""Run the child with its secrets, keep them fresh, and clean up when it exits.

One loop in the calling thread: wait a moment for the child; renew the token and the leases
when two thirds of their time has passed; poll KV secrets for a new version; on a change or a
lease that can no longer be extended, read the new values first, then stop the child (with
`restart_signal`) and start it again with them. SIGINT, SIGTERM and SIGHUP are passed to the
child; `run` ends when the child does, with its exit code, after revoking the leases (and the
token, when `run` logged in itself). When it cannot keep the secrets valid it stops the child
and fails with a message saying why.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

import hvac

from reconciler.client.errors import ClientError, ClientInputError
from reconciler.client.launcher.identity import Identity, Session, start_session
from reconciler.client.launcher.refs import SecretRef
from reconciler.client.launcher.secrets import (
    Fetched,
    Source,
    current_stamp,
    fetch,
    read_source,
    revoke_all,
)
from reconciler.client.results import as_json

Report = Callable[[str], None]
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
WAIT_STEP = 0.2
# run's own credentials: the command gets its secrets, never the identity that fetched them.
CREDENTIAL_VARIABLES = frozenset(
    {"VAULT_TOKEN", "BAO_TOKEN", "SEALKEEP_ROLE_ID", "SEALKEEP_SECRET_ID", "SEALKEEP_JWT"}
)


class RunFailed(ClientError):
    """`run` could not keep the command's secrets valid; the command was stopped."""


@dataclass(frozen=True)
class RunOptions:
    """What to run and how. Invariant: `command` is not empty; intervals are positive."""

    command: list[str]
    refs: list[SecretRef]
    identity: Identity = field(default_factory=Identity)
    poll_interval: float = 60.0
    restart_signal: int = signal.SIGTERM
    stop_timeout: float = 10.0


def exit_code(returncode: int) -> int:
    """A child's exit status as a shell reports it (128 + N when killed by signal N)."""
    return 128 - returncode if returncode < 0 else returncode


class Supervisor:
    """The child process and the secrets it was started with."""

    def __init__(
        self,
        client: hvac.Client,
        options: RunOptions,
        session: Session,
        fetched: Fetched,
        report: Report,
    ) -> None:
        self.client, self.options, self.session = client, options, session
        self.fetched, self.report = fetched, report
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self.retired: list[Session] = []
        self.next_poll = time.monotonic() + options.poll_interval

    # -- the child ---------------------------------------------------------------------------

    def spawn(self) -> None:
        """Start the command with the secrets added to this process's environment."""
        inherited = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
        env = {**inherited, **self.fetched.env(self.options.refs)}
        try:
            self.child = subprocess.Popen(self.options.command, env=env)
        except OSError as exc:
            raise ClientInputError(
                f"cannot start {self.options.command[0]!r}: {exc.strerror}"
            ) from None
        self.report(f"started {self.options.command[0]} (pid {self.child.pid})")

    def stop_child(self, sig: int) -> int:
        """Send `sig`, wait up to stop_timeout, then kill; the child's exit code."""
        child = self.child
        assert child is not None
        if child.poll() is None:
            child.send_signal(sig)
            try:
                child.wait(self.options.stop_timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return exit_code(int(child.returncode))

    def forward(self, signum: int, _frame: FrameType | None) -> None:
        """Pass a signal to the child. After SIGINT or SIGTERM `run` only waits for the child
        to end; SIGHUP (a reload, for many programs) changes nothing else."""
        if signum != signal.SIGHUP:
            self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    # -- the loop ----------------------------------------------------------------------------

    def loop(self) -> int:
        """Run until the child exits on its own or after a forwarded signal; its exit code."""
        self.spawn()
        assert self.child is not None
        while True:
            try:
                return exit_code(self.child.wait(WAIT_STEP))
            except subprocess.TimeoutExpired:
                pass
            if self.stopping:
                continue
            try:
                changed = self.tick(time.monotonic())
                if changed:
                    self.restart(changed)
            except (ClientError, hvac.exceptions.VaultError) as exc:
                self.stop_child(signal.SIGTERM)
                hint = exc.hint if isinstance(exc, ClientError) else None
                raise RunFailed(f"{exc}; the command was stopped", hint=hint) from None

    def tick(self, now: float) -> list[Source]:
        """Renew what is due; the sources to read again (changed, or leases ending)."""
        due: list[Source] = []
        if now >= self.session.renew_at and not self.renew_token():
            self.log_in_again()
            # The leases belong to the old token and end with it: read new ones.
            due += self.fetched.leased()
        due += [
            s
            for s in self.fetched.leased()
            if s not in due and now >= s.renew_at and not self.renew_lease(s)
        ]
        if now >= self.next_poll:
            self.next_poll = now + self.options.poll_interval
            due += [s for s in self.fetched.sources.values() if not s.lease_id and self.moved(s)]
        return due

    def renew_token(self) -> bool:
        """Renew the token; False when it cannot be extended enough any more."""
        session = self.session
        ttl = 0
        if session.renewable:
            try:
                answer = as_json(self.client.auth.token.renew_self())
                ttl = int((answer.get("auth") or {}).get("lease_duration") or 0)
            except hvac.exceptions.VaultError:
                ttl = 0
        if ttl and ttl * 3 >= session.first_ttl:
            session.schedule(ttl)
            self.report(f"renewed the token (ttl {ttl}s)")
            return True
        return False

    def log_in_again(self) -> None:
        """Log in as the application again (the old token is revoked after the restart)."""
        if not self.session.logged_in:
            raise RunFailed(
                "the token cannot be renewed any further (not renewable, or at its maximum TTL)",
                hint="log in again, or give --auth so that run logs in as the application",
            )
        old = self.session
        self.session = start_session(self.client, self.options.identity)
        self.report(f"logged in again: token accessor {self.session.accessor}")
        self.retired.append(old)

    def renew_lease(self, source: Source) -> bool:
        """Renew a lease; False when it cannot be extended enough (read a new one instead)."""
        if not source.renewable:
            return False
        try:
            answer = as_json(self.client.sys.renew_lease(source.lease_id))
        except hvac.exceptions.VaultError:
            return False
        duration = int(answer.get("lease_duration") or 0)
        if duration * 3 < source.first_duration:
            return False
        source.schedule(duration)
        self.report(f"renewed the lease of {source.path} (ttl {duration}s)")
        return True

    def moved(self, source: Source) -> bool:
        """True when a KV secret has a new version (or, for KV v1, new data)."""
        return current_stamp(self.client, source) != source.stamp

    def restart(self, sources: list[Source]) -> None:
        """Read the new values, stop the child with `restart_signal`, revoke what it used
        that was replaced, and start it again with the new values."""
        old_leases = []
        for source in sources:
            new, data = read_source(self.client, source.path)
            what = "has a new lease" if source.lease_id else f"changed (version {new.stamp[:12]})"
            self.report(f"{source.path} {what}: restarting {self.options.command[0]}")
            if source.lease_id:
                old_leases.append(source)
            self.fetched.sources[source.path], self.fetched.data[source.path] = new, data
        self.stop_child(self.options.restart_signal)
        revoke_all(self.client, old_leases)
        for old in self.retired:
            revoke_token(self.client, old.token)
        self.retired.clear()
        if not self.stopping:  # told to stop meanwhile: the old command's end is run's end
            self.spawn()


@contextmanager
def forwarding(supervisor: Supervisor) -> Iterator[None]:
    """Forward SIGINT/SIGTERM/SIGHUP to the child while the block runs."""
    saved = {sig: signal.signal(sig, supervisor.forward) for sig in FORWARDED}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def run(client: hvac.Client, options: RunOptions, report: Report) -> int:
    """Log in, read the secrets, run the command with them; the command's exit code.

    Secrets go into the child's environment only: never to disk, argv or `report`.
    Raises RunFailed (after stopping the child) when they cannot be kept valid.
    """
    if not options.command:
        raise ClientInputError("give the command to run after --")
    if not options.refs:
        raise ClientInputError("give at least one --secret ENV=mount/path#field (or --env-file)")
    session = start_session(client, options.identity)
    report(f"token accessor {session.accessor} (ttl {session.ttl}s)")
    fetched: Fetched | None = None
    supervisor: Supervisor | None = None
    try:
        fetched = fetch(client, options.refs)
        supervisor = Supervisor(client, options, session, fetched, report)
        with forwarding(supervisor):
            return supervisor.loop()
    finally:
        if supervisor is not None:
            session = supervisor.session
            for old in supervisor.retired:
                revoke_token(client, old.token)
        _clean_up(client, session, fetched, report)


def _clean_up(
    client: hvac.Client, session: Session, fetched: Fetched | None, report: Report
) -> None:
    leased = fetched.leased() if fetched is not None else []
    revoked = revoke_all(client, leased)
    # A token `run` logged in with takes its leases with it when revoked.
    if session.logged_in and revoke_token(client, session.token):
        revoked = [source.path for source in leased]
        report("revoked the token")
    for source in leased:
        if source.path in revoked:
            report(f"revoked the lease of {source.path}")
        else:
            report(f"could not revoke the lease of {source.path}: it ends with its TTL")


def revoke_token(client: hvac.Client, token: str) -> bool:
    """Revoke a token `run` logged in with, as itself (revoke-self is in every token's
    default policy), with its leases; best effort: True when it was revoked."""
    saved = client.token
    client.token = token
    try:
        client.auth.token.revoke_self()
    except (hvac.exceptions.VaultError, ClientError, OSError):
        return False
    finally:
        client.token = saved
    return True
