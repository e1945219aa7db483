"""`sealkeep secret` through click's CliRunner, with real files, real age keys and a real editor."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.secret import secret
from reconciler.gitops.sops import decrypt_file, is_encrypted_value, yamlio
from tests.gitops.sops.conftest import AgeKey, install_default_key, new_key

EDIT_SCRIPT = """import sys
from pathlib import Path
target = Path(sys.argv[1])
assert oct(target.stat().st_mode & 0o777) == "0o600", oct(target.stat().st_mode)
text = target.read_text()
target.write_text({transform})
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def keyed(sandbox: Path, age_key: AgeKey) -> Path:
    """A repo whose .sops.yaml names `age_key`, which is installed as the default identity."""
    install_default_key(age_key)
    (sandbox / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {age_key.recipient}\n    encrypted_regex: ^(data|stringData)$\n"
    )
    return sandbox


def _editor(monkeypatch: pytest.MonkeyPatch, folder: Path, transform: str) -> None:
    script = folder / "fake_editor.py"
    script.write_text(EDIT_SCRIPT.format(transform=transform))
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")


def _new(runner: CliRunner, file: Path) -> None:
    result = runner.invoke(secret, ["new", str(file), "--path", "kv/payments/api"])
    assert result.exit_code == 0, result.output


def test_new_set_decrypt_unset(runner: CliRunner, keyed: Path) -> None:
    file = keyed / "api.yaml"
    _new(runner, file)
    raw = yamlio.load_fast(file.read_text(), "api.yaml")
    assert raw["kind"] == "Secret" and raw["apiVersion"] == "sealkeep.io/v1"
    assert raw["spec"]["mount"] == "kv" and raw["spec"]["path"] == "payments/api"
    assert raw["sops"]["encrypted_regex"] == "^(data|stringData)$"
    result = runner.invoke(secret, ["set", str(file), "token"], input="t0k3n-value\n")
    assert result.exit_code == 0, result.output
    assert "t0k3n-value" not in result.output
    assert "t0k3n-value" not in file.read_text()
    assert is_encrypted_value(yamlio.load_fast(file.read_text(), "x")["spec"]["data"]["token"])
    shown = runner.invoke(secret, ["decrypt", str(file)])
    assert shown.exit_code == 0 and "token: t0k3n-value" in shown.output
    assert runner.invoke(secret, ["unset", str(file), "token"]).exit_code == 0
    assert decrypt_file(file).tree["spec"]["data"] == {}
    missing = runner.invoke(secret, ["unset", str(file), "token"])
    assert missing.exit_code == 1 and str(file) in missing.output


def test_new_creates_a_new_teams_folder(runner: CliRunner, keyed: Path) -> None:
    file = keyed / "teams" / "newteam" / "db.sops.yaml"
    _new(runner, file)
    assert decrypt_file(file).tree["spec"]["path"] == "payments/api"


def test_new_without_rule_uses_data_default(runner: CliRunner, sandbox: Path) -> None:
    key = new_key()
    file = sandbox / "s.yaml"
    result = runner.invoke(
        secret, ["new", str(file), "--path", "kv/a/b", "--recipient", key.recipient]
    )
    assert result.exit_code == 0, result.output
    assert "encrypted_regex: ^data$" in file.read_text()
    refused = runner.invoke(secret, ["new", str(file), "--path", "kv/a/b"])
    assert refused.exit_code == 1 and "already exists" in refused.output


def test_edit_keeps_unchanged_ciphertexts(
    runner: CliRunner, keyed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = keyed / "db.yaml"
    _new(runner, file)
    for key, value in (("user", "app"), ("password", "old-pass")):
        assert runner.invoke(secret, ["set", str(file), key], input=value).exit_code == 0
    before = yamlio.load_fast(file.read_text(), "x")["spec"]["data"]
    _editor(monkeypatch, keyed, "text.replace('old-pass', 'new-pass')")
    result = runner.invoke(secret, ["edit", str(file)])
    assert result.exit_code == 0, result.output
    after = yamlio.load_fast(file.read_text(), "x")["spec"]["data"]
    assert after["user"] == before["user"] and after["password"] != before["password"]
    assert decrypt_file(file).tree["spec"]["data"]["password"] == "new-pass"
    assert not list(keyed.glob(".db.yaml.*"))


def test_edit_refuses_invalid_yaml(
    runner: CliRunner, keyed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = keyed / "db.yaml"
    _new(runner, file)
    assert runner.invoke(secret, ["set", str(file), "password"], input="p4ss").exit_code == 0
    original = file.read_text()
    _editor(monkeypatch, keyed, "text + 'broken: [\\n'")
    result = runner.invoke(secret, ["edit", str(file)])
    assert result.exit_code == 1
    assert str(file) in result.output and "invalid YAML" in result.output
    assert "p4ss" not in result.output
    assert file.read_text() == original


def test_edit_without_changes_leaves_file(
    runner: CliRunner, keyed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = keyed / "db.yaml"
    _new(runner, file)
    original = file.read_text()
    _editor(monkeypatch, keyed, "text")
    result = runner.invoke(secret, ["edit", str(file)])
    assert result.exit_code == 0 and "no changes" in result.output
    assert file.read_text() == original


def test_updatekeys_all_and_rotate(runner: CliRunner, keyed: Path, age_key: AgeKey) -> None:
    files = [keyed / "a.yaml", keyed / "team" / "b.yaml"]
    files[1].parent.mkdir()
    for file in files:
        _new(runner, file)
        assert runner.invoke(secret, ["set", str(file), "k"], input="v").exit_code == 0
    newcomer = new_key()
    (keyed / ".sops.yaml").write_text(
        "creation_rules:\n"
        f"  - age: {age_key.recipient},{newcomer.recipient}\n"
        "    encrypted_regex: ^(data|stringData)$\n"
    )
    result = runner.invoke(secret, ["updatekeys", "--all"])
    assert result.exit_code == 0, result.output
    assert result.output.count("updated") == 2
    for file in files:
        assert decrypt_file(file, [newcomer.identity]).tree["spec"]["data"] == {"k": "v"}
    again = runner.invoke(secret, ["updatekeys", str(files[0])])
    assert again.exit_code == 0 and "up to date" in again.output
    before = files[0].read_text()
    assert runner.invoke(secret, ["rotate", str(files[0])]).exit_code == 0
    assert files[0].read_text() != before
    assert decrypt_file(files[0], [newcomer.identity]).tree["spec"]["data"] == {"k": "v"}


def test_wrong_key_exits_1_naming_file(runner: CliRunner, keyed: Path) -> None:
    file = keyed / "a.yaml"
    _new(runner, file)
    install_default_key(new_key())  # replaces the right key
    result = runner.invoke(secret, ["decrypt", str(file)])
    assert result.exit_code == 1 and str(file) in result.output


def test_written_files_keep_permissions(runner: CliRunner, keyed: Path) -> None:
    file = keyed / "a.yaml"
    _new(runner, file)
    file.chmod(0o640)
    assert runner.invoke(secret, ["set", str(file), "k"], input="v").exit_code == 0
    assert stat.S_IMODE(file.stat().st_mode) == 0o640
