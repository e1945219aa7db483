"""The real OpenBao Agent against Sealkeep: AppRole auto-auth, a file sink, templates, exec mode.

Everything is real: `bao agent` and the `bao` CLI (the usual bootstrap, `bao write -f
.../secret-id`), the dev server, PostgreSQL for the dynamic credential. Intervals are short
so the tests are quick; every wait polls with a generous deadline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hvac
import psycopg
import pytest

from tests.server.db_support import configure_pg, pg_role, wait_until
from tests.store.engines.database.support import pg_role as pg_role_row
from tests.support.agent import Agent, approle_auto_auth, start_agent
from tests.support.openbao import bao_binary
from tests.support.servers import ServerProcess

CHILD = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(sys.argv[1], "a") as out:
    out.write(os.environ.get("GREETING", "-") + "\\n")
while True:
    time.sleep(0.2)
"""


@dataclass(frozen=True)
class AppSetup:
    """What the tests set up: the mounts, the AppRole mount and its role's files' folder."""

    kv: str
    approle: str
    folder: Path


def bao(server: ServerProcess, *args: str) -> str:
    """Run the `bao` CLI against the dev server as root; its stdout."""
    env = {**os.environ, "BAO_ADDR": server.url, "BAO_TOKEN": server.root_token}
    done = subprocess.run(
        [bao_binary(), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def app(
    vault: hvac.Client, dev_server: ServerProcess, unique: str, tmp_path: Path
) -> Iterator[AppSetup]:
    """A KV v2 mount with `app` = hello-1, and an AppRole `app` that may read it.

    The role id and secret id are fetched with the `bao` CLI, as an operator bootstraps them.
    """
    kv, approle = f"{unique}kv", f"{unique}ar"
    vault.sys.enable_secrets_engine("kv", path=kv, options={"version": "2"})
    vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hello-1"}, mount_point=kv)
    vault.sys.enable_auth_method("approle", path=approle)
    vault.write(f"auth/{approle}/role/app", token_policies=unique, token_ttl="1h")
    role_id = json.loads(
        bao(dev_server, "read", "-format=json", f"auth/{approle}/role/app/role-id")
    )
    (tmp_path / "role-id").write_text(role_id["data"]["role_id"])
    yield AppSetup(kv, approle, tmp_path)
    vault.sys.disable_auth_method(approle)
    vault.sys.disable_secrets_engine(kv)


def _policy(vault: hvac.Client, name: str, *paths: str) -> None:
    rules = "".join(f'path "{p}" {{ capabilities = ["read"] }}\n' for p in paths)
    vault.sys.create_or_update_policy(name, rules)


def _agent_config(server: ServerProcess, auto_auth: str, rest: str) -> str:
    return f"""
exit_after_auth = false
vault {{
  address = "{server.url}"
}}
{auto_auth}
template_config {{
  static_secret_render_interval = "1s"
}}
{rest}
"""


@pytest.fixture
def agents() -> Iterator[list[Agent]]:
    """Agents a test starts; each is stopped at the end."""
    started: list[Agent] = []
    yield started
    for agent in started:
        agent.stop()


def _text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def test_agent_renders_kv_and_a_dynamic_credential_and_follows_changes(
    vault: hvac.Client,
    dev_server: ServerProcess,
    app: AppSetup,
    db_mount: str,
    pg_admin: psycopg.Connection,
    agents: list[Agent],
    unique: str,
) -> None:
    configure_pg(vault, db_mount)
    # Renewable for 3 s at a time, for 8 s at most: the agent renews it, then needs a new one.
    role = pg_role(vault, db_mount, ttl="3s", max_ttl="8s")
    _policy(vault, unique, f"{app.kv}/data/app", f"{db_mount}/creds/{role}")
    secret_id = json.loads(bao(dev_server, "write", "-format=json", "-f",
                               f"auth/{app.approle}/role/app/secret-id"))  # fmt: skip
    (app.folder / "secret-id").write_text(secret_id["data"]["secret_id"])
    rendered = app.folder / "app.env"
    template = f"""
template {{
  destination = "{rendered}"
  contents = <<EOT
GREETING={{{{ with secret "{app.kv}/data/app" }}}}{{{{ .Data.data.greeting }}}}{{{{ end }}}}
{{{{ with secret "{db_mount}/creds/{role}" }}}}DB_USER={{{{ .Data.username }}}}{{{{ end }}}}
EOT
}}
"""
    config = _agent_config(dev_server, approle_auto_auth(app.approle, app.folder), template)
    agents.append(agent := start_agent(config, app.folder))

    wait_until(lambda: "DB_USER=v-" in _text(rendered), timeout=90)
    token = (app.folder / "token").read_text()
    assert dev_server.client(token=token).lookup_token()["data"]["policies"] == [
        "default",
        unique,
    ]
    assert "GREETING=hello-1" in _text(rendered)
    first_user = _text(rendered).split("DB_USER=")[1].split()[0]
    assert pg_role_row(pg_admin, first_user) is not None

    vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hello-2"}, mount_point=app.kv)
    wait_until(lambda: "GREETING=hello-2" in _text(rendered), timeout=90)

    # The lease is renewed until its max TTL; then the agent reads a new credential.
    wait_until(lambda: _renewed_leases(vault, f"{db_mount}/creds/{role}") > 0, timeout=90)
    wait_until(lambda: f"DB_USER={first_user}" not in _text(rendered), timeout=90)
    assert "DB_USER=v-" in _text(rendered), agent.log()
    assert agent.running(), agent.log()


def test_agent_unwraps_a_wrapped_secret_id(
    vault: hvac.Client,
    dev_server: ServerProcess,
    app: AppSetup,
    agents: list[Agent],
    unique: str,
) -> None:
    _policy(vault, unique, f"{app.kv}/data/app")
    creation_path = f"auth/{app.approle}/role/app/secret-id"
    wrapped = json.loads(bao(dev_server, "write", "-format=json", "-wrap-ttl=5m", "-f",
                             creation_path))  # fmt: skip
    (app.folder / "secret-id").write_text(wrapped["wrap_info"]["token"])
    rendered = app.folder / "greeting.txt"
    template = f"""
template {{
  destination = "{rendered}"
  contents = "{{{{ with secret \\"{app.kv}/data/app\\" }}}}{{{{ .Data.data.greeting }}}}{{{{ end }}}}"
}}
"""
    auto_auth = approle_auto_auth(app.approle, app.folder, wrapping_path=creation_path)
    agents.append(agent := start_agent(_agent_config(dev_server, auto_auth, template), app.folder))
    wait_until(lambda: _text(rendered) == "hello-1", timeout=90)
    assert agent.running(), agent.log()


def test_agent_exec_mode_restarts_the_child_when_the_secret_changes(
    vault: hvac.Client,
    dev_server: ServerProcess,
    app: AppSetup,
    agents: list[Agent],
    unique: str,
) -> None:
    _policy(vault, unique, f"{app.kv}/data/app")
    secret_id = vault.write(f"auth/{app.approle}/role/app/secret-id")["data"]["secret_id"]
    (app.folder / "secret-id").write_text(secret_id)
    (app.folder / "child.py").write_text(CHILD)
    record = app.folder / "record.txt"
    command = json.dumps([sys.executable, str(app.folder / "child.py"),
                          str(record)])  # fmt: skip
    rest = f"""
env_template "GREETING" {{
  contents = "{{{{ with secret \\"{app.kv}/data/app\\" }}}}{{{{ .Data.data.greeting }}}}{{{{ end }}}}"
  error_on_missing_key = true
}}
exec {{
  command = {command}
  restart_on_secret_changes = "always"
  restart_stop_signal = "SIGTERM"
}}
"""
    config = _agent_config(dev_server, approle_auto_auth(app.approle, app.folder), rest)
    agents.append(agent := start_agent(config, app.folder))
    wait_until(lambda: _text(record).splitlines() == ["hello-1"], timeout=90)

    vault.secrets.kv.v2.create_or_update_secret("app", {"greeting": "hello-2"}, mount_point=app.kv)
    wait_until(lambda: _text(record).splitlines()[-1:] == ["hello-2"], timeout=90)
    assert agent.running(), agent.log()


def _renewed_leases(vault: hvac.Client, prefix: str) -> int:
    """How many leases under `prefix` were renewed at least once."""
    try:
        keys = vault.sys.list_leases(prefix)["data"]["keys"]
    except hvac.exceptions.InvalidPath:
        return 0
    renewed = 0
    for key in keys:
        try:
            lease = vault.sys.read_lease(f"{prefix}/{key}")["data"]
        except hvac.exceptions.InvalidRequest:
            continue  # revoked meanwhile
        renewed += bool(lease.get("last_renewal"))
    return renewed
