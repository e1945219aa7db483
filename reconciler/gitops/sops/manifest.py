"""Secret manifests as SOPS files: create, set/unset one key, edit, re-wrap a whole repo.

The `sealkeep secret` commands call these; they hold the logic so the CLI only parses and
renders. A Secret keeps its values under `spec.data`; everything else stays in clear so a
reviewer sees which path and which keys changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from reconciler.gitops.sops import yamlio
from reconciler.gitops.sops.config import (
    CONFIG_NAME,
    SECRET_DEFAULT_SELECTION,
    CreationRule,
    find_config,
    find_creation_rule,
    load_creation_rule,
)
from reconciler.gitops.sops.errors import SopsError
from reconciler.gitops.sops.file import (
    DecryptedDocument,
    decrypt_roundtrip,
    encrypt_tree,
    is_json_path,
    updatekeys,
    write_atomic,
)

API_VERSION = "sealkeep.io/v1"
_SOPS_SUFFIXES = (".yaml", ".yml", ".json")


def new_secret(
    file: Path, kv_path: str, mount: str | None, name: str | None, recipients: Sequence[str]
) -> None:
    """Write a new, empty Secret manifest encrypted for the recipients (or the .sops.yaml rule).

    Without `mount`, the first segment of `kv_path` is the mount (`kv/app/db` -> `kv`, `app/db`).
    """
    if file.exists():
        raise SopsError(f"{file}: already exists")
    rule = find_creation_rule(file)
    wanted = tuple(recipients) or (rule.age if rule else ())
    if not wanted:
        raise SopsError(
            f"{file}: no age recipient: pass --recipient or add a rule to {CONFIG_NAME}"
        )
    mount, path = _split_kv_path(file, kv_path, mount)
    selection = rule.selection if rule and rule.selection else SECRET_DEFAULT_SELECTION
    effective = CreationRule(
        age=wanted, selection=selection, mac_only_encrypted=bool(rule and rule.mac_only_encrypted)
    )
    tree = {
        "apiVersion": API_VERSION,
        "kind": "Secret",
        "metadata": {"name": name or file.name.split(".", 1)[0]},  # db.sops.yaml -> db
        "spec": {"mount": mount, "path": path, "data": {}},
    }
    file.parent.mkdir(parents=True, exist_ok=True)  # a new team's folder may not exist yet
    write_atomic(file, encrypt_tree(tree, wanted, effective, as_json=is_json_path(str(file))))


def _split_kv_path(file: Path, kv_path: str, mount: str | None) -> tuple[str, str]:
    cleaned = kv_path.strip("/")
    if mount:
        return mount.strip("/"), cleaned
    head, _, rest = cleaned.partition("/")
    if not head or not rest:
        raise SopsError(f"{file}: --path must look like MOUNT/PATH (e.g. kv/payments/api)")
    return head, rest


def _data_map(tree: CommentedMap, file: Path) -> CommentedMap:
    spec = tree.get("spec")
    if not isinstance(spec, CommentedMap):
        raise SopsError(f"{file}: not a Secret manifest (no spec mapping)")
    if spec.get("data") is None:
        spec["data"] = CommentedMap()
    if not isinstance(spec["data"], CommentedMap):
        raise SopsError(f"{file}: spec.data must be a mapping")
    return spec["data"]


def set_value(file: Path, key: str, value: str, identities: Sequence[str] | None = None) -> None:
    """Set `spec.data.<key>`; other values keep their ciphertext."""
    tree, doc = decrypt_roundtrip(_read(file), str(file), identities)
    _data_map(tree, file)[key] = value
    write_atomic(file, encrypt_tree(tree, doc.metadata.recipients, None, previous=doc))


def unset_value(file: Path, key: str, identities: Sequence[str] | None = None) -> None:
    """Remove `spec.data.<key>`; an error when it is not there."""
    tree, doc = decrypt_roundtrip(_read(file), str(file), identities)
    data = _data_map(tree, file)
    if key not in data:
        raise SopsError(f"{file}: spec.data has no key {key!r}")
    del data[key]
    write_atomic(file, encrypt_tree(tree, doc.metadata.recipients, None, previous=doc))


def decrypted_text(file: Path, identities: Sequence[str] | None = None) -> str:
    """The file decrypted as YAML (comments kept), without its `sops` block."""
    tree, _ = decrypt_roundtrip(_read(file), str(file), identities)
    return yamlio.dump_roundtrip(tree)


def open_for_edit(
    file: Path, identities: Sequence[str] | None = None
) -> tuple[str, DecryptedDocument]:
    """The plaintext an editor shows, and the document to re-encrypt it against."""
    tree, doc = decrypt_roundtrip(_read(file), str(file), identities)
    return yamlio.dump_roundtrip(tree), doc


def save_edited(file: Path, edited: str, doc: DecryptedDocument) -> bool:
    """Re-encrypt edited plaintext, keeping unchanged ciphertexts; False when nothing changed.

    Invalid YAML raises `SopsError` before anything is written.
    """
    tree = yamlio.load_roundtrip(edited, f"{file} (edited text)")
    text = encrypt_tree(tree, doc.metadata.recipients, None, previous=doc)
    if text == _read(file):
        return False
    write_atomic(file, text)
    return True


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SopsError(f"{file}: cannot read: {exc.strerror}") from None


@dataclass(frozen=True)
class UpdateOutcome:
    """What `updatekeys` did to one file: `changed`, or the error that stopped it."""

    file: Path
    changed: bool
    error: str | None = None


def sops_files(root: Path) -> Iterator[Path]:
    """Every SOPS file under `root` (a top-level `sops:` key), skipping hidden folders."""
    for candidate in sorted(root.rglob("*")):
        relative = candidate.relative_to(root).parts
        if any(part.startswith(".") for part in relative) or candidate.suffix not in _SOPS_SUFFIXES:
            continue
        try:
            head = candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "\nsops:" in head or '"sops":' in head:
            yield candidate


def repo_root(start: Path) -> Path:
    """The folder of the nearest `.sops.yaml`: the scope of `updatekeys --all`."""
    config = find_config(start)
    if config is None:
        raise SopsError(f"{start}: no {CONFIG_NAME} found in this folder or any parent")
    return config.parent


def updatekeys_many(files: Sequence[Path], identities: Sequence[str]) -> list[UpdateOutcome]:
    """Re-wrap each file's data key for its creation rule; errors are collected, not raised."""
    outcomes = []
    for file in files:
        try:
            changed = updatekeys(file, load_creation_rule(file), identities)
        except SopsError as exc:
            outcomes.append(UpdateOutcome(file, False, str(exc)))
        else:
            outcomes.append(UpdateOutcome(file, changed))
    return outcomes
