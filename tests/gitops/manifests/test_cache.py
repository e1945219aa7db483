"""The manifest cache: warm loads equal cold ones, edits and corrupt entries are re-parsed,
no plaintext is ever stored, and `SEALKEEP_NO_CACHE=1` turns it off."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import hvac
import pytest

from reconciler.gitops.manifests import LoadResult, Policy, load_repo, parallel
from reconciler.gitops.manifests.cache import (
    DATABASE,
    NO_CACHE_ENV,
    ManifestCache,
    cache_root,
    namespace,
)
from reconciler.gitops.manifests.cache_codec import MAGIC, encode, entry_key
from reconciler.gitops.manifests.fileload import load_yaml_text
from reconciler.gitops.manifests.schema import load_schemas, schemas_dir
from tests.gitops.manifests.conftest import (
    CASES,
    HEADER,
    WriteFiles,
    needs_policy_parser,
    policy_parser_present,
)
from tests.gitops.manifests.test_cases import NEGATIVE, POSITIVE
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import basic_repo


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh XDG_CACHE_HOME; returns the manifest cache folder inside it."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv(NO_CACHE_ENV, raising=False)
    return cache_root()


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _database(folder: Path) -> Path:
    (path,) = folder.glob(f"*/{DATABASE}")
    return path


def _stored(folder: Path) -> dict[str, bytes]:
    """Every entry in the cache's readable databases, by key."""
    found: dict[str, bytes] = {}
    for path in folder.glob(f"*/{DATABASE}"):
        with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(path)) as db:
            found.update(db.execute("SELECT key, entry FROM entries").fetchall())
    return found


def _replace_entries(folder: Path, entries: dict[str, bytes]) -> None:
    """Overwrite the stored entries (another result, or a damaged one) for the same keys."""
    with contextlib.closing(sqlite3.connect(_database(folder))) as db, db:
        db.executemany(
            "UPDATE entries SET entry = ? WHERE key = ?",
            [(entry, key) for key, entry in entries.items()],
        )


def _policy(name: str, path: str = "secret/data/*", extra: str = "") -> str:
    return (
        f"{HEADER}kind: Policy\nmetadata:\n  name: {name}\nspec:\n  rules:\n"
        f"    - path: {path}\n      capabilities: [read]\n{extra}"
    )


def _assert_same(cold: LoadResult, warm: LoadResult) -> None:
    assert [str(d) for d in warm.diagnostics] == [str(d) for d in cold.diagnostics]
    assert warm == cold


def _skip_without_parser(case: Path) -> None:
    if needs_policy_parser(case) and not policy_parser_present():
        pytest.skip("policy parser not yet present")


@pytest.mark.parametrize("case", POSITIVE + NEGATIVE, ids=lambda p: p.name)
def test_warm_load_equals_cold_load(case: Path, cache_home: Path) -> None:
    _skip_without_parser(case)
    cold = load_repo(case)
    written = _files(cache_home)
    assert _stored(cache_home), "the cold load stored nothing"
    warm = load_repo(case)
    _assert_same(cold, warm)
    assert _files(cache_home) == written  # nothing re-parsed, nothing written
    expected = case / "expected.txt"
    if expected.is_file():
        lines = expected.read_text(encoding="utf-8").splitlines()
        assert [str(d) for d in warm.diagnostics] == lines


def test_warm_load_reads_the_entry_for_the_file_bytes(
    write_repo: WriteFiles, cache_home: Path
) -> None:
    root = write_repo({"one.yaml": _policy("one")})
    load_repo(root)
    key = entry_key("yaml", "one.yaml", (root / "one.yaml").read_bytes())
    assert list(_stored(cache_home)) == [key]
    # Stand another file's (valid) result in for this content: a warm load must return it.
    other = load_yaml_text(_policy("other"), "one.yaml", load_schemas())
    _replace_entries(cache_home, {key: encode(other, "one.yaml")})
    desired = load_repo(root).desired
    assert desired is not None
    assert [str(key) for key in desired.objects] == ["Policy/other"]


def test_an_edited_file_is_parsed_again(write_repo: WriteFiles, cache_home: Path) -> None:
    root = write_repo({"a.yaml": _policy("a"), "b.yaml": _policy("b")})
    load_repo(root)
    before = _stored(cache_home)
    keys = set(before)
    (root / "b.yaml").write_text(_policy("b", path="kv/data/*"), encoding="utf-8")
    result = load_repo(root)
    assert result.desired is not None
    policy = result.desired.get("Policy", "b")
    assert isinstance(policy, Policy)
    assert policy.rules[0].path == "kv/data/*"
    after = _stored(cache_home)
    assert all(after[key] == entry for key, entry in before.items())  # kept as they were
    new_key = entry_key("yaml", "b.yaml", (root / "b.yaml").read_bytes())
    assert set(_stored(cache_home)) == keys | {new_key}


def test_an_edit_that_breaks_a_file_reports_it_on_a_warm_cache(
    write_repo: WriteFiles, cache_home: Path
) -> None:
    root = write_repo({"a.yaml": _policy("a")})
    assert load_repo(root).ok
    (root / "a.yaml").write_text(_policy("a", extra="  colour: blue\n"), encoding="utf-8")
    warm = load_repo(root)
    assert [str(d) for d in warm.diagnostics] == [
        "a.yaml:9:3: Policy/a: spec.colour: unknown field"
    ]
    assert load_repo(root) == warm


def _wrong_shape(folder: Path) -> None:
    """Entries whose digest is right but whose payload is not an entry."""
    payload = marshal.dumps((1, "not", "an", "entry"))
    entry = MAGIC + hashlib.blake2b(payload, digest_size=16).digest() + payload
    _replace_entries(folder, dict.fromkeys(_stored(folder), entry))


def _flip_last_byte_of_each_entry(folder: Path) -> None:
    stored = _stored(folder)
    _replace_entries(folder, {k: e[:-1] + bytes([e[-1] ^ 0x01]) for k, e in stored.items()})


def _rewrite_file(change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def corrupt(folder: Path) -> None:
        path = _database(folder)
        path.write_bytes(change(path.read_bytes()))

    return corrupt


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "garbage": _rewrite_file(lambda data: b"\x00garbage\xff" * 7),
    "empty": _rewrite_file(lambda data: b""),
    "truncated": _rewrite_file(lambda data: data[: len(data) // 2]),
    "other-format": _rewrite_file(
        lambda data: data.replace(b"SQLite format 3", b"SQLite format 4")
    ),
    "flipped-entry-byte": _flip_last_byte_of_each_entry,
    "valid-digest-wrong-shape": _wrong_shape,
}


@pytest.mark.parametrize("how", sorted(CORRUPTIONS))
def test_a_corrupt_cache_is_ignored_and_repaired(
    how: str, cache_home: Path, write_repo: WriteFiles
) -> None:
    case = CASES / "positive" / "full-repo"
    root = write_repo({})
    shutil.copytree(case, root, dirs_exist_ok=True)
    _skip_without_parser(case)
    cold = load_repo(root)
    keys = set(_stored(cache_home))
    CORRUPTIONS[how](cache_home)
    _assert_same(cold, load_repo(root))
    repaired = _files(cache_home)
    assert set(_stored(cache_home)) >= keys
    _assert_same(cold, load_repo(root))
    assert _files(cache_home) == repaired  # nothing left to parse again


def test_the_cache_keeps_what_a_load_uses_past_its_size_limit(
    write_repo: WriteFiles, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_repo({"a.yaml": _policy("a"), "b.yaml": _policy("b")})
    for round_ in range(6):
        (root / "b.yaml").write_text(_policy("b", path=f"kv{round_}/*"), encoding="utf-8")
        result = load_repo(root)
        assert result.desired is not None
        policy = result.desired.get("Policy", "b")
        assert isinstance(policy, Policy) and policy.rules[0].path == f"kv{round_}/*"
    assert len(_stored(cache_home)) == 1 + 6  # every version, until MAX_BYTES is exceeded
    monkeypatch.setattr(ManifestCache, "MAX_BYTES", 1)
    (root / "b.yaml").write_text(_policy("b", path="again/*"), encoding="utf-8")
    assert load_repo(root).ok
    # Only what the load used is kept: a.yaml and the new b.yaml.
    keys = {entry_key("yaml", n, (root / n).read_bytes()) for n in ("a.yaml", "b.yaml")}
    assert set(_stored(cache_home)) == keys


_LOAD_IN_A_PROCESS = """
import sys
from pathlib import Path
from reconciler.gitops.manifests import load_repo
result = load_repo(Path(sys.argv[1]))
print(len(result.desired.objects) if result.desired is not None else -1)
"""


def test_processes_loading_at_once_share_the_cache(
    write_repo: WriteFiles, cache_home: Path
) -> None:
    root = write_repo({f"p{i}.yaml": _policy(f"p{i}") for i in range(30)})
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    loads = [
        subprocess.Popen(
            [sys.executable, "-c", _LOAD_IN_A_PROCESS, str(root)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [load.communicate(timeout=120) for load in loads]
    assert [out for out, _ in outputs] == ["30\n"] * 2, [err[-300:] for _, err in outputs]
    stored = _stored(cache_home)
    assert len(stored) == 30
    before = _files(cache_home)
    assert len(load_repo(root).desired.objects) == 30  # type: ignore[union-attr]
    assert _files(cache_home) == before  # every entry found, nothing written


def test_identical_files_share_an_entry_and_keep_their_own_paths(
    write_repo: WriteFiles, cache_home: Path
) -> None:
    text = _policy("same", extra="  colour: blue\n")
    root = write_repo({"a/p.yaml": text, "b/p.yaml": text})
    expected = [
        "a/p.yaml:9:3: Policy/same: spec.colour: unknown field",
        "b/p.yaml:4:3: Policy/same: duplicate Policy/same: already defined at a/p.yaml:4:3",
        "b/p.yaml:9:3: Policy/same: spec.colour: unknown field",
    ]
    assert [str(d) for d in load_repo(root).diagnostics] == expected
    assert len(_stored(cache_home)) == 1
    assert [str(d) for d in load_repo(root).diagnostics] == expected


def test_hcl_entries_depend_on_the_file_name(write_repo: WriteFiles, cache_home: Path) -> None:
    hcl = 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n'
    root = write_repo({"policies/one.hcl": hcl, "policies/two.hcl": hcl})
    cold = load_repo(root)
    assert cold.desired is not None
    names = sorted(p.name for p in cold.desired.of_kind(Policy))
    assert names == ["one", "two"]
    assert len(_stored(cache_home)) == 2
    _assert_same(cold, load_repo(root))


def test_crlf_files_read_as_before(write_repo: WriteFiles, cache_home: Path) -> None:
    text = (
        f"{HEADER}kind: Policy\nmetadata:\n  name: crlf\nspec:\n  hcl: |\n"
        '    path "secret/data/*" {\n      capabilities = ["read"]\n    }\n'
    )
    root = write_repo({})
    (root / "p.yaml").write_bytes(text.replace("\n", "\r\n").encode())
    cold = load_repo(root)
    assert cold.desired is not None
    policy = cold.desired.get("Policy", "crlf")
    assert isinstance(policy, Policy) and policy.hcl is not None
    assert "\r" not in policy.hcl
    _assert_same(cold, load_repo(root))


def test_a_file_that_is_not_utf8_is_reported_cold_and_warm(
    write_repo: WriteFiles, cache_home: Path
) -> None:
    root = write_repo({"good.yaml": _policy("good")})
    (root / "bad.yaml").write_bytes(b"kind: Policy\n\xff\xfe\n")
    for _ in range(2):
        result = load_repo(root)
        assert [str(d) for d in result.diagnostics] == ["bad.yaml:1:1: cannot read: not UTF-8 text"]
    assert len(_stored(cache_home)) == 2


def test_no_cache_variable_turns_the_cache_off(
    write_repo: WriteFiles, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NO_CACHE_ENV, "1")
    root = write_repo({"a.yaml": _policy("a")})
    first = load_repo(root)
    assert first.ok
    assert not cache_home.exists()
    assert load_repo(root) == first
    monkeypatch.delenv(NO_CACHE_ENV)
    assert load_repo(root) == first
    assert cache_home.exists()


def test_cache_follows_xdg_cache_home_else_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert cache_root() == Path("/somewhere/cache/sealkeep/manifests")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert cache_root() == Path.home() / ".cache" / "sealkeep" / "manifests"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == Path.home() / ".cache" / "sealkeep" / "manifests"


def test_namespace_changes_with_the_schemas(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), copy)
    namespace.cache_clear()
    assert namespace(copy) == namespace(schemas_dir())
    schema = next(copy.glob("*.schema.json"))
    schema.write_text(schema.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    namespace.cache_clear()
    assert namespace(copy) != namespace(schemas_dir())


def test_entries_of_other_namespaces_are_removed_on_write(
    write_repo: WriteFiles, cache_home: Path
) -> None:
    stale = cache_home / ("0" * 32) / DATABASE
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"from an older schema")
    load_repo(write_repo({"a.yaml": _policy("a")}))
    assert not stale.exists()
    assert [p.name for p in cache_home.iterdir()] == [namespace(schemas_dir())]


def test_cache_never_holds_a_decrypted_value(
    tmp_path: Path, vault: hvac.Client, unique: str, cache_home: Path
) -> None:
    repo = basic_repo(tmp_path / "repo", unique)
    reconcile = Reconcile(repo, vault, f"{unique}-state")
    reconcile.converge()
    assert not reconcile.plan().has_changes
    secret_file = repo.root / "manifests" / "secrets" / f"{unique}-api.yaml"
    key = entry_key("yaml", "manifests/secrets/x.yaml", secret_file.read_bytes())
    assert key in _stored(cache_home), "the Secret file was not cached"
    blob = b"".join(_files(cache_home).values())
    assert b"ENC[AES256_GCM," in blob
    assert f"hunter2-{unique}".encode() not in blob


def _many_files(count: int) -> dict[str, str]:
    files = {f"p/{i:03}.yaml": _policy(f"p{i}") for i in range(count)}
    files["p/007.yaml"] = _policy("p7", extra="  colour: blue\n")
    files["p/008.yaml"] = _policy("p9")  # a duplicate of p/009.yaml
    files["p/010.yaml"] = "kind: [unclosed\n"
    files["policies/h1.hcl"] = 'path "secret/*" {\n  capabilities = ["read"]\n}\n'
    files["policies/h2.hcl"] = 'path "secret/*" {\n  capabilities = \n'
    return files


def test_parsing_in_worker_processes_gives_the_serial_results(
    write_repo: WriteFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not parallel.can_fork():
        pytest.skip("this process cannot fork workers")
    root = write_repo(_many_files(40))
    (root / "p" / "bad.yaml").write_bytes(b"\xff\xfe")
    monkeypatch.setenv(NO_CACHE_ENV, "1")
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 10**9)
    serial = load_repo(root)
    assert len(serial.diagnostics) >= 5
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 8)
    jobs = [parallel.Job("p/000.yaml", "yaml", (root / "p/000.yaml").read_bytes(), "")] * 8
    assert parallel.encoded_in_workers(jobs) is not None
    _assert_same(serial, load_repo(root))
    monkeypatch.delenv(NO_CACHE_ENV)
    _assert_same(serial, load_repo(root))  # cold: the workers' entries fill the cache
    _assert_same(serial, load_repo(root))  # warm
