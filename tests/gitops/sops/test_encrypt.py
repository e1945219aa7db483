"""Writing SOPS files: ciphertext reuse, selection rules, comments, updatekeys and rotate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.gitops.sops import (
    CreationRule,
    NoIdentityError,
    SelectionRule,
    SopsError,
    decrypt_file,
    decrypt_roundtrip,
    decrypt_text,
    encrypt_tree,
    find_cleartext_values,
    is_encrypted_value,
    rotate,
    updatekeys,
    yamlio,
)
from tests.gitops.sops.conftest import AgeKey

SECRET = {
    "apiVersion": "sealkeep.io/v1",
    "kind": "Secret",
    "metadata": {"name": "db"},
    "spec": {"mount": "kv", "path": "app/db", "data": {"user": "app", "password": "s3cret"}},
}
DATA_RULE = SelectionRule("encrypted_regex", "^data$")


def _enc_lines(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*([\w-]+): (ENC\[[^\]]+\])$", text, re.MULTILINE))


def test_unchanged_values_keep_their_ciphertext(age_key: AgeKey) -> None:
    rule = CreationRule(age=(age_key.recipient,), selection=DATA_RULE)
    text = encrypt_tree(SECRET, [age_key.recipient], rule)
    doc = decrypt_text(text, "s.yaml", [age_key.identity])
    doc.tree["spec"]["data"]["password"] = "rotated"
    edited = encrypt_tree(doc.tree, [age_key.recipient], None, previous=doc, previous_text=text)
    before, after = _enc_lines(text), _enc_lines(edited)
    assert before["user"] == after["user"]
    assert before["password"] != after["password"]
    assert decrypt_text(edited, "s.yaml", [age_key.identity]).tree["spec"]["data"]["password"] == (
        "rotated"
    )


def test_encrypted_regex_leaves_manifest_fields_clear(age_key: AgeKey) -> None:
    text = encrypt_tree(SECRET, [age_key.recipient], CreationRule(age=(), selection=DATA_RULE))
    raw = yamlio.load_fast(text, "s.yaml")
    assert raw["metadata"] == {"name": "db"}
    assert raw["spec"]["path"] == "app/db"
    assert all(is_encrypted_value(v) for v in raw["spec"]["data"].values())
    assert raw["sops"]["encrypted_regex"] == "^data$"
    assert find_cleartext_values(raw, CreationRule(age=(), selection=DATA_RULE)) == []


@pytest.mark.parametrize(
    ("rule", "encrypted"),
    [
        (None, {"a", "c_secret", "n.x"}),
        (SelectionRule("unencrypted_suffix", "_clear"), {"a", "b_unencrypted", "c_secret", "n.x"}),
        (SelectionRule("encrypted_suffix", "_secret"), {"c_secret"}),
        (SelectionRule("unencrypted_regex", "^(a|n)$"), {"b_unencrypted", "c_secret"}),
        (SelectionRule("encrypted_regex", "^n$"), {"n.x"}),
    ],
)
def test_selection_rules(age_key: AgeKey, rule: SelectionRule | None, encrypted: set[str]) -> None:
    tree = {"a": "1", "b_unencrypted": "2", "c_secret": "3", "n": {"x": "4"}}
    creation = CreationRule(age=(), selection=rule) if rule else None
    text = encrypt_tree(tree, [age_key.recipient], creation)
    raw = yamlio.load_fast(text, "t.yaml")
    raw.pop("sops")
    clear = set(find_cleartext_values(raw, None if rule is None else rule))
    assert clear == set()
    found = {p for p in ("a", "b_unencrypted", "c_secret") if is_encrypted_value(raw[p])}
    found |= {"n.x"} if is_encrypted_value(raw["n"]["x"]) else set()
    assert found == encrypted
    assert decrypt_text(text, "t.yaml", [age_key.identity]).tree == tree


@pytest.mark.parametrize("kind", ["unencrypted_comment_regex", "encrypted_comment_regex"])
def test_comment_selection_rules(age_key: AgeKey, kind: str) -> None:
    source = "plain: a\n# sops:clear\nmarked: b\nnested:\n  # sops:clear\n  deep: c\n"
    tree = yamlio.load_roundtrip(source, "c.yaml")
    rule = SelectionRule(kind, "sops:clear")  # type: ignore[arg-type]
    text = encrypt_tree(tree, [age_key.recipient], CreationRule(age=(), selection=rule))
    raw = yamlio.load_fast(text, "c.yaml")
    marked_clear = kind == "unencrypted_comment_regex"
    assert (raw["marked"] == "b") is marked_clear
    assert (raw["nested"]["deep"] == "c") is marked_clear
    assert is_encrypted_value(raw["plain"]) is marked_clear
    assert "# sops:clear" in text
    assert decrypt_text(text, "c.yaml", [age_key.identity]).tree == {
        "plain": "a",
        "marked": "b",
        "nested": {"deep": "c"},
    }


def test_comments_are_encrypted_and_kept(age_key: AgeKey) -> None:
    source = "# owner: team-db\nkey: value # why\nnested:\n  # inner note\n  x: 1\n"
    text = encrypt_tree(yamlio.load_roundtrip(source, "c.yaml"), [age_key.recipient], None)
    assert "team-db" not in text and "inner note" not in text
    assert re.search(r"^#ENC\[.*type:comment\]$", text, re.MULTILINE)
    tree, doc = decrypt_roundtrip(text, "c.yaml", [age_key.identity])
    shown = yamlio.dump_roundtrip(tree)
    assert "# owner: team-db" in shown and "  # inner note" in shown and "# why" in shown
    assert doc.tree == {"key": "value", "nested": {"x": 1}}


def test_mac_only_encrypted(age_key: AgeKey) -> None:
    rule = CreationRule(age=(), selection=DATA_RULE, mac_only_encrypted=True)
    text = encrypt_tree(SECRET, [age_key.recipient], rule)
    assert "mac_only_encrypted: true" in text
    renamed = text.replace("name: db", "name: other")
    assert decrypt_text(renamed, "s.yaml", [age_key.identity]).tree["metadata"]["name"] == "other"


def test_top_level_sops_key_is_refused(age_key: AgeKey) -> None:
    with pytest.raises(SopsError, match="sops"):
        encrypt_tree({"sops": {"x": 1}}, [age_key.recipient], None)


def test_unsupported_value_type_names_the_path(age_key: AgeKey) -> None:
    with pytest.raises(SopsError, match=r"spec\.when"):
        encrypt_tree({"spec": {"when": b"raw"}}, [age_key.recipient], None)


def _write_secret(tmp_path: Path, key: AgeKey) -> Path:
    path = tmp_path / "db.yaml"
    path.write_text(
        encrypt_tree(SECRET, [key.recipient], CreationRule(age=(), selection=DATA_RULE))
    )
    return path


def test_updatekeys_adds_a_recipient(tmp_path: Path, age_key: AgeKey, other_key: AgeKey) -> None:
    path = _write_secret(tmp_path, age_key)
    before = path.read_text()
    with pytest.raises(NoIdentityError):
        decrypt_file(path, [other_key.identity])
    rule = CreationRule(age=(age_key.recipient, other_key.recipient))
    assert updatekeys(path, rule, [age_key.identity]) is True
    after = path.read_text()
    assert _enc_lines(after) == _enc_lines(before)
    assert decrypt_file(path, [other_key.identity]).tree == SECRET
    assert updatekeys(path, rule, [age_key.identity]) is False
    assert path.read_text() == after


def test_rotate_changes_data_key_and_every_ciphertext(tmp_path: Path, age_key: AgeKey) -> None:
    path = _write_secret(tmp_path, age_key)
    before = decrypt_file(path, [age_key.identity])
    old_values = _enc_lines(path.read_text())
    rotate(path, [age_key.identity])
    after = decrypt_file(path, [age_key.identity])
    assert after.tree == before.tree
    assert after.data_key != before.data_key
    new_values = _enc_lines(path.read_text())
    assert all(old_values[k] != new_values[k] for k in ("user", "password"))


def test_next_line_character_survives_encryption(age_key: AgeKey) -> None:
    tree = {"a": "\x85", "b": "ok\x85ok", "clear_unencrypted": "x\x85"}
    text = encrypt_tree(tree, [age_key.recipient], None)
    assert decrypt_text(text, "nel.yaml", [age_key.identity]).tree == tree
    assert 'clear_unencrypted: "x\\N"' in text
