"""The Git merge driver for SOPS files: decrypt three versions, merge values, re-encrypt.

Git runs `sealkeep merge-driver %O %A %B %P` with the base, ours (also the output), theirs and
the file's path in the repo. The merged file keeps ours' data key and layout; values neither
side changed keep their ciphertext (and values only theirs changed keep theirs' when both
sides share the data key), so the merge commit's diff stays as small as a textual merge's.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.gitops.mergedriver.threeway import merge_trees
from reconciler.gitops.sops import (
    DecryptedDocument,
    SopsError,
    decrypt_text,
    encrypt_tree,
    write_atomic,
)
from reconciler.gitops.sops.yamlio import load_fast
from reconciler.vocabulary.errors import SealkeepError


class MergeConflict(SealkeepError):
    """Both sides changed the same values differently; the message names the key paths only."""


@dataclass(frozen=True)
class MergeOutcome:
    """What the driver did: `merged` True when %A now holds the result (exit 0)."""

    merged: bool
    message: str


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SopsError(f"{path}: cannot read: {reason}") from None


def is_sops_text(text: str, where: str) -> bool:
    """True for YAML whose top level has a `sops` key."""
    try:
        tree = load_fast(text, where)
    except SopsError:
        return False
    return isinstance(tree, dict) and "sops" in tree


def _text_merge(base: Path, ours: Path, theirs: Path, shown: str) -> MergeOutcome:
    """A plain-file merge into `ours`, as Git would do without this driver."""
    done = subprocess.run(
        [
            "git",
            "merge-file",
            "-L",
            "ours",
            "-L",
            "base",
            "-L",
            "theirs",
            str(ours),
            str(base),
            str(theirs),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return MergeOutcome(True, f"{shown}: not a SOPS file; merged as text")
    return MergeOutcome(False, f"{shown}: not a SOPS file; text conflicts left in the file")


def _recipients(
    base: DecryptedDocument | None, ours: DecryptedDocument, theirs: DecryptedDocument
) -> list[str]:
    """Ours' recipients, plus those theirs added, minus those theirs removed."""
    before = set(base.metadata.recipients) if base else set()
    added = [r for r in theirs.metadata.recipients if r not in before]
    removed = before - set(theirs.metadata.recipients)
    kept = [r for r in ours.metadata.recipients if r not in removed]
    return list(dict.fromkeys([*kept, *added]))


def _previous(ours: DecryptedDocument, theirs: DecryptedDocument) -> DecryptedDocument:
    """Ours, also remembering theirs' ciphertexts when both sides use the same data key."""
    if theirs.data_key != ours.data_key:
        return ours
    stash = {key: list(texts) for key, texts in theirs._stash.items()}
    for key, texts in ours._stash.items():
        stash[key] = [*texts, *stash.get(key, [])]
    return dataclasses.replace(ours, _stash=stash)


def merge_files(
    base: Path, ours: Path, theirs: Path, shown: str, identities: Sequence[str] | None = None
) -> MergeOutcome:
    """Merge three versions of one file into `ours` (left untouched on conflict or error).

    Raises MergeConflict naming the key paths changed differently on both sides, SopsError
    when a version cannot be read or decrypted.
    """
    texts = [_read(p) for p in (base, ours, theirs)]
    sops_flags = [is_sops_text(t, shown) for t in texts[1:]]
    if not any(sops_flags):
        return _text_merge(base, ours, theirs, shown)
    if not all(sops_flags):
        raise SopsError(f"{shown}: one side is a SOPS file and the other is not; merge by hand")
    base_doc = decrypt_text(texts[0], f"{shown} (base)", identities) if texts[0].strip() else None
    ours_doc = decrypt_text(texts[1], f"{shown} (ours)", identities)
    theirs_doc = decrypt_text(texts[2], f"{shown} (theirs)", identities)
    result = merge_trees(base_doc.tree if base_doc else {}, ours_doc.tree, theirs_doc.tree)
    if result.conflicts:
        paths = ", ".join(result.conflicts)
        raise MergeConflict(
            f"{shown}: both sides changed {paths} differently; the file is left as ours: "
            "resolve it with `sealkeep secret edit` and commit"
        )
    recipients = _recipients(base_doc, ours_doc, theirs_doc)
    previous = _previous(ours_doc, theirs_doc)
    merged = encrypt_tree(result.tree, recipients, None, previous=previous, previous_text=texts[1])
    write_atomic(ours, merged)
    return MergeOutcome(True, f"{shown}: merged value by value")
