"""The whole story on one repo: plan, apply, an app logs in, reads, is refused, is audited.

Each step prints what happened; secret values are never printed (only key names), and the
audit entries shown are the store's own log lines, with tokens as HMACs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import hvac

from reconciler.demo.deliver import run_app
from reconciler.demo.embedded import EmbeddedStore
from reconciler.gitops.apply.runner import ApplyOptions, apply_plan
from reconciler.gitops.manifests import DesiredState, LoadResult, load_repo
from reconciler.gitops.manifests.kinds import AppRole, AuditDevice, DatabaseRole, Secret
from reconciler.gitops.plan.build import PlanContext, manifests_at, plan_loaded
from reconciler.gitops.plan.render_text import render_text
from reconciler.gitops.sops.keysources.age import load_identities
from reconciler.vocabulary.errors import SealkeepError

Say = Callable[[str], None]


class DemoError(SealkeepError):
    """The repo cannot carry the story (no AppRole, no Secret, ...); the message says why."""


@dataclass(frozen=True)
class Cast:
    """Who and what the story uses, picked from the repo's manifests."""

    role: AppRole
    own_secret: Secret
    other_secret: Secret
    audit_file: Path | None
    database_role: DatabaseRole | None


def pick_cast(repo: Path, team: str) -> Cast:
    """An AppRole of `team`, one of its secrets, another team's secret, the audit file."""
    result = load_repo(repo)
    if result.desired is None:
        raise DemoError("the repo does not load: run `sealkeep validate` for the details")
    roles = [r for r in result.desired.of_kind(AppRole) if r.name.startswith(team)]
    roles.sort(key=lambda r: r.name != f"{team}-staging")  # staging first: it allows loopback
    secrets = result.desired.of_kind(Secret)
    own = [s for s in secrets if s.path.startswith(f"{team}/")]
    other = [s for s in secrets if not s.path.startswith(f"{team}/")]
    if not roles or not own or not other:
        raise DemoError(
            f"the repo needs an AppRole and a Secret of team {team!r} and another team's Secret"
        )
    role = roles[0]
    env = role.name.removeprefix(f"{team}-")
    own_secret = next((s for s in own if f"/{env}/" in f"/{s.path}/"), own[0])
    other_secret = next((s for s in other if f"/{env}/" in f"/{s.path}/"), other[0])
    files = [
        d.options.get("file_path") for d in result.desired.of_kind(AuditDevice) if d.type == "file"
    ]
    audit = Path(files[0]) if files and files[0] not in ("stdout", "discard") else None
    db_roles = [r for r in result.desired.of_kind(DatabaseRole) if r.name.startswith(team)]
    return Cast(role, own_secret, other_secret, audit, db_roles[0] if db_roles else None)


def demo_audit_file(store: EmbeddedStore) -> Path:
    """Where the demo's store writes the repo's file audit device: its own data folder."""
    return store.data_dir / "audit.log"


def audit_into(result: LoadResult, audit_file: Path) -> LoadResult:
    """The loaded repo with each file audit device writing `audit_file` instead.

    The demo's store is a throwaway in its own folder; its audit log goes there too, so
    runs never share (or need the rights to) the path the repo names for a real server.
    """
    if result.desired is None:
        return result
    objects = {
        key: _redirected(obj, audit_file) if isinstance(obj, AuditDevice) else obj
        for key, obj in result.desired.objects.items()
    }
    return replace(result, desired=DesiredState(objects, result.desired.spans))


def _redirected(device: AuditDevice, audit_file: Path) -> AuditDevice:
    if device.type != "file" or device.options.get("file_path") in ("stdout", "discard"):
        return device
    return replace(device, options={**device.options, "file_path": str(audit_file)})


def reconcile(repo: Path, store: EmbeddedStore, say: Say) -> None:
    """Plan the repo against the store (audit into the store's folder), show it, apply it."""
    env = {"VAULT_ADDR": store.url, "VAULT_TOKEN": store.root_token}
    ctx = PlanContext(root=repo, target=None, environ=env, identities=load_identities())
    client = hvac.Client(url=store.url, token=store.root_token)
    with manifests_at(repo, None) as loaded:
        plan = plan_loaded(ctx, audit_into(loaded, demo_audit_file(store)), client)
    say(render_text(plan))
    result = apply_plan(
        plan, client, ApplyOptions(root=repo, lock_timeout=30, identities=ctx.identities)
    )
    if not result.ok:
        failed = [o for o in result.outcomes if o.status == "failed"]
        raise DemoError(f"apply failed at {failed[0].ref}: {failed[0].error}")
    say(f"Apply complete: {len(result.applied)} change(s) applied (apply {result.apply_id}).")


def app_login(store: EmbeddedStore, role: AppRole, say: Say) -> tuple[hvac.Client, str]:
    """What a deploy pipeline and an app do: fetch a role id and secret id, log in."""
    operator = hvac.Client(url=store.url, token=store.root_token)
    mount = role.mount
    role_id = operator.auth.approle.read_role_id(role.name, mount_point=mount)["data"]["role_id"]
    secret_id = operator.auth.approle.generate_secret_id(role.name, mount_point=mount)["data"][
        "secret_id"
    ]
    app = hvac.Client(url=store.url)
    auth = app.auth.approle.login(role_id=role_id, secret_id=secret_id, mount_point=mount)["auth"]
    say(
        f"App logged in with AppRole {mount}/{role.name}: policies {', '.join(auth['policies'])}, "
        f"token valid for {auth['lease_duration']}s"
    )
    return app, auth["accessor"]


def read_secrets(app: hvac.Client, cast: Cast, say: Say) -> None:
    """Read the team's own secret (allowed) and another team's (refused)."""
    own = cast.own_secret
    read = app.secrets.kv.v2.read_secret_version
    data = read(own.path, mount_point=own.mount, raise_on_deleted_version=True)["data"]["data"]
    say(f"  read {own.mount}/{own.path}: ok, keys {', '.join(sorted(data))} (values not shown)")
    other = cast.other_secret
    try:
        read(other.path, mount_point=other.mount, raise_on_deleted_version=True)
    except hvac.exceptions.Forbidden:
        say(f"  read {other.mount}/{other.path}: refused (permission denied), as it should be")
        return
    raise DemoError(f"{other.mount}/{other.path} was readable by another team's app")


def database_login(store: EmbeddedStore, app: hvac.Client, role: DatabaseRole, say: Say) -> None:
    """The app asks for a PostgreSQL login of its own; it works, then its lease is revoked."""
    try:
        creds = app.secrets.database.generate_credentials(role.name, mount_point=role.mount)
    except hvac.exceptions.VaultError as exc:
        say(f"  (no database login: {str(exc).splitlines()[0]}; is PostgreSQL on 127.0.0.1:5432?)")
        return
    username = creds["data"]["username"]
    say(
        f"  {role.mount}/creds/{role.name}: a new PostgreSQL user {username}, "
        f"lease {creds['lease_duration']}s (password not shown)"
    )
    say(f"  it logs in and runs a query: {_try_login(username, creds['data']['password'])}")
    operator = hvac.Client(url=store.url, token=store.root_token)
    operator.sys.revoke_lease(creds["lease_id"])
    after = _try_login(username, creds["data"]["password"])
    say(f"  lease revoked: the store dropped the user; logging in again: {after}")


def _try_login(username: str, password: str) -> str:
    import psycopg

    try:
        with psycopg.connect(
            host="127.0.0.1", dbname="postgres", user=username, password=password, connect_timeout=5
        ) as conn:
            return f"SELECT 1 -> {conn.execute('SELECT 1').fetchone()[0]}"
    except psycopg.Error as exc:
        return f"failed ({type(exc).__name__})"


def audit_entries(store: EmbeddedStore, cast: Cast, accessor: str, say: Say) -> None:
    """Show the audit entries of the app's two reads, found by its accessor's HMAC.

    The log never holds the accessor itself; `sys/audit-hash` gives its HMAC under the
    device's salt, which is how an auditor finds one caller's requests.
    """
    if cast.audit_file is None or not cast.audit_file.exists():
        say("  (the repo declares no file audit device)")
        return
    operator = hvac.Client(url=store.url, token=store.root_token)
    device = operator.sys.list_enabled_audit_devices()["data"]
    path = next(name for name, info in device.items() if info["type"] == "file").rstrip("/")
    hashed = operator.sys.calculate_hash(path=path, input_to_hash=accessor)["data"]["hash"]
    wanted = {
        f"{cast.own_secret.mount}/data/{cast.own_secret.path}",
        f"{cast.other_secret.mount}/data/{cast.other_secret.path}",
    }
    for line in cast.audit_file.read_text().splitlines():
        entry = json.loads(line)
        request = entry.get("request", {})
        if request.get("path") in wanted and entry.get("auth", {}).get("accessor") == hashed:
            outcome = "denied" if "permission denied" in entry.get("error", "") else "ok"
            say(
                f"  {entry['time']} {entry['type']:<8} {request.get('operation')} "
                f"{request['path']} from {request.get('remote_address')}: {outcome}"
            )
    say(f"  (the app's accessor appears in the log only as {hashed[:30]}…)")


def run_story(repo: Path, store: EmbeddedStore, team: str, say: Say) -> None:
    """The whole story, step by step."""
    cast = pick_cast(repo, team)
    if cast.audit_file is not None:
        cast = replace(cast, audit_file=demo_audit_file(store))
    say(f"== 1. Plan and apply {repo} into the embedded store at {store.url}")
    reconcile(repo, store, say)
    say(f"== 2. The {team} team's app logs in")
    app, accessor = app_login(store, cast.role, say)
    say("== 3. It reads its own secret, and tries another team's")
    read_secrets(app, cast, say)
    if cast.database_role is not None:
        say("== 3b. It gets a short-lived PostgreSQL login of its own")
        database_login(store, app, cast.database_role, say)
        say(f"== 3c. The app deployed with `sealkeep run` (apps/{team}-api in the repo)")
        run_app(repo, store, team, cast.role, say)
    say(f"== 4. The audit log ({cast.audit_file}) recorded both")
    audit_entries(store, cast, accessor, say)
