"""SK009-SK011: tokens, unseal keys and age private keys in the working tree and in history."""

from __future__ import annotations

import secrets
from pathlib import Path

import git
import pytest
from pyrage import x25519

from reconciler.gitops.gitsource import GitSourceError
from reconciler.gitops.lint import HistoryScope, lint_repo
from reconciler.gitops.lint.patterns import find_leaks
from tests.gitops.lint.conftest import only, write

# Built at run time so this file itself never holds anything a secret scanner would flag.
TOKEN = "hvs." + "A1b2C3d4" * 3
LEGACY_TOKEN = "s." + "Zy9Xw8Vu" * 3
UNSEAL_HEX = secrets.token_hex(33)


def _age_key() -> str:
    return str(x25519.Identity.generate())


def _leak_ids(text: str, path: str = "notes.txt") -> list[str]:
    return [leak.rule_id for leak in find_leaks(path, text)]


def test_store_tokens_are_found() -> None:
    assert _leak_ids(f"export VAULT_TOKEN={TOKEN}\n") == ["SK009"]
    assert _leak_ids(f'token: "{LEGACY_TOKEN}"\n') == ["SK009"]
    assert _leak_ids("import os.path\nthis.s.abcdefghijklmnopqrstuvwxyz\n") == []


def test_age_private_keys_are_found() -> None:
    assert _leak_ids(f"# created: today\n{_age_key()}\n") == ["SK011"]
    assert (
        _leak_ids("recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n")
        == []
    )


def test_hex_keys_count_only_in_key_like_contexts() -> None:
    assert _leak_ids(f"Unseal Key 1: {UNSEAL_HEX}\n") == ["SK010"]
    assert _leak_ids(f'{{"unseal_keys_hex": [\n  "{UNSEAL_HEX}"\n]}}\n') == ["SK010"]
    assert _leak_ids(f"{secrets.token_hex(32)}\n", path="unseal-shares.txt") == ["SK010"]
    assert _leak_ids(f"sha256: {secrets.token_hex(32)}\n", path="lock.txt") == []


def test_messages_never_hold_the_secret() -> None:
    leak = find_leaks("x", f"token={TOKEN}")[0]
    assert TOKEN not in repr(leak)


def test_working_tree_files_are_scanned_with_locations(clean: Path) -> None:
    write(clean, "scripts/bootstrap.sh", f"#!/bin/sh\nexport VAULT_TOKEN={TOKEN}\n")
    write(clean, ".env", f"SOPS_AGE_KEY={_age_key()}\n")
    report = lint_repo(clean)
    found = {(f.rule_id, f.path, f.line, f.column) for f in report.findings}
    assert found == {("SK009", "scripts/bootstrap.sh", 2, 20), ("SK011", ".env", 1, 14)}
    assert report.has_errors
    assert all(TOKEN not in str(f) for f in report.findings)


def _repo(root: Path) -> git.Repo:
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add(A=True)
    repo.index.commit("clean repo")
    return repo


def test_a_key_removed_in_a_later_commit_is_still_found_in_history(clean: Path) -> None:
    repo = _repo(clean)
    repo.git.switch("-c", "feature")
    write(clean, "keys.txt", f"# my key\n{_age_key()}\n")
    repo.git.add("keys.txt")
    repo.index.commit("oops")
    added = repo.head.commit.hexsha[:12]
    repo.index.remove(["keys.txt"], working_tree=True)
    repo.index.commit("remove the key")
    assert only(lint_repo(clean, history=HistoryScope(base="HEAD")), "SK011") == []
    [finding] = only(lint_repo(clean), "SK011")
    assert (finding.path, finding.line) == ("keys.txt", 2)
    assert finding.message == (
        f"an age private key is committed in commit {added} (still in history): "
        "revoke it, then remove it from the repo"
    )


def test_all_history_scans_the_default_branch_itself(clean: Path) -> None:
    repo = _repo(clean)
    write(clean, "boot.sh", f"VAULT_TOKEN={TOKEN}\n")
    repo.git.add("boot.sh")
    repo.index.commit("token")
    repo.index.remove(["boot.sh"], working_tree=True)
    repo.index.commit("gone")
    assert only(lint_repo(clean), "SK009") == []
    [finding] = only(lint_repo(clean, history=HistoryScope(all_history=True)), "SK009")
    assert finding.path == "boot.sh"


def test_a_key_still_present_is_reported_once(clean: Path) -> None:
    repo = _repo(clean)
    repo.git.switch("-c", "feature")
    write(clean, "boot.sh", f"VAULT_TOKEN={TOKEN}\n")
    repo.git.add("boot.sh")
    repo.index.commit("token")
    assert len(only(lint_repo(clean, history=HistoryScope(base="main")), "SK009")) == 1


def test_ignored_files_are_not_scanned(clean: Path) -> None:
    repo = _repo(clean)
    write(clean, ".gitignore", "*.local\n")
    write(clean, "token.local", f"{TOKEN}\n")
    repo.git.add(".gitignore")
    repo.index.commit("ignore")
    assert only(lint_repo(clean), "SK009") == []


def test_an_unknown_base_is_a_clear_error(clean: Path) -> None:
    _repo(clean)
    with pytest.raises(GitSourceError, match="cannot read the history from 'nope'"):
        lint_repo(clean, history=HistoryScope(base="nope"))


def test_a_key_can_be_allowed_in_one_file_by_config(clean: Path) -> None:
    write(clean, "demo-age-key.txt", f"# DEMO ONLY\n{_age_key()}\n")
    assert len(only(lint_repo(clean), "SK011")) == 1
    config = (clean / "sealkeep.yaml").read_text()
    write(clean, "sealkeep.yaml", config + "lint:\n  ignore:\n    SK011: [demo-age-key.txt]\n")
    assert only(lint_repo(clean), "SK011") == []
