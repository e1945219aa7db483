"""`sealkeep run` end to end: a real `sealkeep run` process, the dev server, real PostgreSQL.

The child is a small Python program that records, each time it starts, the values it found
in its environment (test values only), then waits for SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hvac
import jwt as pyjwt
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.gitops.cli.store_cli import env_for
from tests.gitops.cli.store_cli import run as run_cli
from tests.server.db_support import configure_pg, pg_role, wait_until
from tests.store.engines.database.support import pg_role as pg_role_row
from tests.support.servers import ServerProcess

CHILD = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
names = sys.argv[2].split(",")
with open(sys.argv[1], "a") as out:
    out.write(" ".join(os.environ.get(n, "-") for n in names) + "\\n")
code = int(os.environ.get("CHILD_EXIT", "-1"))
if code >= 0:
    sys.exit(code)
while True:
    time.sleep(0.2)
"""


@dataclass
class RunProcess:
    """A running `sealkeep run`: the process, its stderr file, the child's record file."""

    process: subprocess.Popen[bytes]
    stderr: Path
    record: Path

    def lines(self) -> list[list[str]]:
        """One list of values per child start."""
        if not self.record.exists():
            return []
        return [line.split() for line in self.record.read_text().splitlines()]

    def log(self) -> str:
        """What `sealkeep run` reported."""
        return self.stderr.read_text()

    def stop(self) -> int:
        """SIGTERM to run (passed to the child); run's exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def child_script(tmp_path: Path) -> Path:
    """The child program."""
    path = tmp_path / "child.py"
    path.write_text(CHILD)
    return path


@pytest.fixture
def kv(vault: hvac.Client, unique: str) -> Iterator[str]:
    """A KV v2 mount."""
    mount = f"{unique}kv"
    vault.sys.enable_secrets_engine("kv", path=mount, options={"version": "2"})
    yield mount
    vault.sys.disable_secrets_engine(mount)


def start_run(
    tmp_path: Path, server: ServerProcess, args: list[str], names: list[str], **env: str
) -> RunProcess:
    """Start `sealkeep run ARGS -- python child.py RECORD NAMES` as its own process."""
    record, stderr = tmp_path / "record.txt", tmp_path / "run.err"
    command = [sys.executable, "-m", "reconciler.cli.main", "run", *args, "--"]
    command += [sys.executable, str(tmp_path / "child.py"), str(record), ",".join(names)]
    environ = {**os.environ, "VAULT_ADDR": server.url, **env}
    with stderr.open("wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=environ)
    return RunProcess(process, stderr, record)


def _approle(vault: hvac.Client, mount: str, policy: str, tmp_path: Path) -> list[str]:
    """An AppRole whose tokens live 3 s (renewable for an hour); its id files as options."""
    vault.sys.enable_auth_method("approle", path=mount)
    vault.write(f"auth/{mount}/role/app", token_policies=policy, token_ttl="3s", token_max_ttl="1h")
    role_id = vault.read(f"auth/{mount}/role/app/role-id")["data"]["role_id"]
    secret_id = vault.write(f"auth/{mount}/role/app/secret-id")["data"]["secret_id"]
    (tmp_path / "role-id").write_text(role_id)
    (tmp_path / "secret-id").write_text(secret_id)
    return [
        "--auth=approle",
        f"--auth-path={mount}",
        f"--role-id-file={tmp_path / 'role-id'}",
        f"--secret-id-file={tmp_path / 'secret-id'}",
    ]


def test_the_child_gets_its_secrets_rotated_renewed_and_revoked(
    vault: hvac.Client,
    dev_server: ServerProcess,
    db_mount: str,
    kv: str,
    pg_admin: psycopg.Connection,
    child_script: Path,
    tmp_path: Path,
    unique: str,
) -> None:
    configure_pg(vault, db_mount)
    role = pg_role(vault, db_mount, ttl="4s", max_ttl="1h")
    vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hello-1"}, mount_point=kv)
    vault.sys.create_or_update_policy(
        unique,
        f'path "{kv}/data/app" {{ capabilities = ["read"] }}\n'
        f'path "{db_mount}/creds/{role}" {{ capabilities = ["read"] }}\n',
    )
    login = _approle(vault, f"{unique}ar", unique, tmp_path)
    secrets = [
        f"--secret=GREETING={kv}/app#greeting",
        f"--secret=DB_USER={db_mount}/creds/{role}#username",
        f"--secret=DB_PASSWORD={db_mount}/creds/{role}#password",
    ]
    run = start_run(
        tmp_path, dev_server, [*login, *secrets, "--poll-interval=1s"], ["GREETING", "DB_USER"]
    )
    try:
        wait_until(lambda: len(run.lines()) == 1, timeout=60)
        greeting, db_user = run.lines()[0]
        assert greeting == "hello-1"
        assert pg_role_row(pg_admin, db_user) is not None

        vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hello-2"}, mount_point=kv)
        wait_until(lambda: len(run.lines()) == 2, timeout=60)
        assert run.lines()[1] == ["hello-2", db_user]

        # The login token lives 3 s: still valid after two renewals, well past that.
        wait_until(lambda: run.log().count("renewed the token") >= 2, timeout=60)
        wait_until(lambda: "renewed the lease" in run.log(), timeout=60)
        accessor = run.log().split("token accessor ")[1].split()[0]
        assert vault.auth.token.lookup_accessor(accessor)["data"]["ttl"] > 0
        assert run.process.poll() is None
    finally:
        code = run.stop()
    assert code == 0, run.log()
    assert pg_role_row(pg_admin, db_user) is None
    assert "revoked the token" in run.log()
    assert "hello-" not in run.log()
    with pytest.raises(hvac.exceptions.InvalidRequest):
        vault.auth.token.lookup_accessor(accessor)


def test_run_uses_the_callers_token_and_exits_with_the_childs_code(
    vault: hvac.Client, dev_server: ServerProcess, kv: str, child_script: Path, tmp_path: Path
) -> None:
    vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hi"}, mount_point=kv)
    run = start_run(
        tmp_path,
        dev_server,
        [f"--secret=GREETING={kv}/app#greeting"],
        ["GREETING"],
        VAULT_TOKEN=dev_server.root_token,
        CHILD_EXIT="7",
    )
    assert run.process.wait(timeout=60) == 7, run.log()
    assert run.lines() == [["hi"]]


def test_a_secret_that_disappears_stops_the_child_with_an_error(
    vault: hvac.Client, dev_server: ServerProcess, kv: str, child_script: Path, tmp_path: Path
) -> None:
    vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hi"}, mount_point=kv)
    run = start_run(
        tmp_path,
        dev_server,
        [f"--secret=GREETING={kv}/app#greeting", "--poll-interval=1s"],
        ["GREETING"],
        VAULT_TOKEN=dev_server.root_token,
    )
    try:
        wait_until(lambda: len(run.lines()) == 1, timeout=60)
        vault.secrets.kv.v2.delete_latest_version_of_secret("app", mount_point=kv)
        assert run.process.wait(timeout=60) == 1
    finally:
        run.stop()
    assert f"no value found at {kv}/app" in run.log()
    assert "the command was stopped" in run.log()


def test_a_missing_field_is_refused_before_the_child_starts(
    vault: hvac.Client, dev_server: ServerProcess, kv: str, child_script: Path, tmp_path: Path
) -> None:
    vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hi"}, mount_point=kv)
    run = start_run(
        tmp_path,
        dev_server,
        [f"--secret=PASSWORD={kv}/app#password"],
        ["PASSWORD"],
        VAULT_TOKEN=dev_server.root_token,
    )
    assert run.process.wait(timeout=60) == 1
    assert f"PASSWORD: {kv}/app has no field 'password'" in run.log()
    assert not run.record.exists()


HUP_CHILD = """
import os, signal, sys, time
def stop(signum, frame):
    with open(sys.argv[1], "a") as out:
        out.write("stopped-by-" + signal.Signals(signum).name + "\\n")
    sys.exit(0)
signal.signal(signal.SIGHUP, stop)
with open(sys.argv[1], "a") as out:
    out.write(os.environ["GREETING"] + "\\n")
while True:
    time.sleep(0.2)
"""


def test_env_file_and_restart_signal(
    vault: hvac.Client, dev_server: ServerProcess, kv: str, tmp_path: Path
) -> None:
    vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hello-1"}, mount_point=kv)
    (tmp_path / "child.py").write_text(HUP_CHILD)
    refs = tmp_path / "refs.yaml"
    refs.write_text(f"GREETING: {kv}/app#greeting\n")
    args = [f"--env-file={refs}", "--poll-interval=1s", "--restart-signal=HUP"]
    run = start_run(tmp_path, dev_server, args, [], VAULT_TOKEN=dev_server.root_token)
    try:
        wait_until(lambda: run.lines() == [["hello-1"]], timeout=60)
        vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hello-2"}, mount_point=kv)
        wait_until(lambda: run.lines()[-1:] == [["hello-2"]], timeout=60)
        assert run.lines() == [["hello-1"], ["stopped-by-SIGHUP"], ["hello-2"]]
    finally:
        run.process.send_signal(signal.SIGHUP)  # passed on: the child stops, run ends
        code = run.process.wait(timeout=60)
    assert code == 0, run.log()
    assert run.lines()[-1] == ["stopped-by-SIGHUP"]


def _signed_jwt(claims: dict[str, object]) -> tuple[str, str]:
    """(a JWT signed with a fresh EC key, that key's public PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    return pyjwt.encode({"iat": now, "exp": now + 600, **claims}, key, "ES256"), public.decode()


def _jwt_mount(vault: hvac.Client, mount: str, policy: str) -> str:
    token, public = _signed_jwt({"iss": "ci", "sub": "deploy", "aud": "sealkeep"})
    vault.sys.enable_auth_method("jwt", path=mount)
    vault.write(
        f"auth/{mount}/config",
        jwt_validation_pubkeys=[public],
        bound_issuer="ci",
        jwt_supported_algs=["ES256"],
    )
    vault.write(
        f"auth/{mount}/role/app",
        role_type="jwt",
        user_claim="sub",
        bound_audiences=["sealkeep"],
        token_policies=[policy],
    )
    return token


def _kubernetes_mount(vault: hvac.Client, mount: str, policy: str) -> str:
    account = {"name": "app", "uid": "8d1e5e2a-0000-4000-8000-000000000001"}
    token, public = _signed_jwt(
        {
            "iss": "kubernetes/serviceaccount",
            "sub": "system:serviceaccount:shop:app",
            "kubernetes.io": {"namespace": "shop", "serviceaccount": account},
        }
    )
    vault.sys.enable_auth_method("kubernetes", path=mount)
    vault.write(f"auth/{mount}/config", kubernetes_host="https://k8s.invalid", pem_keys=[public])
    vault.write(
        f"auth/{mount}/role/app",
        bound_service_account_names=["app"],
        bound_service_account_namespaces=["shop"],
        token_policies=[policy],
    )
    return token


@pytest.mark.parametrize("method", ["jwt", "kubernetes"])
def test_run_logs_in_with_a_jwt_or_a_service_account_token(
    vault: hvac.Client,
    dev_server: ServerProcess,
    kv: str,
    child_script: Path,
    tmp_path: Path,
    unique: str,
    method: str,
) -> None:
    vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hi"}, mount_point=kv)
    vault.sys.create_or_update_policy(unique, f'path "{kv}/data/app" {{ capabilities = ["read"] }}')
    mount = f"{unique}{method[:3]}"
    make = _jwt_mount if method == "jwt" else _kubernetes_mount
    (tmp_path / "token").write_text(make(vault, mount, unique))
    args = [f"--auth={method}", f"--auth-path={mount}", "--role=app"]
    args += [f"--jwt-file={tmp_path / 'token'}", f"--secret=GREETING={kv}/app#greeting"]
    run = start_run(tmp_path, dev_server, args, ["GREETING"], CHILD_EXIT="0")
    try:
        assert run.process.wait(timeout=60) == 0, run.log()
    finally:
        vault.sys.disable_auth_method(mount)
    assert run.lines() == [["hi"]]
    assert "revoked the token" in run.log()


def test_a_lease_at_its_max_ttl_is_replaced_and_the_command_restarted(
    vault: hvac.Client,
    dev_server: ServerProcess,
    db_mount: str,
    pg_admin: psycopg.Connection,
    child_script: Path,
    tmp_path: Path,
) -> None:
    configure_pg(vault, db_mount)
    role = pg_role(vault, db_mount, ttl="2s", max_ttl="6s")
    secrets = [f"--secret=DB_USER={db_mount}/creds/{role}#username"]
    secrets += [f"--secret=DB_PASSWORD={db_mount}/creds/{role}#password"]
    run = start_run(tmp_path, dev_server, secrets, ["DB_USER"], VAULT_TOKEN=dev_server.root_token)
    try:
        wait_until(lambda: len(run.lines()) == 1, timeout=60)
        [first] = run.lines()[0]
        wait_until(lambda: len(run.lines()) >= 2, timeout=60)
        [second] = run.lines()[1]
        assert second != first
        assert "has a new lease: restarting" in run.log()
        # The old login is revoked once the command runs with the new one.
        wait_until(lambda: pg_role_row(pg_admin, first) is None, timeout=60)
        assert run.process.poll() is None
    finally:
        code = run.stop()
    assert code == 0, run.log()
    for user in {line[0] for line in run.lines()}:
        wait_until(lambda user=user: pg_role_row(pg_admin, user) is None, timeout=60)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--secret=bad"], "--secret: 'bad' is not ENV=mount/path#field"),
        (["--secret=1X=secret/app#k"], "'1X' is not an environment variable name"),
        (["--secret=X=secret/app"], "X: 'secret/app' is not mount/path#field"),
        ([], "give at least one --secret"),
    ],
)
def test_bad_references_are_refused_before_anything_runs(
    dev_server: ServerProcess, args: list[str], message: str
) -> None:
    done = run_cli(["run", *args, "--", "true"], env_for(dev_server))
    assert done.code == 1
    assert message in done.stderr
