"""`plan` decrypts every Secret it plans and names, at file:line, one encrypted to an age key
`.sops.yaml` does not list (or not to one it lists); a decrypt error names its file once."""

from __future__ import annotations

import pytest
import yaml

from reconciler.gitops.plan.build import LoadFailed
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import AgeKey


def _sops_yaml(reconcile: Reconcile, *recipients: str) -> None:
    rules = {"creation_rules": [{"path_regex": r"\.yaml$", "age": ",".join(recipients)}]}
    (reconcile.repo.root / ".sops.yaml").write_text(yaml.safe_dump(rules))


def test_a_secret_encrypted_to_an_unlisted_key_is_named_at_its_recipient_line(
    reconcile: Reconcile, unique: str
) -> None:
    stranger = AgeKey.generate()
    _sops_yaml(reconcile, reconcile.repo.key.recipient)
    assert reconcile.plan().has_changes  # listed recipients agree: the plan is made
    _sops_yaml(reconcile, stranger.recipient)
    with pytest.raises(LoadFailed) as caught:
        reconcile.plan()
    (problem,) = caught.value.diagnostics
    source = f"manifests/secrets/{unique}-api.yaml"
    text = (reconcile.repo.root / source).read_text().splitlines()
    assert problem.path == source and reconcile.repo.key.recipient in text[problem.line - 1]
    assert f"encrypted to {reconcile.repo.key.recipient}, which .sops.yaml does not list" in (
        problem.message
    )
    assert f"not encrypted to {stranger.recipient}" in problem.message
    assert f"sealkeep secret updatekeys {source}" in problem.message


def test_a_secret_this_identity_cannot_open_names_its_file_once(
    reconcile: Reconcile, unique: str
) -> None:
    reconcile.repo.key = AgeKey.generate()  # the plan now holds a key the file is not for
    with pytest.raises(LoadFailed) as caught:
        reconcile.plan()
    (problem,) = caught.value.diagnostics
    shown = str(problem)
    assert shown.startswith(f"manifests/secrets/{unique}-api.yaml:1:1: cannot decrypt: ")
    assert shown.count(f"{unique}-api.yaml") == 1
    assert "hunter2" not in shown
