"""Files written by the real sops tool decrypt with their keys, MAC verified."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.gitops.sops import (
    CleartextValueError,
    MacMismatchError,
    NoIdentityError,
    SopsError,
    decrypt_file,
    decrypt_text,
)
from tests.gitops.sops.conftest import AgeKey, vectors_dir

HELM_KEY_START = "-----BEGIN PGP MESSAGE-----\n\n"

CASES = [
    (
        "sops-nix/secrets.yaml",
        "sops-nix/age-keys.txt",
        {
            "test_key": "test_value",
            "a_list": ["e1", "e3"],
            "nested": {"test": {"file": "another value"}},
        },
    ),
    (
        "kustomize-controller/age.yaml",
        "kustomize-controller/age.txt",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "age"},
            "stringData": {"key": "value"},
        },
    ),
    (
        "kustomize-controller/global-secret.yaml",
        "kustomize-controller/age-global.txt",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "global-age-secret", "namespace": "default"},
            "type": "Opaque",
            "stringData": {"key": "global-value"},
        },
    ),
]


def _key(relative: str) -> str:
    return (vectors_dir() / relative).read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "key", "expected"), CASES, ids=[c[0] for c in CASES])
def test_vector_decrypts(name: str, key: str, expected: dict[str, object]) -> None:
    doc = decrypt_file(vectors_dir() / name, [_key(key)])
    assert doc.tree == expected
    assert list(doc.tree) == list(expected)


def test_helm_secrets_int_and_multiline() -> None:
    doc = decrypt_file(
        vectors_dir() / "helm-secrets/secrets.age.yaml", [_key("helm-secrets/key.txt")]
    )
    assert doc.tree["service"] == {"port": 92}
    assert type(doc.tree["service"]["port"]) is int
    assert doc.tree["global_secret"] == "global_age"
    assert doc.tree["key"].startswith(HELM_KEY_START)
    assert doc.tree["key"].rstrip().endswith("-----END PGP MESSAGE-----")


def test_old_metadata_style_and_selection_rules_are_read() -> None:
    old = decrypt_file(vectors_dir() / "sops-nix/secrets.yaml", [_key("sops-nix/age-keys.txt")])
    assert old.metadata.version == "3.7.1"
    assert old.metadata.selection is not None
    assert old.metadata.selection.kind == "unencrypted_suffix"
    assert "pgp" in old.metadata.other_sources
    assert "kms" not in old.metadata.other_sources  # empty lists carry nothing
    new = decrypt_file(
        vectors_dir() / "kustomize-controller/global-secret.yaml",
        [_key("kustomize-controller/age-global.txt")],
    )
    assert new.metadata.selection is not None
    assert (new.metadata.selection.kind, new.metadata.selection.pattern) == (
        "encrypted_regex",
        "^(data|stringData)$",
    )


def test_repr_hides_data_key_and_values() -> None:
    doc = decrypt_file(vectors_dir() / "sops-nix/secrets.yaml", [_key("sops-nix/age-keys.txt")])
    shown = repr(doc)
    assert "test_value" not in shown
    assert "data_key" not in shown
    assert len(doc.data_key) == 32


def _sops_nix() -> tuple[Path, str, str]:
    path = vectors_dir() / "sops-nix/secrets.yaml"
    return path, path.read_text(encoding="utf-8"), _key("sops-nix/age-keys.txt")


def _enc_of(text: str, key: str) -> str:
    match = re.search(rf"^{key}: (ENC\[[^\]]+\])$", text, re.MULTILINE)
    assert match is not None
    return match[1]


def test_wrong_key_names_the_file(other_key: AgeKey) -> None:
    path, text, _ = _sops_nix()
    with pytest.raises(NoIdentityError) as caught:
        decrypt_text(text, str(path), [other_key.identity])
    assert str(path) in str(caught.value)
    assert other_key.identity not in str(caught.value)


def test_tampered_ciphertext_names_file_and_key() -> None:
    path, text, key = _sops_nix()
    enc = _enc_of(text, "test_key")
    flipped = enc.replace("data:2mP+", "data:3mP+")
    with pytest.raises(SopsError) as caught:
        decrypt_text(text.replace(enc, flipped), str(path), [key])
    message = str(caught.value)
    assert str(path) in message and "test_key" in message
    assert "test_value" not in message


def test_swapped_values_fail_their_aad() -> None:
    path, text, key = _sops_nix()
    first = _enc_of(text, "test_key")
    nested = re.search(r"file: (ENC\[[^\]]+\])", text)
    assert nested is not None
    swapped = text.replace(first, "@@").replace(nested[1], first).replace("@@", nested[1])
    with pytest.raises(SopsError) as caught:
        decrypt_text(swapped, str(path), [key])
    assert "test_key" in str(caught.value)
    assert "another value" not in str(caught.value)


def test_tampered_mac_is_refused() -> None:
    path, text, key = _sops_nix()
    broken = text.replace("mac: ENC[AES256_GCM,data:WQjp", "mac: ENC[AES256_GCM,data:XQjp")
    with pytest.raises(MacMismatchError) as caught:
        decrypt_text(broken, str(path), [key])
    assert str(path) in str(caught.value)


def test_changed_lastmodified_breaks_the_mac() -> None:
    path, text, key = _sops_nix()
    broken = text.replace('"2021-09-30T19:49:41Z"', '"2021-09-30T19:49:42Z"')
    with pytest.raises(MacMismatchError):
        decrypt_text(broken, str(path), [key])


def test_removed_value_breaks_the_mac() -> None:
    path, text, key = _sops_nix()
    items = re.search(r"(    - ENC\[[^\]]+\]\n)(    - ENC\[[^\]]+\]\n)", text)
    assert items is not None
    with pytest.raises(MacMismatchError):
        decrypt_text(text.replace(items[2], ""), str(path), [key])


def test_cleartext_value_is_an_error() -> None:
    path, text, key = _sops_nix()
    leaked = text.replace(_enc_of(text, "test_key"), "planted-cleartext")
    with pytest.raises(CleartextValueError) as caught:
        decrypt_text(leaked, str(path), [key])
    message = str(caught.value)
    assert str(path) in message and "test_key" in message
    assert "planted-cleartext" not in message


def test_clear_metadata_is_covered_by_the_mac() -> None:
    path = vectors_dir() / "kustomize-controller/age.yaml"
    text = path.read_text(encoding="utf-8").replace("name: age", "name: renamed")
    with pytest.raises(MacMismatchError):
        decrypt_text(text, str(path), [_key("kustomize-controller/age.txt")])
