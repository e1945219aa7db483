"""The stale-root rule: when a plan sends a DatabaseConnection's password from Git.

The store never returns a connection's password, and after `rotate-root` it keeps a root
password nobody else knows. Tools that re-send the password from their config on every run
silently put the old one back (the "stale root" problem). Sealkeep instead:

- sends Git's password when it creates the connection (or recreates it with its mount);
- afterwards sends it only when the Git value changed since the last apply that wrote the
  connection. The inventory keeps the Git value's fingerprint (HMAC, never the value), so
  `rotate-root` and any later field change never re-send it and never show a diff for it;
- when it adopts an existing connection (not created by Sealkeep, or imported), it records
  Git's fingerprint and sends nothing: the store's credential is presumed current.

A changed Git password is therefore an explicit, reviewable change ("~ key password" with
fingerprints). A Vault-style rule: the store checks the connection before it saves the new
config when `verify_connection` is on, so a wrong password is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.gitops.live.database import PASSWORD
from reconciler.gitops.live.model import Fingerprinter, ObjectState
from reconciler.gitops.plan.model import Action, Change, KeyChange

# Recorded in the inventory when the last apply had no password in Git.
NO_PASSWORD = "none"
SENT = "password changed in Git since the last apply: it is sent once, then the store owns it"
KEPT = "password: not sent; the store owns the root credential (it may have been rotated)"
RECORDED = "password in Git is recorded, not sent: the store keeps the credential it has"
ADOPTS = "adopts an existing object that is not yet managed"


def git_password_fingerprint(want: ObjectState, fp: Fingerprinter) -> str | None:
    """The fingerprint of Git's password, or None when Git sets none."""
    password = want.secret_values().get(PASSWORD)
    return None if password is None else fp.value(password)


def recorded_fingerprint(state: ObjectState | None, fp: Fingerprinter) -> str:
    """What the inventory records for a connection written from `state`."""
    found = git_password_fingerprint(state, fp) if state is not None else None
    return NO_PASSWORD if found is None else found


def sends_password(change: Change) -> bool:
    """Whether applying `change` sends the password its state holds: creates do, updates
    only when the plan shows the password key."""
    if change.action in (Action.CREATE, Action.REPLACE):
        return True
    return any(key.key == PASSWORD for key in change.keys)


def _password_key(git: str, recorded: str | None) -> KeyChange:
    if recorded is None or recorded == NO_PASSWORD:
        return KeyChange(PASSWORD, "added", None, git)
    return KeyChange(PASSWORD, "changed", recorded, git)


def _blank_update(want: ObjectState, have: ObjectState, fp: Fingerprinter, managed: bool) -> Change:
    before = fp.state(have)
    notes = () if managed else (ADOPTS,)
    return Change(
        Action.UPDATE, want.ref, before, before, notes=notes, desired=want.fields,
        adopt=not managed,
    )  # fmt: skip


def connection_change(
    change: Change | None,
    want: ObjectState,
    have: ObjectState | None,
    fp: Fingerprinter,
    managed: bool,
    recorded: str | None,
    source: str | None,
) -> Change | None:
    """Settle the password for a connection whose non-secret fields gave `change`.

    `recorded` is the inventory's fingerprint of Git's password at the last apply (None when
    the connection is not `managed`, or was imported and nothing was recorded yet). The
    returned change's `after` covers the password when Git has one, so apply's stale check
    notices a password edited between plan and apply; `source` is kept only then, for apply
    to decrypt it.
    """
    git = git_password_fingerprint(want, fp)
    if git is None:
        return change
    after = fp.state(want)
    if have is None:
        assert change is not None
        keys = (KeyChange(PASSWORD, "added", None, git),)
        return replace(change, after=after, keys=keys, source=source)
    if recorded == git:
        if change is None:
            return None
        return replace(change, after=after, source=source, notes=(*change.notes, KEPT))
    base = change or _blank_update(want, have, fp, managed)
    if managed and recorded is not None:
        keys = (_password_key(git, recorded),)
        return replace(base, after=after, keys=keys, source=source, notes=(*base.notes, SENT))
    return replace(base, after=after, source=source, notes=(*base.notes, RECORDED))


def recreated(change: Change, want: ObjectState | None, fp: Fingerprinter) -> Change:
    """A connection recreated with its mount sends Git's password again: show it."""
    if want is None or change.ref.kind != "DatabaseConnection":
        return change
    git = git_password_fingerprint(want, fp)
    if git is None or any(k.key == PASSWORD for k in change.keys):
        return change
    return replace(change, keys=(*change.keys, KeyChange(PASSWORD, "added", None, git)))
