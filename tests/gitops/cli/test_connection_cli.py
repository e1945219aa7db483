"""How every store command finds its server and token, and how results are rendered."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from reconciler.cli.render import columns, format_value
from reconciler.client.connection import connect, save_token
from reconciler.client.errors import ClientInputError
from tests.gitops.cli.store_cli import run
from tests.support.servers import ServerProcess


def test_options_override_the_environment(dev_server: ServerProcess) -> None:
    env = {"VAULT_ADDR": "http://127.0.0.1:1", "VAULT_TOKEN": "hvs.wrong"}
    args = ["-address", dev_server.url, "-token", dev_server.root_token, "-format", "json"]
    result = run(["token", "lookup", *args], env)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["data"]["policies"] == ["root"]
    long_form = run(["token", "lookup", "--address", dev_server.url, "--token", "hvs.wrong"])
    assert long_form.code == 1 and "permission denied" in long_form.stderr


def test_token_file_is_the_fallback(dev_server: ServerProcess) -> None:
    path = save_token(dev_server.root_token)
    assert path == Path.home() / ".vault-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    result = run(["token", "lookup", "-format", "json"], {"VAULT_ADDR": dev_server.url})
    assert result.code == 0, result.stderr
    assert "root" in json.loads(result.stdout)["data"]["policies"]


def test_no_token_is_refused(dev_server: ServerProcess) -> None:
    result = run(["kv", "list", "secret/"], {"VAULT_ADDR": dev_server.url})
    assert result.code == 1 and "permission denied" in result.stderr


def test_tls_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VAULT_CACERT", str(tmp_path / "missing.pem"))
    with pytest.raises(ClientInputError, match="VAULT_CACERT"):
        connect("https://127.0.0.1:8200", "t")
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not checked until a request is made\n")
    monkeypatch.setenv("VAULT_CACERT", str(bundle))
    assert connect("https://127.0.0.1:8200", "t").adapter._kwargs["verify"] == str(bundle)
    monkeypatch.setenv("VAULT_SKIP_VERIFY", "true")
    assert connect("https://127.0.0.1:8200", "t").adapter._kwargs["verify"] is False


def test_missing_cacert_through_the_cli(dev_server: ServerProcess, tmp_path: Path) -> None:
    env = {"VAULT_ADDR": dev_server.url, "VAULT_CACERT": str(tmp_path / "none.pem")}
    result = run(["status"], env)
    assert result.code == 1 and "VAULT_CACERT" in result.stderr


def test_render_values_like_the_vault_cli() -> None:
    assert format_value(None) == "n/a"
    assert format_value(True) == "true"
    assert format_value(["a", "b"]) == "[a b]"
    assert format_value({"b": 1, "a": "x"}) == "map[a:x b:1]"
    table = columns(("Key", "Value"), [("short", 1), ("a_longer_key", False)])
    assert table.splitlines() == [
        "Key             Value",
        "---             -----",
        "short           1",
        "a_longer_key    false",
    ]
