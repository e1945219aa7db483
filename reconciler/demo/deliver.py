"""Step 3c of the story: the team's app, deployed with `sealkeep run` as the example does it.

The example repo's `apps/<team>-api/` holds the app and its `secrets.yaml` references; the
demo plays the deploy pipeline (a role id and a fresh secret id in files of the throwaway
store's folder) and runs the app once through the same library `sealkeep run` calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import hvac

from reconciler.client.connection import connect
from reconciler.client.launcher.identity import Identity
from reconciler.client.launcher.refs import load_env_file
from reconciler.client.launcher.supervisor import RunOptions, run
from reconciler.demo.embedded import EmbeddedStore
from reconciler.gitops.manifests.kinds import AppRole
from reconciler.vocabulary.errors import SealkeepError

Say = Callable[[str], None]


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _credential_files(store: EmbeddedStore, role: AppRole) -> tuple[Path, Path]:
    """What a deploy pipeline hands the app: its role id and a secret id, as files."""
    operator = hvac.Client(url=store.url, token=store.root_token)
    approle = operator.auth.approle
    role_id = approle.read_role_id(role.name, mount_point=role.mount)["data"]["role_id"]
    secret_id = approle.generate_secret_id(role.name, mount_point=role.mount)["data"]["secret_id"]
    folder = store.data_dir / "deploy"
    folder.mkdir(exist_ok=True)
    _write_private(folder / "role-id", role_id)
    _write_private(folder / "secret-id", secret_id)
    return folder / "role-id", folder / "secret-id"


def leases_left(store: EmbeddedStore, prefix: str) -> int:
    """How many leases the store still holds under `prefix`."""
    operator = hvac.Client(url=store.url, token=store.root_token)
    try:
        return len(operator.sys.list_leases(prefix)["data"]["keys"])
    except hvac.exceptions.InvalidPath:
        return 0


def run_app(repo: Path, store: EmbeddedStore, team: str, role: AppRole, say: Say) -> None:
    """Run apps/<team>-api once with `sealkeep run`; show that its database login is revoked."""
    app = repo / "apps" / f"{team}-api"
    if not (app / "secrets.yaml").is_file():
        say(f"  (the repo has no apps/{team}-api/secrets.yaml to run)")
        return
    refs = load_env_file(app / "secrets.yaml")
    role_id_file, secret_id_file = _credential_files(store, role)
    options = RunOptions(
        command=[sys.executable, str(app / "app.py"), "--once"],
        refs=refs,
        identity=Identity(
            auth="approle",
            mount=role.mount,
            role_id_file=role_id_file,
            secret_id_file=secret_id_file,
        ),
    )
    sys.stdout.flush()
    try:
        code = run(connect(store.url), options, lambda line: say(f"  sealkeep run: {line}"))
    except SealkeepError as exc:
        say(f"  (sealkeep run stopped: {exc}; is PostgreSQL on 127.0.0.1:5432?)")
        return
    dynamic = sorted({ref.path for ref in refs if "/creds/" in ref.path})
    left = sum(leases_left(store, path) for path in dynamic)
    say(f"  the app exited with {code}; database leases left: {left}")
