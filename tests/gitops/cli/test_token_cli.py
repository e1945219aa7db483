"""`sealkeep token ...` against the real dev server."""

from __future__ import annotations

import json

import hvac
import pytest

from tests.gitops.cli.store_cli import env_for, run
from tests.support.servers import ServerProcess


@pytest.fixture
def env(dev_server: ServerProcess) -> dict[str, str]:
    """Root env for the dev server."""
    return env_for(dev_server)


def _create(env: dict[str, str], *extra: str) -> dict[str, object]:
    result = run(["token", "create", "-format", "json", *extra], env)
    assert result.code == 0, result.stderr
    return dict(json.loads(result.stdout)["auth"])


def test_create_with_options(env: dict[str, str], vault: hvac.Client) -> None:
    auth = _create(
        env,
        "-policy",
        "alpha",
        "-policy=beta",
        "-ttl",
        "1h",
        "-explicit-max-ttl",
        "2h",
        "-num-uses",
        "5",
        "-display-name",
        "ci",
        "-metadata",
        "team=web",
    )
    assert set(auth["token_policies"]) == {"alpha", "beta", "default"}  # type: ignore[arg-type]
    info = vault.auth.token.lookup(str(auth["client_token"]))["data"]
    assert info["num_uses"] == 5 and info["meta"] == {"team": "web"}
    assert info["explicit_max_ttl"] == 7200 and "ci" in info["display_name"]


def test_create_table_orphan_and_no_default(env: dict[str, str], vault: hvac.Client) -> None:
    table = run(["token", "create", "-policy", "alpha", "-no-default-policy"], env)
    assert table.code == 0, table.stderr
    assert "token_accessor" in table.stdout and "[alpha]" in table.stdout
    orphan = _create(env, "-orphan", "-period", "30m")
    assert orphan["orphan"] is True
    assert vault.auth.token.lookup(str(orphan["client_token"]))["data"]["period"] == 1800


def test_create_bad_input(env: dict[str, str]) -> None:
    meta = run(["token", "create", "-metadata", "oops"], env)
    assert meta.code == 1 and "-metadata" in meta.stderr
    uses = run(["token", "create", "-num-uses", "-1"], env)
    assert uses.code == 1 and "-num-uses" in uses.stderr
    ttl = run(["token", "create", "-ttl", "soon"], env)
    assert ttl.code == 1


def test_lookup_self_token_and_accessor(env: dict[str, str], dev_server: ServerProcess) -> None:
    auth = _create(env, "-ttl", "1h")
    token, accessor = str(auth["client_token"]), str(auth["accessor"])
    self_view = run(["token", "lookup"], env_for(dev_server, token))
    assert self_view.code == 0 and "accessor" in self_view.stdout
    assert token not in self_view.stdout
    by_token = json.loads(run(["token", "lookup", "-format", "json", token], env).stdout)
    assert by_token["data"]["accessor"] == accessor
    by_accessor = run(["token", "lookup", "-accessor", accessor], env)
    assert by_accessor.code == 0 and "policies" in by_accessor.stdout
    bad = run(["token", "lookup", "hvs.not-a-token"], env)
    assert bad.code == 1
    needs_arg = run(["token", "lookup", "-accessor"], env)
    assert needs_arg.code == 1 and "-accessor" in needs_arg.stderr


def test_renew(env: dict[str, str], dev_server: ServerProcess) -> None:
    token = str(_create(env, "-ttl", "10m", "-explicit-max-ttl", "1h")["client_token"])
    renewed = run(["token", "renew", "-increment", "30m", "-format", "json", token], env)
    assert renewed.code == 0, renewed.stderr
    assert 1790 <= json.loads(renewed.stdout)["auth"]["lease_duration"] <= 1800
    self_renew = run(["token", "renew"], env_for(dev_server, token))
    assert self_renew.code == 0 and "token_duration" in self_renew.stdout
    assert token not in self_renew.stdout
    missing = run(["token", "renew", "hvs.not-a-token"], env)
    assert missing.code == 1


def test_revoke_modes(env: dict[str, str], dev_server: ServerProcess, vault: hvac.Client) -> None:
    parent = str(_create(env, "-ttl", "1h")["client_token"])
    child = vault.auth.token.create(ttl="1h")  # root child, unrelated
    parent_env = env_for(dev_server, parent)
    kid = str(_create(parent_env, "-ttl", "30m")["client_token"])
    assert run(["token", "revoke", "-mode", "orphan", parent], env).code == 0
    assert vault.auth.token.lookup(kid)["data"]["orphan"] is True
    by_accessor = run(["token", "revoke", "-accessor", child["auth"]["accessor"]], env)
    assert by_accessor.code == 0
    assert run(["token", "revoke", "-self"], env_for(dev_server, kid)).code == 0
    assert run(["token", "lookup", kid], env).code == 1


def test_revoke_bad_input(env: dict[str, str]) -> None:
    none = run(["token", "revoke"], env)
    assert none.code == 1 and "give the token" in none.stderr
    both = run(["token", "revoke", "-self", "hvs.x"], env)
    assert both.code == 1 and "-self" in both.stderr
    mode = run(["token", "revoke", "-mode", "orphan", "-accessor", "abc"], env)
    assert mode.code == 1 and "-mode" in mode.stderr
    choice = run(["token", "revoke", "-mode", "tree", "hvs.x"], env)
    assert choice.code == 2 or choice.code == 1
