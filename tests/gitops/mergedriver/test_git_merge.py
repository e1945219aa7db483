"""The driver inside a real `git merge`: two branches edit one encrypted manifest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import git
import pytest
from click.testing import CliRunner
from pyrage import x25519

from reconciler.cli.mergedriver import merge_driver
from reconciler.gitops.mergedriver import install
from reconciler.gitops.sops import CreationRule, decrypt_file, encrypt_tree
from reconciler.gitops.sops.config import SECRET_DEFAULT_SELECTION
from reconciler.gitops.sops.manifest import set_value

SECRET = "teams/payments/api.sops.yaml"


def _tree(data: dict[str, str]) -> dict[str, object]:
    return {
        "apiVersion": "sealkeep.io/v1",
        "kind": "Secret",
        "metadata": {"name": "payments-api"},
        "spec": {"mount": "secret", "path": "payments/api", "data": data},
    }


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> str:
    """A real age identity, exported as SOPS_AGE_KEY for this process and git's children."""
    key = x25519.Identity.generate()
    monkeypatch.setenv("SOPS_AGE_KEY", str(key))
    return str(key)


@pytest.fixture
def repo(tmp_path: Path, identity: str) -> git.Repo:
    """A repo on main with one encrypted Secret and the driver installed."""
    top = tmp_path / "repo"
    created = git.Repo.init(top, initial_branch="main")
    recipient = str(x25519.Identity.from_str(identity).to_public())
    rule = CreationRule(age=(recipient,), selection=SECRET_DEFAULT_SELECTION)
    file = top / SECRET
    file.parent.mkdir(parents=True)
    data = {"stripe_key": "sk-base", "webhook_secret": "wh-base", "region": "eu"}
    file.write_text(encrypt_tree(_tree(data), [recipient], rule), encoding="utf-8")
    command = f"{sys.executable} -m reconciler.cli.mergedriver %O %A %B %P"
    result = install(top, command=command)
    assert result.added == ("*.sops.yaml merge=sealkeep",)
    created.git.add(A=True)
    created.index.commit("payments secret")
    return created


def _branch_edit(repo: git.Repo, branch: str, key: str, value: str) -> None:
    repo.git.switch("-c", branch, "main")
    set_value(Path(str(repo.working_tree_dir)) / SECRET, key, value)
    repo.git.commit("-am", f"{branch}: {key}")


def test_install_is_idempotent_and_writes_the_git_config(repo: git.Repo) -> None:
    top = Path(str(repo.working_tree_dir))
    assert install(top, command="x").added == ()
    reader = repo.config_reader(config_level="repository")
    assert reader.get_value('merge "sealkeep"', "driver") == "x"
    assert (top / ".gitattributes").read_text() == "*.sops.yaml merge=sealkeep\n"


def test_edits_to_different_values_merge_and_decrypt(repo: git.Repo) -> None:
    top = Path(str(repo.working_tree_dir))
    _branch_edit(repo, "rotate-stripe", "stripe_key", "sk-new")
    _branch_edit(repo, "rotate-webhook", "webhook_secret", "wh-new")
    repo.git.switch("rotate-stripe")
    repo.git.merge("rotate-webhook", "--no-edit")
    doc = decrypt_file(top / SECRET)
    assert doc.tree["spec"]["data"] == {
        "stripe_key": "sk-new",
        "webhook_secret": "wh-new",
        "region": "eu",
    }
    assert not repo.is_dirty()


def test_unchanged_values_keep_their_ciphertext(repo: git.Repo) -> None:
    top = Path(str(repo.working_tree_dir))
    region_line = next(ln for ln in (top / SECRET).read_text().splitlines() if "region:" in ln)
    _branch_edit(repo, "a", "stripe_key", "sk-a")
    _branch_edit(repo, "b", "webhook_secret", "wh-b")
    theirs_line = next(
        ln for ln in (top / SECRET).read_text().splitlines() if "webhook_secret:" in ln
    )
    repo.git.switch("a")
    repo.git.merge("b", "--no-edit")
    merged = (top / SECRET).read_text()
    assert region_line in merged
    assert theirs_line in merged


def test_the_same_value_changed_on_both_sides_fails_clearly(repo: git.Repo) -> None:
    top = Path(str(repo.working_tree_dir))
    _branch_edit(repo, "a", "stripe_key", "sk-a")
    ours = (top / SECRET).read_text()
    _branch_edit(repo, "b", "stripe_key", "sk-b")
    repo.git.switch("a")
    done = subprocess.run(
        ["git", "merge", "b", "--no-edit"], cwd=top, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert f"{SECRET}: both sides changed spec.data.stripe_key differently" in done.stderr
    assert "sk-a" not in done.stderr + done.stdout
    assert "sk-b" not in done.stderr + done.stdout
    assert (top / SECRET).read_text() == ours


def test_without_an_identity_the_driver_fails_and_leaves_ours(
    repo: git.Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = Path(str(repo.working_tree_dir))
    _branch_edit(repo, "a", "stripe_key", "sk-a")
    ours = (top / SECRET).read_text()
    _branch_edit(repo, "b", "region", "us")
    repo.git.switch("a")
    monkeypatch.delenv("SOPS_AGE_KEY")
    done = subprocess.run(
        ["git", "merge", "b", "--no-edit"], cwd=top, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "no age identity configured" in done.stderr
    assert (top / SECRET).read_text() == ours


def test_plain_files_fall_back_to_a_text_merge(tmp_path: Path) -> None:
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    base.write_text("a\nb\nc\n")
    ours.write_text("A\nb\nc\n")
    theirs.write_text("a\nb\nC\n")
    result = CliRunner().invoke(merge_driver, [str(base), str(ours), str(theirs), "notes.yaml"])
    assert result.exit_code == 0
    assert ours.read_text() == "A\nb\nC\n"
    assert "notes.yaml: not a SOPS file; merged as text" in result.output


def test_install_outside_a_repository_is_a_user_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(merge_driver, ["install", str(tmp_path)])
    assert result.exit_code == 1
    assert "not inside a Git repository" in result.output
