"""Sealkeep and the real sops tool (3.11) read and edit each other's files, both ways.

Every file here is made at test time with a fresh age key: sops encrypts, Sealkeep
decrypts and edits, sops decrypts the edit; Sealkeep encrypts, sops decrypts and edits
(`sops set` / `sops unset`), Sealkeep decrypts. YAML and JSON; nested maps, lists, numbers,
booleans, multi-line strings, comments, selection rules; a broken MAC is refused by both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml.comments import CommentedMap

from reconciler.gitops.sops import (
    CreationRule,
    MacMismatchError,
    SelectionRule,
    decrypt_file,
    decrypt_roundtrip,
    encrypt_tree,
    find_cleartext_values,
    rotate,
    updatekeys,
    yamlio,
)
from reconciler.gitops.sops.manifest import decrypted_text, new_secret, set_value
from tests.gitops.sops.conftest import AgeKey
from tests.support.sopstool import Sops, SopsFailed, sops_binary

PLAIN_YAML = """\
# who owns this file
name: payments
nested:
  db:
    password: hunter2 # rotated monthly
    port: 5432
    ratio: 0.25
    enabled: true
    replicas: [db-1, db-2]
list:
  - first
  - second: 2
    third: false
certificate: |
  -----BEGIN CERTIFICATE-----
  MIIB
  -----END CERTIFICATE-----
owner_unencrypted: team-payments
"""

TREE: dict[str, Any] = {
    "name": "payments",
    "nested": {
        "db": {
            "password": "hunter2",
            "port": 5432,
            "ratio": 0.25,
            "enabled": True,
            "replicas": ["db-1", "db-2"],
        }
    },
    "list": ["first", {"second": 2, "third": False}],
    "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "owner_unencrypted": "team-payments",
}

K8S_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: payments-db
stringData:
  password: hunter2
  port: "5432"
"""

FORMATS = ["yaml", "json"]
SOPS_MAC_MISMATCH = 51  # sops' exit code for a MAC that does not verify (or decrypt)


@pytest.fixture
def sops(age_key: AgeKey) -> Sops:
    """The real sops, holding `age_key`'s identity."""
    return Sops(sops_binary(), age_key.identity)


def _plain(folder: Path, fmt: str) -> Path:
    path = folder / f"plain.{fmt}"
    text = PLAIN_YAML if fmt == "yaml" else json.dumps(TREE, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def _sops_encrypted(sops: Sops, folder: Path, fmt: str, key: AgeKey, *flags: str) -> Path:
    enc = folder / f"by-sops.{fmt}"
    enc.write_text(sops.encrypt(_plain(folder, fmt), "--age", key.recipient, *flags), "utf-8")
    return enc


def _enc_of(text: str, key: str) -> str:
    """The ENC[...] string of a key in YAML (`key: ENC[..]`) or JSON (`"key": "ENC[..]"`)."""
    match = re.search(rf'"?{key}"?: "?(ENC\[[^\]]+\])', text)
    assert match is not None, f"{key} is not encrypted in the file"
    return match[1]


def _edit(path: Path, key: AgeKey, change: Any) -> None:
    """Decrypt with Sealkeep, apply `change` to the round-trip tree, re-encrypt in place."""
    tree, doc = decrypt_roundtrip(path.read_text("utf-8"), str(path), [key.identity])
    change(tree)
    path.write_text(encrypt_tree(tree, doc.metadata.recipients, None, previous=doc), "utf-8")


def _rotate_password(tree: Any) -> None:
    tree["nested"]["db"]["password"] = "rotated-by-sealkeep"
    tree["nested"]["db"]["replicas"].append("db-3")
    tree["added"] = {"count": 3, "flag": True}


def _edited_tree() -> dict[str, Any]:
    want = json.loads(json.dumps(TREE))
    want["nested"]["db"]["password"] = "rotated-by-sealkeep"
    want["nested"]["db"]["replicas"].append("db-3")
    want["added"] = {"count": 3, "flag": True}
    return want


@pytest.mark.parametrize("fmt", FORMATS)
def test_sops_encrypts_sealkeep_decrypts(
    sandbox: Path, sops: Sops, age_key: AgeKey, fmt: str
) -> None:
    enc = _sops_encrypted(sops, sandbox, fmt, age_key)
    doc = decrypt_file(enc, [age_key.identity])
    assert doc.tree == TREE
    assert list(doc.tree) == list(TREE)  # file order
    if fmt == "yaml":  # sops 3.11 writes every JSON number as type:float
        assert type(doc.tree["nested"]["db"]["port"]) is int
    assert type(doc.tree["nested"]["db"]["enabled"]) is bool
    assert doc.metadata.selection == SelectionRule("unencrypted_suffix", "_unencrypted")
    assert "team-payments" in enc.read_text("utf-8")  # left in clear by the suffix
    assert "hunter2" not in enc.read_text("utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_sealkeep_edits_a_sops_file_and_sops_reads_the_edit(
    sandbox: Path, sops: Sops, age_key: AgeKey, fmt: str
) -> None:
    enc = _sops_encrypted(sops, sandbox, fmt, age_key)
    before = enc.read_text("utf-8")
    _edit(enc, age_key, _rotate_password)
    after = enc.read_text("utf-8")
    assert sops.decrypt_json(enc) == _edited_tree()  # sops verifies the MAC, or fails
    assert _enc_of(after, "ratio") == _enc_of(before, "ratio")  # unchanged values keep theirs
    assert _enc_of(after, "password") != _enc_of(before, "password")
    if fmt == "json":
        json.loads(after)  # still JSON, as sops wrote it


@pytest.mark.parametrize("fmt", FORMATS)
def test_sealkeep_encrypts_sops_decrypts_and_edits_sealkeep_reads(
    sandbox: Path, sops: Sops, age_key: AgeKey, fmt: str
) -> None:
    path = sandbox / f"by-sealkeep.{fmt}"
    text = encrypt_tree(TREE, [age_key.recipient], None, as_json=fmt == "json")
    path.write_text(text, "utf-8")
    assert sops.decrypt_json(path) == TREE

    sops.set(path, '["nested"]["db"]["password"]', "rotated-by-sops")
    sops.set(path, '["list"][1]["second"]', 20)
    sops.set(path, '["added"]', {"ratio": 1.5, "on": True, "lines": "a\nb\n"})
    sops.unset(path, '["certificate"]')
    want = json.loads(json.dumps(TREE))
    want["nested"]["db"]["password"] = "rotated-by-sops"
    want["list"][1]["second"] = 20
    want["added"] = {"ratio": 1.5, "on": True, "lines": "a\nb\n"}
    del want["certificate"]
    doc = decrypt_file(path, [age_key.identity])
    assert doc.tree == want
    assert find_cleartext_values(_raw(path), doc.metadata) == []  # sops encrypted its values


def _raw(path: Path) -> dict[str, Any]:
    text = path.read_text("utf-8")
    raw = json.loads(text) if path.suffix == ".json" else yamlio.load_fast(text, str(path))
    raw.pop("sops")
    return dict(raw)


def test_encrypted_regex_both_ways(sandbox: Path, sops: Sops, age_key: AgeKey) -> None:
    plain = sandbox / "secret.yaml"
    plain.write_text(K8S_SECRET, "utf-8")
    enc = sandbox / "by-sops.yaml"
    regex = "^(data|stringData)$"
    enc.write_text(
        sops.encrypt(plain, "--age", age_key.recipient, "--encrypted-regex", regex), "utf-8"
    )
    doc = decrypt_file(enc, [age_key.identity])
    assert doc.metadata.selection == SelectionRule("encrypted_regex", regex)
    assert doc.tree["stringData"] == {"password": "hunter2", "port": "5432"}
    assert "name: payments-db" in enc.read_text("utf-8")

    def add_key(tree: Any) -> None:
        tree["stringData"]["user"] = "payments"
        tree["metadata"]["labels"] = {"team": "payments"}

    _edit(enc, age_key, add_key)
    text = enc.read_text("utf-8")
    assert "team: payments" in text and "user: payments" not in text  # rule kept
    assert sops.decrypt_json(enc)["stringData"]["user"] == "payments"

    # Sealkeep writes with the rule; sops adds a key under it and encrypts it by the rule.
    mine = sandbox / "by-sealkeep.yaml"
    tree = yamlio.load_roundtrip(K8S_SECRET, "secret.yaml")
    rule = CreationRule(age=(age_key.recipient,), selection=SelectionRule("encrypted_regex", regex))
    mine.write_text(encrypt_tree(tree, [age_key.recipient], rule), "utf-8")
    sops.set(mine, '["stringData"]["token"]', "from-sops")
    sops.set(mine, '["metadata"]["namespace"]', "payments")
    text = mine.read_text("utf-8")
    assert "namespace: payments" in text and "from-sops" not in text
    assert decrypt_file(mine, [age_key.identity]).tree["stringData"]["token"] == "from-sops"


def test_unencrypted_suffix_both_ways(sandbox: Path, sops: Sops, age_key: AgeKey) -> None:
    plain = sandbox / "app.yaml"
    plain.write_text("db:\n  host_clear: db.internal\n  password: hunter2\n", "utf-8")
    enc = sandbox / "by-sops.yaml"
    flags = ("--age", age_key.recipient, "--unencrypted-suffix", "_clear")
    enc.write_text(sops.encrypt(plain, *flags), "utf-8")
    doc = decrypt_file(enc, [age_key.identity])
    assert doc.metadata.selection == SelectionRule("unencrypted_suffix", "_clear")
    assert doc.tree == {"db": {"host_clear": "db.internal", "password": "hunter2"}}

    def move_host(tree: Any) -> None:
        tree["db"]["host_clear"] = "db2.internal"
        tree["db"]["port_clear"] = 5433

    _edit(enc, age_key, move_host)
    text = enc.read_text("utf-8")
    assert "host_clear: db2.internal" in text and "port_clear: 5433" in text
    assert sops.decrypt_json(enc)["db"] == {
        "host_clear": "db2.internal",
        "password": "hunter2",
        "port_clear": 5433,
    }


def test_comments_both_ways(sandbox: Path, sops: Sops, age_key: AgeKey) -> None:
    enc = _sops_encrypted(sops, sandbox, "yaml", age_key)
    assert "who owns this file" not in enc.read_text("utf-8")  # sops encrypts comments
    shown = decrypted_text(enc, [age_key.identity])
    assert "# who owns this file" in shown and "rotated monthly" in shown

    mine = sandbox / "by-sealkeep.yaml"
    tree = yamlio.load_roundtrip(PLAIN_YAML, "plain.yaml")
    assert isinstance(tree, CommentedMap)
    mine.write_text(encrypt_tree(tree, [age_key.recipient], None), "utf-8")
    text = mine.read_text("utf-8")
    assert "#ENC[AES256_GCM," in text and "who owns this file" not in text
    assert "# who owns this file" in sops.decrypt_text(mine)


def _tamper_clear_value(path: Path) -> None:
    text = path.read_text("utf-8")
    assert "team-payments" in text
    path.write_text(text.replace("team-payments", "team-intruder"), "utf-8")


def _tamper_lastmodified(path: Path) -> None:
    text = path.read_text("utf-8")
    stamp = re.search(r'"?lastmodified"?: "(\d{4})-', text)
    assert stamp is not None
    year = str(int(stamp[1]) - 1)
    path.write_text(text.replace(f'"{stamp[1]}-', f'"{year}-', 1), "utf-8")


@pytest.mark.parametrize("tamper", [_tamper_clear_value, _tamper_lastmodified])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_broken_mac_is_refused_by_both(
    sandbox: Path, sops: Sops, age_key: AgeKey, fmt: str, tamper: Any
) -> None:
    by_sops = _sops_encrypted(sops, sandbox, fmt, age_key)
    by_sealkeep = sandbox / f"by-sealkeep.{fmt}"
    text = encrypt_tree(TREE, [age_key.recipient], None, as_json=fmt == "json")
    by_sealkeep.write_text(text, "utf-8")
    for path in (by_sops, by_sealkeep):
        tamper(path)
        with pytest.raises(MacMismatchError) as caught:
            decrypt_file(path, [age_key.identity])
        assert str(path) in str(caught.value) and "hunter2" not in str(caught.value)
        with pytest.raises(SopsFailed) as refused:
            sops.decrypt_json(path)
        assert refused.value.code == SOPS_MAC_MISMATCH and "MAC" in refused.value.stderr


def test_a_missing_sops_fails_when_services_are_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))  # no sops beside it
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("SEALKEEP_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="sops-binary"):
        sops_binary()
    monkeypatch.delenv("SEALKEEP_REQUIRE_SERVICES")
    with pytest.raises(pytest.skip.Exception, match="sops-binary"):
        sops_binary()


SECRET_MANIFEST = """\
apiVersion: sealkeep.io/v1
kind: Secret
metadata:
  name: payments-db
spec:
  mount: secret
  path: payments/db
  data:
    password: hunter2
"""


def test_both_tools_follow_one_sops_yaml(sandbox: Path, sops: Sops, age_key: AgeKey) -> None:
    (sandbox / ".sops.yaml").write_text(
        "creation_rules:\n"
        "  - path_regex: \\.sops\\.yaml$\n"
        "    encrypted_regex: ^data$\n"
        f"    age: {age_key.recipient}\n",
        "utf-8",
    )
    made_by_sops = sandbox / "teams" / "db.sops.yaml"
    made_by_sops.parent.mkdir()
    made_by_sops.write_text(SECRET_MANIFEST, "utf-8")
    made_by_sops.write_text(sops.run("encrypt", str(made_by_sops), cwd=sandbox), "utf-8")
    assert "path: payments/db" in made_by_sops.read_text("utf-8")  # the rule was applied

    set_value(made_by_sops, "user", "payments", [age_key.identity])  # `sealkeep secret set`
    assert sops.decrypt_json(made_by_sops)["spec"]["data"] == {
        "password": "hunter2",
        "user": "payments",
    }

    made_by_sealkeep = sandbox / "teams" / "api.sops.yaml"
    new_secret(made_by_sealkeep, "secret/payments/api", None, None, ())  # `sealkeep secret new`
    sops.set(made_by_sealkeep, '["spec"]["data"]["token"]', "from-sops")
    text = made_by_sealkeep.read_text("utf-8")
    assert "from-sops" not in text and "path: payments/api" in text
    doc = decrypt_file(made_by_sealkeep, [age_key.identity])
    assert doc.tree["spec"]["data"] == {"token": "from-sops"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_updatekeys_and_rotate_keep_a_file_sops_reads(
    sandbox: Path, sops: Sops, age_key: AgeKey, other_key: AgeKey, fmt: str
) -> None:
    enc = _sops_encrypted(sops, sandbox, fmt, age_key)
    rule = CreationRule(age=(age_key.recipient, other_key.recipient))
    assert updatekeys(enc, rule, [age_key.identity])
    assert Sops(sops.binary, other_key.identity).decrypt_json(enc) == TREE  # the new reader
    rotate(enc, [other_key.identity])
    assert sops.decrypt_json(enc) == TREE
    if fmt == "json":
        json.loads(enc.read_text("utf-8"))
