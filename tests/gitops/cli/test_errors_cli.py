"""Errors that say where and what to do: the address and API path of every client error, a
missing, unknown, expired or under-privileged token told apart, an unreachable server named,
and the server and unseal commands failing cleanly."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import hvac
import hvac.exceptions
import pytest
import requests

from reconciler.client.connection import DEFAULT_ADDRESS, connect
from reconciler.client.errors import unreachable
from reconciler.vocabulary.errors import SealkeepError
from tests.gitops.cli.store_cli import env_for, run, run_process, unreachable_address
from tests.support.servers import REPO_ROOT, ServerProcess, free_port, start_sqlite_server


def _refused(server: ServerProcess, env: dict[str, str], path: str = "secret/x") -> str:
    """`sealkeep kv get PATH` must fail with exit 1; its stderr."""
    result = run(["kv", "get", path], env)
    assert result.code == 1, result.stdout
    assert result.stderr.startswith(
        f"Error: GET secret/data/{path.removeprefix('secret/')} at {server.url}: permission denied"
    )
    return result.stderr


def test_a_missing_token_says_how_to_give_one(dev_server: ServerProcess) -> None:
    stderr = _refused(dev_server, {"VAULT_ADDR": dev_server.url})
    assert "Hint: no token was given: export VAULT_TOKEN=<token>, or run `sealkeep login`" in stderr


def test_a_wrong_token_is_named_by_its_source(dev_server: ServerProcess) -> None:
    stderr = _refused(dev_server, env_for(dev_server, "hvs.not-a-token"))
    assert "the server does not know the token from VAULT_TOKEN" in stderr
    assert "hvs.not-a-token" not in stderr


def test_a_valid_token_without_the_policy_is_told_so(
    dev_server: ServerProcess, vault: hvac.Client, unique: str
) -> None:
    weak = vault.auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]
    stderr = _refused(dev_server, env_for(dev_server, weak), f"secret/{unique}")
    assert "the token is valid but its policies (default) do not allow this request" in stderr


def _wait_until_refused(server: ServerProcess, token: str) -> None:
    """Wait (polling, no threshold asserted) until the server no longer accepts `token`."""
    for _ in range(200):
        try:
            server.client(token).auth.token.lookup_self()
        except hvac.exceptions.Forbidden:
            return
        time.sleep(0.1)
    raise AssertionError("the token never expired")


def test_an_expired_login_says_to_log_in_again(
    dev_server: ServerProcess, vault: hvac.Client, unique: str
) -> None:
    vault.sys.enable_auth_method("userpass", path=unique)
    vault.write(f"auth/{unique}/users/ann", password="pw-of-ann", token_ttl="1s")
    env = {"VAULT_ADDR": dev_server.url}
    login = run(
        ["login", "-method", "userpass", "-path", unique, "username=ann", "password=-"],
        env,
        stdin="pw-of-ann\n",
    )
    assert login.code == 0, login.stderr
    token = (Path.home() / ".vault-token").read_text()
    _wait_until_refused(dev_server, token)
    stderr = _refused(dev_server, env)
    assert "Hint: the token from ~/.vault-token expired at " in stderr
    assert "run `sealkeep login`" in stderr and token not in stderr


def test_an_unreachable_server_is_named_with_where_its_address_came_from() -> None:
    address = unreachable_address()
    result = run(["status"], {"VAULT_ADDR": address})
    assert result.code == 1
    assert result.stderr.startswith(f"Error: {address}: cannot reach the server")
    assert "Hint: is the server running, and is the address (from VAULT_ADDR) right?" in (
        result.stderr
    )


def test_the_default_address_is_said_to_be_the_default() -> None:
    try:
        requests.get(unreachable_address(), timeout=5)
    except requests.exceptions.ConnectionError as exc:
        error = unreachable(exc, DEFAULT_ADDRESS, "default")
    assert error.where == DEFAULT_ADDRESS
    assert error.hint is not None and error.hint.startswith(
        f"VAULT_ADDR is not set, so the default {DEFAULT_ADDRESS} was used: export VAULT_ADDR="
    )


def test_library_callers_still_see_hvac_errors(dev_server: ServerProcess) -> None:
    client = connect(dev_server.url, "hvs.not-a-token")
    with pytest.raises(hvac.exceptions.Forbidden) as caught:
        client.secrets.kv.v2.read_secret_version("x", raise_on_deleted_version=True)
    assert isinstance(caught.value, SealkeepError)
    assert str(caught.value).startswith("permission denied")  # hvac's text, for old callers
    assert caught.value.where == f"GET secret/data/x at {dev_server.url}"
    with pytest.raises(requests.exceptions.ConnectionError) as down:
        connect(unreachable_address(), "t").sys.read_health_status(method="GET")
    assert isinstance(down.value, SealkeepError)


def test_a_busy_port_fails_before_any_root_token_is_printed() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        address = "{}:{}".format(*taken.getsockname())
        done = subprocess.run(
            [sys.executable, "-m", "reconciler.cli.main", "server", "--dev",
             "--dev-listen-address", address],
            capture_output=True, text=True, cwd=REPO_ROOT, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: {address}: cannot listen: Address already in use")
    assert "Root Token" not in done.stdout and done.stdout == ""


def test_unseal_without_a_terminal_reads_stdin_quietly(tmp_path: Path) -> None:
    server = start_sqlite_server(tmp_path)
    try:
        env = {"VAULT_ADDR": server.url}
        init = run(
            ["operator", "init", "-key-shares", "1", "-key-threshold", "1", "-format", "json"],
            env,
        )
        assert init.code == 0, init.stderr
        [key] = json.loads(init.stdout)["keys"]
        unsealed = run_process(["operator", "unseal", "-format", "json"], env, stdin=key + "\n")
        assert unsealed.code == 0, unsealed.stderr
        assert unsealed.stderr == ""  # no GetPassWarning, no prompt
        assert json.loads(unsealed.stdout)["sealed"] is False
        assert key not in unsealed.stdout
        empty = run_process(["operator", "unseal"], env, stdin="")
        assert empty.code == 1 and empty.stderr.startswith("Error: Unseal Key: nothing on stdin")
    finally:
        server.stop()


def test_ctrl_c_at_a_prompt_exits_130() -> None:
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler.cli.main", "operator", "unseal",
         "-address", unreachable_address()],
        stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
        start_new_session=True,  # no controlling terminal: getpass reads the pty on stdin
    )  # fmt: skip
    try:
        assert process.stdout is not None
        shown = b""
        while b"(will be hidden)" not in shown:  # the prompt is up: the key is being read
            ready, _, _ = select.select([process.stdout], [], [], 60)
            assert ready, f"no prompt: {shown!r}"
            chunk = os.read(process.stdout.fileno(), 1024)
            assert chunk, "the command ended before asking for the key"
            shown += chunk
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130
    finally:
        process.kill()
        process.wait()
        os.close(controller)
        os.close(terminal)
