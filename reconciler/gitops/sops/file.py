"""High-level SOPS operations on files: decrypt, encrypt, updatekeys, rotate.

The store (YAML text <-> tree) and the key source (age) stay apart: this module wires them.
Read-only decryption uses the fast C loader; every operation that writes goes through the
round-trip loader so comments, order and quoting survive.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pyrage import x25519
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.gitops.sops import codec, comments, mac, onepass, yamlio
from reconciler.gitops.sops.config import CreationRule
from reconciler.gitops.sops.errors import SopsError
from reconciler.gitops.sops.keysources import age
from reconciler.gitops.sops.metadata import AgeEntry, SopsMetadata, now_rfc3339
from reconciler.gitops.sops.metadata import parse as parse_metadata
from reconciler.gitops.sops.tree import SelectionRule, walk


@dataclass
class DecryptedDocument:
    """A decrypted SOPS file whose MAC was verified.

    `tree` is plain Python data in file order, without the `sops` block. The data key and the
    ciphertext stash stay out of repr so a stray print or log line cannot leak them.
    """

    tree: dict[str, Any] = field(repr=False)
    metadata: SopsMetadata
    path: str
    data_key: bytes = field(repr=False, compare=False)
    _stash: codec.Stash = field(default_factory=dict, repr=False, compare=False)
    _mac_hex: str = field(default="", repr=False, compare=False)


Identities = Sequence[str] | Sequence[x25519.Identity] | None


def _identities(identities: Identities) -> list[x25519.Identity]:
    """Identity strings (or the configured ones when None) parsed; parsed ones pass through."""
    if identities and all(isinstance(i, x25519.Identity) for i in identities):
        return list(identities)  # type: ignore[arg-type]
    strings = age.load_identities() if identities is None else identities
    return age.parse_identities(strings)  # type: ignore[arg-type]


def _split_sops(tree: Any, where: str) -> tuple[MutableMapping[Any, Any], SopsMetadata]:
    if not isinstance(tree, MutableMapping):
        raise SopsError(f"{where}: the document must be a mapping at the top level")
    if "sops" not in tree:
        raise SopsError(f"{where}: not a sops file (no 'sops' metadata)")
    meta = parse_metadata(tree.pop("sops"), where)
    if meta.key_groups:
        raise SopsError(f"{where}: Shamir key groups are not supported")
    return tree, meta


def _load_plain(text: str, where: str) -> Any:
    if is_json_path(where):
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates)
        except ValueError as exc:
            raise SopsError(f"{where}: invalid JSON: {exc}") from None
    return yamlio.load_fast(text, where)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def decrypt_text(text: str, path_hint: str, identities: Identities = None) -> DecryptedDocument:
    """Decrypt the text of a SOPS file (YAML, or JSON when `path_hint` ends in .json).

    `identities` are `AGE-SECRET-KEY-...` strings, or identities parsed once for many files
    (`keysources.age.parse_identities`); None reads the configured ones, as sops does.
    """
    where = path_hint
    raw, meta = _split_sops(_load_plain(text, where), where)
    if meta.selection is not None and meta.selection.uses_comments:
        return decrypt_roundtrip(text, where, identities)[1]
    data_key = age.unwrap(meta.age, _identities(identities), where)
    mac_hex, stash = onepass.open_plain(raw, meta, data_key, where)
    return DecryptedDocument(dict(raw), meta, where, data_key, stash, mac_hex)


def decrypt_file(path: Path, identities: Identities = None) -> DecryptedDocument:
    """Read, decrypt and verify one SOPS file."""
    return decrypt_text(_read(path), str(path), identities)


def _read(path: Path, shown: Path | None = None) -> str:
    """The file's text; errors name it as `shown` (the caller's spelling) when given."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SopsError(f"{shown or path}: cannot read: {exc.strerror}") from None


def decrypt_roundtrip(
    text: str, path_hint: str, identities: Identities = None
) -> tuple[CommentedMap, DecryptedDocument]:
    """Decrypt keeping comments and layout: the round-trip tree (for editing) and the document."""
    where = path_hint
    tree, meta = _split_sops(yamlio.load_roundtrip(text, where), where)
    data_key = age.unwrap(meta.age, _identities(identities), where)
    heads = (
        comments.head_comments(text) if meta.selection and meta.selection.uses_comments else None
    )
    mac_hex, stash = codec.open_values(tree, meta, data_key, where, heads)
    assert isinstance(tree, CommentedMap)
    return tree, DecryptedDocument(to_plain(tree), meta, where, data_key, stash, mac_hex)


def to_plain(node: Any) -> Any:
    """Strip ruamel's wrapper types: dicts, lists, str, int, float, bool and None only."""
    if isinstance(node, Mapping):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (str, int, float):
        if isinstance(node, kind):
            return kind(node)
    return node


def encrypt_tree(
    tree: Mapping[str, Any],
    recipients: Sequence[str],
    rules: CreationRule | None,
    previous: DecryptedDocument | None = None,
    previous_text: str | None = None,
    as_json: bool | None = None,
) -> str:
    """Encrypt a tree into SOPS YAML (or JSON) text that the sops tool reads.

    With `previous` (the decrypted former version) the data key is kept and unchanged values
    keep their exact ciphertext; with `previous_text` too, the comments and layout of the
    former file are kept for a plain-data `tree`. Without `rules`, the previous file's
    selection rule applies, else sops' default (`_unencrypted` suffix). `as_json` picks
    sops' JSON form; by default a previous `.json` file stays JSON.
    """
    if "sops" in tree:
        raise SopsError("the document already has a top-level 'sops' key")
    if not recipients:
        raise SopsError("no age recipients: add one with --recipient or in .sops.yaml")
    work = _working_tree(tree, previous, previous_text)
    old = previous.metadata if previous else None
    selection = rules.selection if rules else (old.selection if old else None)
    mac_only = rules.mac_only_encrypted if rules else bool(old and old.mac_only_encrypted)
    data_key = previous.data_key if previous else os.urandom(age.DATA_KEY_SIZE)
    entries = _wrap_for(data_key, recipients, old.age if old else ())
    text = yamlio.dump_roundtrip(work)
    work = yamlio.load_roundtrip(text, "<tree>")
    heads = comments.head_comments(text) if selection and selection.uses_comments else None
    stash = previous._stash if previous else {}
    mac_hex = codec.seal_values(work, selection, mac_only, data_key, stash, heads)
    meta = SopsMetadata(
        age=entries,
        lastmodified="",
        mac="",
        selection=selection,
        mac_only_encrypted=mac_only,
        other_sources=dict(old.other_sources) if old else {},
    )
    meta = _stamp(meta, mac_hex, data_key, previous)
    if as_json is None:
        as_json = previous is not None and is_json_path(previous.path)
    return _render(work, meta, as_json)


def _working_tree(
    tree: Mapping[str, Any], previous: DecryptedDocument | None, previous_text: str | None
) -> Any:
    if isinstance(tree, CommentedMap) or previous is None or previous_text is None:
        return tree
    base, _ = _split_sops(yamlio.load_roundtrip(previous_text, previous.path), previous.path)
    comments.rewrite(base, codec._comment_opener(previous.data_key, previous._stash))
    _graft(base, tree)
    return base


def _graft(base: MutableMapping[Any, Any], new: Mapping[str, Any]) -> None:
    """Put `new`'s content into `base`, keeping base's comments and key order."""
    for key in [k for k in base if k not in new]:
        del base[key]
    for key, value in new.items():
        if isinstance(base.get(key), CommentedMap) and isinstance(value, Mapping):
            _graft(base[key], value)
        else:
            base[key] = value


def _wrap_for(
    data_key: bytes, recipients: Sequence[str], existing: Sequence[AgeEntry]
) -> tuple[AgeEntry, ...]:
    kept = {e.recipient: e for e in existing}
    ordered = dict.fromkeys(r.strip() for r in recipients)
    return tuple(kept.get(r) or age.wrap(data_key, r) for r in ordered)


def _stamp(
    meta: SopsMetadata, mac_hex: str, data_key: bytes, previous: DecryptedDocument | None
) -> SopsMetadata:
    """Keep the former timestamp and MAC when nothing changed, so the file stays byte-identical."""
    old = previous.metadata if previous else None
    unchanged = (
        old is not None
        and previous is not None
        and previous._mac_hex == mac_hex
        and old.age == meta.age
        and old.selection == meta.selection
        and old.mac_only_encrypted == meta.mac_only_encrypted
    )
    if unchanged and old is not None:
        return replace(meta, lastmodified=old.lastmodified, mac=old.mac, version=old.version)
    stamp = now_rfc3339()
    return replace(meta, lastmodified=stamp, mac=mac.seal(mac_hex, data_key, stamp))


def is_json_path(path_hint: str) -> bool:
    """Whether sops reads and writes this file as JSON (by its name, as sops does)."""
    return str(path_hint).endswith(".json")


def dump_json(tree: Mapping[str, Any]) -> str:
    """A SOPS tree as JSON text, tab-indented as the sops tool writes it."""
    return json.dumps(to_plain(tree), indent="\t", ensure_ascii=False) + "\n"


def _render(tree: MutableMapping[Any, Any], meta: SopsMetadata, as_json: bool = False) -> str:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if as_json:  # a JSON file has no comments or layout to keep
        return dump_json({**to_plain(tree), "sops": meta.to_yaml_data()})
    block = CommentedMap()
    for key, value in meta.to_yaml_data().items():
        if key == "age":
            value = CommentedSeq(
                CommentedMap(recipient=e["recipient"], enc=LiteralScalarString(e["enc"]))
                for e in value
            )
        elif key == "lastmodified":
            value = DoubleQuotedScalarString(value)
        block[key] = value
    tree["sops"] = block
    return yamlio.dump_roundtrip(tree)


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step, keeping its permission bits."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def updatekeys(path: Path, rule: CreationRule, identities: Sequence[str] | None = None) -> bool:
    """Re-wrap the data key for the rule's recipients; values and MAC stay byte-identical.

    Returns False (and writes nothing) when the recipients already match.
    """
    where = str(path)
    text = _read(path)
    tree = yamlio.load_roundtrip(text, where)
    meta = parse_metadata(tree.get("sops"), where)
    wanted = tuple(dict.fromkeys(rule.age))
    if not wanted:
        raise SopsError(f"{where}: the creation rule has no age recipients")
    if meta.key_groups:
        raise SopsError(f"{where}: Shamir key groups are not supported")
    if set(wanted) == {e.recipient for e in meta.age}:
        return False
    data_key = age.unwrap(meta.age, _identities(identities), where)
    entries = _wrap_for(data_key, wanted, meta.age)
    tree["sops"]["age"] = CommentedSeq()
    from ruamel.yaml.scalarstring import LiteralScalarString

    for entry in entries:
        tree["sops"]["age"].append(
            CommentedMap(recipient=entry.recipient, enc=LiteralScalarString(entry.enc))
        )
    write_atomic(
        Path(path), dump_json(tree) if is_json_path(where) else yamlio.dump_roundtrip(tree)
    )
    return True


def rotate(path: Path, identities: Sequence[str] | None = None) -> None:
    """Give the file a new data key and re-encrypt every value and comment with it.

    Key sources other than age cannot be re-wrapped here and are dropped.
    """
    where = str(path)
    tree, doc = decrypt_roundtrip(_read(path), where, identities)
    fresh = replace(doc.metadata, other_sources={})
    rule = CreationRule(
        age=fresh.recipients, selection=fresh.selection, mac_only_encrypted=fresh.mac_only_encrypted
    )
    write_atomic(
        Path(path), encrypt_tree(tree, fresh.recipients, rule, as_json=is_json_path(where))
    )


def find_cleartext_values(
    tree: Mapping[str, Any], rules: CreationRule | SopsMetadata | SelectionRule | None
) -> list[str]:
    """Key paths (`spec.data.password`) whose values the rule encrypts but are in clear.

    Needs no key: the reconciler uses it to flag secrets committed unencrypted.
    """
    selection = rules if isinstance(rules, SelectionRule) or rules is None else rules.selection
    from reconciler.gitops.sops.values import is_encrypted_value

    found = []
    for leaf in walk(dict(tree), selection):
        if leaf.encrypted and leaf.value != "" and not is_encrypted_value(leaf.value):
            found.append(leaf.display)
    return found
