"""`.sops.yaml` rules and age identity sources."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from reconciler.gitops.sops import SopsError, load_creation_rule
from reconciler.gitops.sops.config import find_creation_rule
from reconciler.gitops.sops.keysources.age import load_identities, parse_identities
from tests.gitops.sops.conftest import AgeKey, install_default_key, new_key

CONFIG = """creation_rules:
  - path_regex: prod/.*\\.yaml$
    age: >-
      {prod_a},
      {prod_b}
    encrypted_regex: ^(data|stringData)$
  - path_regex: dev/
    age:
      - {dev}
    mac_only_encrypted: true
  - age: {fallback}
"""


@pytest.fixture
def repo(sandbox: Path) -> tuple[Path, dict[str, AgeKey]]:
    keys = {name: new_key() for name in ("prod_a", "prod_b", "dev", "fallback")}
    text = CONFIG.format(**{k: v.recipient for k, v in keys.items()})
    (sandbox / ".sops.yaml").write_text(text, encoding="utf-8")
    (sandbox / "prod" / "team").mkdir(parents=True)
    (sandbox / "dev").mkdir()
    return sandbox, keys


def test_rule_selection_by_path_regex(repo: tuple[Path, dict[str, AgeKey]]) -> None:
    root, keys = repo
    prod = load_creation_rule(root / "prod" / "team" / "db.yaml")
    assert prod.age == (keys["prod_a"].recipient, keys["prod_b"].recipient)
    assert prod.selection is not None and prod.selection.pattern == "^(data|stringData)$"
    dev = load_creation_rule(root / "dev" / "x.yaml")
    assert dev.age == (keys["dev"].recipient,) and dev.mac_only_encrypted
    assert load_creation_rule(root / "other.yaml").age == (keys["fallback"].recipient,)


def test_no_config_and_no_match(sandbox: Path) -> None:
    assert find_creation_rule(sandbox / "x.yaml") is None
    with pytest.raises(SopsError, match=r"x\.yaml"):
        load_creation_rule(sandbox / "x.yaml")
    (sandbox / ".sops.yaml").write_text("creation_rules:\n  - path_regex: ^only/\n    age: a\n")
    with pytest.raises(SopsError, match="no creation rule"):
        load_creation_rule(sandbox / "x.yaml")


def test_identity_sources_are_combined(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [new_key() for _ in range(4)]
    monkeypatch.setenv("SOPS_AGE_KEY", f"# comment\n{keys[0].identity}")
    key_file = sandbox / "k.txt"
    key_file.write_text(f"# created\n{keys[1].identity}\n")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key_file))
    script = sandbox / "cmd.py"
    script.write_text(f"print({keys[2].identity!r})\n")
    monkeypatch.setenv("SOPS_AGE_KEY_CMD", f"{sys.executable} {script}")
    install_default_key(keys[3])
    assert load_identities() == [k.identity for k in keys]


def test_home_config_is_used_without_xdg(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    key = new_key()
    target = Path(os.environ["HOME"]) / ".config" / "sops" / "age" / "keys.txt"
    target.parent.mkdir(parents=True)
    target.write_text(key.identity + "\n")
    assert load_identities() == [key.identity]


def test_bad_identity_does_not_echo_it() -> None:
    bogus = "AGE-SECRET-KEY-1NOTAREALKEY"
    with pytest.raises(SopsError) as caught:
        parse_identities([bogus])
    assert bogus not in str(caught.value)
