"""`sealkeep login -method=...` against the real dev server, with the real auth methods."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest

from tests.gitops.cli.store_cli import env_for, run, run_process
from tests.support.servers import ServerProcess


@pytest.fixture
def addr(dev_server: ServerProcess) -> dict[str, str]:
    """Only VAULT_ADDR: the login supplies the token."""
    return {"VAULT_ADDR": dev_server.url}


@pytest.fixture
def userpass(vault: hvac.Client, unique: str) -> Iterator[str]:
    """A userpass mount with user `alice` / `wonderland` holding policy `default`."""
    vault.sys.enable_auth_method("userpass", path=unique)
    vault.write_data(
        f"auth/{unique}/users/alice", data={"password": "wonderland", "token_ttl": "10m"}
    )
    yield unique
    vault.sys.disable_auth_method(unique)


@pytest.fixture
def approle(vault: hvac.Client, unique: str) -> Iterator[tuple[str, str, str]]:
    """An approle mount with role `web`: (mount, role_id, secret_id)."""
    vault.sys.enable_auth_method("approle", path=unique)
    vault.write_data(
        f"auth/{unique}/role/web", data={"token_policies": "default", "token_ttl": "10m"}
    )
    role_id = vault.read(f"auth/{unique}/role/web/role-id")["data"]["role_id"]
    secret_id = vault.write_data(f"auth/{unique}/role/web/secret-id", data={})["data"]["secret_id"]
    yield unique, role_id, secret_id
    vault.sys.disable_auth_method(unique)


def _token_file() -> Path:
    return Path.home() / ".vault-token"


def test_userpass_prompts_for_the_password_and_stores_the_token(
    addr: dict[str, str], userpass: str
) -> None:
    result = run(
        ["login", "-method=userpass", f"-path={userpass}", "username=alice"],
        addr,
        stdin="wonderland\n",
    )
    assert result.code == 0, result.stderr
    assert "wonderland" not in result.stdout
    assert "token_meta_username" in result.stdout and "stored in" in result.stdout
    token_file = _token_file()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text() not in result.stdout
    who = run(["token", "lookup", "-format", "json"], addr)
    assert who.code == 0, who.stderr
    assert json.loads(who.stdout)["data"]["meta"]["username"] == "alice"


def test_userpass_wrong_password_and_missing_username(addr: dict[str, str], userpass: str) -> None:
    wrong = run(
        ["login", "-method", "userpass", "-path", userpass, "username=alice", "password=-"],
        addr,
        stdin="nope\n",
    )
    assert wrong.code == 1 and "nope" not in wrong.stderr
    assert not _token_file().exists()
    missing = run(["login", "-method=userpass", f"-path={userpass}"], addr)
    assert missing.code == 1 and "username=" in missing.stderr
    unknown = run(["login", "-method=userpass", "username=a", "role=x", "password=p"], addr)
    assert unknown.code == 1 and "does not take role" in unknown.stderr


def test_approle_login_with_secret_id_from_stdin(
    addr: dict[str, str], approle: tuple[str, str, str]
) -> None:
    mount, role_id, secret_id = approle
    result = run(
        ["login", "-method=approle", f"-path={mount}", f"role_id={role_id}", "secret_id=-"],
        addr,
        stdin=secret_id + "\n",
    )
    assert result.code == 0, result.stderr
    assert secret_id not in result.stdout
    assert "token_policies" in result.stdout
    assert _token_file().read_text().startswith("hvs.")


def test_approle_bad_secret_id_and_no_store_json(
    addr: dict[str, str], approle: tuple[str, str, str]
) -> None:
    mount, role_id, secret_id = approle
    bad = run(
        ["login", "-method=approle", f"-path={mount}", f"role_id={role_id}", "secret_id=-"],
        addr,
        stdin="not-the-secret\n",
    )
    assert bad.code == 1
    printed = run(
        ["login", "-method=approle", f"-path={mount}", f"role_id={role_id}", "secret_id=-",
         "-no-store", "-format", "json"],
        addr,
        stdin=secret_id,
    )  # fmt: skip
    assert printed.code == 0, printed.stderr
    assert json.loads(printed.stdout)["auth"]["client_token"]
    assert not _token_file().exists()


def test_token_method(addr: dict[str, str], vault: hvac.Client) -> None:
    token = vault.auth.token.create(policies=["default"], ttl="10m")["auth"]["client_token"]
    stored = run(["login", "token=-"], addr, stdin=token + "\n")
    assert stored.code == 0, stored.stderr
    assert _token_file().read_text() == token
    assert token not in stored.stdout
    prompted = run(["login", "-no-store"], addr, stdin=token + "\n")
    assert prompted.code == 0 and token in prompted.stdout
    bad = run(["login", "token=hvs.nothing"], addr)
    assert bad.code == 1 and "permission denied" in bad.stderr


def test_jwt_and_kubernetes_need_role_and_jwt(addr: dict[str, str]) -> None:
    jwt = run(["login", "-method=jwt", "role=ci"], addr)
    assert jwt.code == 1 and "jwt=" in jwt.stderr
    k8s = run(["login", "-method=kubernetes", "jwt=abc"], addr)
    assert k8s.code == 1 and "role=" in k8s.stderr
    method = run(["login", "-method=ldap"], addr)
    assert method.code == 2


def test_login_through_the_console_entry(dev_server: ServerProcess, userpass: str) -> None:
    env = {"VAULT_ADDR": dev_server.url, "HOME": str(Path.home())}
    result = run_process(
        ["login", "-method=userpass", f"-path={userpass}", "username=alice", "password=-"],
        env,
        stdin="wonderland\n",
    )
    assert result.code == 0, result.stderr
    looked = run_process(["token", "lookup", "-format", "json"], env)
    assert json.loads(looked.stdout)["data"]["meta"]["username"] == "alice"
    assert env_for(dev_server)["VAULT_TOKEN"] not in looked.stdout
