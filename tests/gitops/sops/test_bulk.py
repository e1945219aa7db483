"""Bulk decryption over worker processes gives, file by file, what `decrypt_file` gives."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from reconciler.gitops.sops import (
    CreationRule,
    DecryptedDocument,
    NoIdentityError,
    SelectionRule,
    SopsError,
    bulk,
    decrypt_file,
    decrypt_files,
    encrypt_tree,
    yamlio,
)
from tests.gitops.sops.conftest import AgeKey, install_default_key, vectors_dir

# Files the sops tool wrote (committed, see vectors/make_vectors.py) and their key.
VECTORS = [
    ("app.yaml", "age-key.txt"),
    ("legacy-3.7.yaml", "age-key.txt"),
    ("k8s-secret.yaml", "age-key.txt"),
    ("values.json", "age-key.txt"),
]


def _secret(index: int) -> dict[str, object]:
    return {
        "apiVersion": "sealkeep.io/v1",
        "kind": "Secret",
        "metadata": {"name": f"app-{index}"},
        "spec": {
            "mount": "kv",
            "path": f"app/{index}",
            "data": {"user": f"user-value-{index:04d}", "n": index},
        },
    }


def _write_secrets(folder: Path, key: AgeKey, count: int) -> list[Path]:
    rule = CreationRule(age=(key.recipient,), selection=SelectionRule("encrypted_regex", "^data$"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"app-{index}.yaml"
        path.write_text(encrypt_tree(_secret(index), [key.recipient], rule), encoding="utf-8")
        paths.append(path)
    return paths


def _with_vectors(folder: Path) -> tuple[list[Path], list[str]]:
    """Copies of the sops tool's files (YAML, JSON, 3.7 metadata) and their keys."""
    paths, keys = [], []
    for name, key in VECTORS:
        target = folder / "vectors" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(vectors_dir() / name, target)
        paths.append(target)
        keys.append((vectors_dir() / key).read_text(encoding="utf-8"))
    return paths, keys


def _expected(path: Path, keys: list[str]) -> DecryptedDocument | SopsError:
    try:
        return decrypt_file(path, keys)
    except SopsError as exc:
        return exc


def _assert_same(got: DecryptedDocument | SopsError, want: DecryptedDocument | SopsError) -> None:
    assert type(got) is type(want)
    if isinstance(want, SopsError):
        assert str(got) == str(want)
        return
    assert isinstance(got, DecryptedDocument)
    assert got == want  # tree, metadata, path
    assert list(got.tree) == list(want.tree)
    assert (got.data_key, got._mac_hex, got._stash) == (want.data_key, want._mac_hex, want._stash)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_file_matches_decrypt_file(sandbox: Path, age_key: AgeKey, workers: int) -> None:
    secrets = _write_secrets(sandbox / "secrets", age_key, 40)
    vectors, keys = _with_vectors(sandbox)
    as_json = sandbox / "secrets" / "app-0.json"  # the same file in sops' JSON form
    as_json.write_text(json.dumps(yamlio.load_fast(secrets[0].read_text(), "x")), "utf-8")
    paths = [*vectors[:2], *secrets, as_json, *vectors[2:]]
    keys.append(age_key.identity)
    results = list(decrypt_files(paths, keys, workers=workers))
    assert [p for p, _ in results] == paths  # the order given, the paths as given
    for path, got in results:
        assert isinstance(got, DecryptedDocument)
        _assert_same(got, _expected(path, keys))


def test_an_error_in_one_file_is_reported_for_that_file(
    sandbox: Path, age_key: AgeKey, other_key: AgeKey
) -> None:
    paths = _write_secrets(Path("secrets"), age_key, 24)  # relative: errors name them so
    tampered, foreign, missing, not_sops = paths[3], paths[10], Path("secrets/gone.yaml"), paths[17]
    text = tampered.read_text(encoding="utf-8")
    tampered.write_text(text.replace("name: app-3", "name: app-x"), encoding="utf-8")
    foreign.write_text(
        encrypt_tree(_secret(10), [other_key.recipient], CreationRule(age=(), selection=None)),
        encoding="utf-8",
    )
    not_sops.write_text("kind: Secret\n", encoding="utf-8")
    paths.insert(5, missing)
    bad = {tampered, foreign, missing, not_sops}
    results = dict(decrypt_files(paths, [age_key.identity], workers=2))
    assert list(results) == paths
    for path, got in results.items():
        want = _expected(path, [age_key.identity])
        _assert_same(got, want)
        assert isinstance(got, SopsError) == (path in bad)
        if isinstance(got, SopsError):
            assert str(got).startswith(f"{path}: ")
            assert "user-value-" not in str(got) and age_key.identity not in str(got)


def test_configured_identities_are_used_when_none_are_given(sandbox: Path, age_key: AgeKey) -> None:
    install_default_key(age_key)
    paths = _write_secrets(sandbox / "s", age_key, 6)
    results = list(decrypt_files(paths, workers=2))
    assert all(isinstance(doc, DecryptedDocument) for _, doc in results)
    assert results[4][1].tree == _secret(4)  # type: ignore[union-attr]


def test_no_identity_is_reported_per_file(sandbox: Path, age_key: AgeKey) -> None:
    paths = _write_secrets(sandbox / "s", age_key, 4)
    for path, got in decrypt_files(paths, [], workers=2):
        assert isinstance(got, NoIdentityError)
        assert str(got) == str(_expected(path, []))


def test_a_malformed_identity_fails_at_the_call(sandbox: Path, age_key: AgeKey) -> None:
    paths = _write_secrets(sandbox / "s", age_key, 2)
    with pytest.raises(NoIdentityError) as caught:
        decrypt_files(paths, ["AGE-SECRET-KEY-NOPE"])
    assert "NOPE" not in str(caught.value)


def test_stopping_early_ends_the_workers(sandbox: Path, age_key: AgeKey) -> None:
    paths = _write_secrets(sandbox / "s", age_key, 30)
    results = decrypt_files(paths, [age_key.identity], workers=2)
    first = next(results)
    results.close()  # type: ignore[attr-defined]
    assert first[0] == paths[0] and isinstance(first[1], DecryptedDocument)


def test_no_files(sandbox: Path) -> None:
    assert list(decrypt_files([], [], workers=2)) == []


def test_a_threaded_caller_gets_workers_that_do_not_fork_it(sandbox: Path, age_key: AgeKey) -> None:
    paths = _write_secrets(sandbox / "s", age_key, 8)
    release = threading.Event()
    other = threading.Thread(target=release.wait, name="busy-caller-thread")
    other.start()
    try:
        assert bulk._start_context().get_start_method() != "fork"
        results = list(decrypt_files(paths, [age_key.identity], workers=2))
    finally:
        release.set()
        other.join()
    for path, got in results:
        _assert_same(got, _expected(path, [age_key.identity]))
