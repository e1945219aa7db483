"""Files the real sops tool wrote (committed in vectors/, made by make_vectors.py) decrypt
with their key, MAC verified; any tampering is refused with an error naming the file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.gitops.sops import (
    CleartextValueError,
    MacMismatchError,
    NoIdentityError,
    SelectionRule,
    SopsError,
    decrypt_file,
    decrypt_text,
)
from tests.gitops.sops.conftest import AgeKey, vectors_dir

NAMES = ["app.yaml", "legacy-3.7.yaml", "k8s-secret.yaml", "values.json"]


def vector_key() -> str:
    """The test-only identity every vector is encrypted for."""
    return (vectors_dir() / "age-key.txt").read_text(encoding="utf-8")


def expected(name: str) -> Any:
    """The plaintext tree the vector was made from."""
    return json.loads((vectors_dir() / "expected.json").read_text(encoding="utf-8"))[name]


def _app() -> tuple[Path, str]:
    path = vectors_dir() / "app.yaml"
    return path, path.read_text(encoding="utf-8")


def _enc_of(text: str, key: str) -> str:
    match = re.search(rf"^\s*{key}: (ENC\[[^\]]+\])$", text, re.MULTILINE)
    assert match is not None
    return match[1]


def _flip_data(enc: str) -> str:
    """The same ENC value with the first character of its ciphertext changed."""
    head = enc.index("data:") + len("data:")
    return enc[:head] + ("A" if enc[head] != "A" else "B") + enc[head + 1 :]


@pytest.mark.parametrize("name", NAMES)
def test_vector_decrypts(name: str) -> None:
    doc = decrypt_file(vectors_dir() / name, [vector_key()])
    assert doc.tree == expected(name)
    assert list(doc.tree) == list(expected(name))


def test_ints_floats_bools_and_multiline_keep_their_types() -> None:
    db = decrypt_file(vectors_dir() / "app.yaml", [vector_key()]).tree["nested"]["db"]
    assert [type(db[k]) for k in ("port", "ratio", "enabled")] == [int, float, bool]
    cert = decrypt_file(vectors_dir() / "app.yaml", [vector_key()]).tree["certificate"]
    assert cert.startswith("-----BEGIN CERTIFICATE-----\n") and cert.endswith("-----\n")
    service = decrypt_file(vectors_dir() / "values.json", [vector_key()]).tree["service"]
    assert service["port"] == 92  # sops 3.11 writes JSON numbers as type:float


def test_old_metadata_style_and_selection_rules_are_read() -> None:
    old = decrypt_file(vectors_dir() / "legacy-3.7.yaml", [vector_key()])
    assert old.metadata.version == "3.7.1"
    assert old.metadata.selection == SelectionRule("unencrypted_suffix", "_unencrypted")
    assert "kms" not in old.metadata.other_sources  # empty lists carry nothing
    new = decrypt_file(vectors_dir() / "k8s-secret.yaml", [vector_key()])
    assert new.metadata.version == "3.11.0"
    assert new.metadata.selection == SelectionRule("encrypted_regex", "^(data|stringData)$")


def test_repr_hides_data_key_and_values() -> None:
    doc = decrypt_file(vectors_dir() / "app.yaml", [vector_key()])
    shown = repr(doc)
    assert "vector-password" not in shown
    assert "data_key" not in shown
    assert len(doc.data_key) == 32


def test_wrong_key_names_the_file(other_key: AgeKey) -> None:
    path, text = _app()
    with pytest.raises(NoIdentityError) as caught:
        decrypt_text(text, str(path), [other_key.identity])
    assert str(path) in str(caught.value)
    assert other_key.identity not in str(caught.value)


def test_tampered_ciphertext_names_file_and_key() -> None:
    path, text = _app()
    enc = _enc_of(text, "name")
    with pytest.raises(SopsError) as caught:
        decrypt_text(text.replace(enc, _flip_data(enc)), str(path), [vector_key()])
    message = str(caught.value)
    assert str(path) in message and "name" in message
    assert "vector-password" not in message


def test_swapped_values_fail_their_aad() -> None:
    path, text = _app()
    first, nested = _enc_of(text, "name"), _enc_of(text, "password")
    swapped = text.replace(first, "@@").replace(nested, first).replace("@@", nested)
    with pytest.raises(SopsError) as caught:
        decrypt_text(swapped, str(path), [vector_key()])
    assert "name" in str(caught.value)
    assert "vector-password" not in str(caught.value)


def test_tampered_mac_is_refused() -> None:
    path, text = _app()
    mac = re.search(r"mac: (ENC\[[^\]]+\])", text)
    assert mac is not None
    with pytest.raises(MacMismatchError) as caught:
        decrypt_text(text.replace(mac[1], _flip_data(mac[1])), str(path), [vector_key()])
    assert str(path) in str(caught.value)


def test_changed_lastmodified_breaks_the_mac() -> None:
    path, text = _app()
    stamp = re.search(r'lastmodified: "([^"]+)"', text)
    assert stamp is not None
    broken = text.replace(stamp[1], "2020-01-01T00:00:00Z")
    with pytest.raises(MacMismatchError):
        decrypt_text(broken, str(path), [vector_key()])


def test_removed_value_breaks_the_mac() -> None:
    path, text = _app()
    items = re.search(r"(    - ENC\[[^\]]+\]\n)(    - ENC\[[^\]]+\]\n)", text)
    assert items is not None
    with pytest.raises(MacMismatchError):
        decrypt_text(text.replace(items[2], ""), str(path), [vector_key()])


def test_cleartext_value_is_an_error() -> None:
    path, text = _app()
    leaked = text.replace(_enc_of(text, "name"), "planted-cleartext")
    with pytest.raises(CleartextValueError) as caught:
        decrypt_text(leaked, str(path), [vector_key()])
    message = str(caught.value)
    assert str(path) in message and "name" in message
    assert "planted-cleartext" not in message


@pytest.mark.parametrize(
    ("name", "clear", "changed"),
    [
        ("k8s-secret.yaml", "name: payments-db", "name: renamed"),
        ("app.yaml", "owner_unencrypted: team-payments", "owner_unencrypted: team-other"),
    ],
)
def test_clear_values_are_covered_by_the_mac(name: str, clear: str, changed: str) -> None:
    path = vectors_dir() / name
    text = path.read_text(encoding="utf-8")
    assert clear in text
    with pytest.raises(MacMismatchError):
        decrypt_text(text.replace(clear, changed), str(path), [vector_key()])
